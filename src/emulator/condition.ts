// A condition variable for the lifecycle: the APIs and the process exits call
// `notify()` on every state change; the environment waits until a check says
// done (or a time limit passes). One mechanism for "all in next", "runtime
// answered", "someone died", so no state change can be missed between checks.

export type Waited<T> = { done: true; value: T } | { done: false };

export class Condition {
  private readonly waiters = new Set<() => void>();

  notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Resolves with the first defined value of `check`, or `{done:false}` after timeoutMs. */
  until<T>(check: () => T | undefined, timeoutMs: number): Promise<Waited<T>> {
    return new Promise((resolve, reject) => {
      const finish = (result: Waited<T>) => {
        clearTimeout(timer);
        this.waiters.delete(evaluate);
        resolve(result);
      };
      const evaluate = () => {
        let value: T | undefined;
        try {
          value = check();
        } catch (error) {
          // A throwing check must not leave its waiter and timer behind.
          clearTimeout(timer);
          this.waiters.delete(evaluate);
          reject(error);
          return;
        }
        if (value !== undefined) finish({ done: true, value });
      };
      const timer = setTimeout(() => finish({ done: false }), Math.max(0, timeoutMs));
      this.waiters.add(evaluate);
      evaluate();
    });
  }
}
