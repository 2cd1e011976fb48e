// At most N invocations of a Managed Instances environment in flight (its
// AWS_LAMBDA_MAX_CONCURRENCY); further invokes wait, in call order, for a
// slot. Lambda would route them to another environment or throttle; one
// local environment has nowhere else to send them.

export class ConcurrencySlots {
  private inUse = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly size: number) {}

  get busy(): number {
    return this.inUse;
  }

  /** Runs `task` in a slot, waiting for one if all are taken. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.inUse >= this.size) await new Promise<void>((resolve) => this.waiters.push(resolve));
    else this.inUse += 1;
    try {
      return await task();
    } finally {
      // The slot passes straight to the next waiter, so the count never dips and lets a newcomer jump the queue.
      const next = this.waiters.shift();
      if (next) next();
      else this.inUse -= 1;
    }
  }
}
