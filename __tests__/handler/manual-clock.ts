// A clock the test moves by hand, for code that takes an injectable
// `{ now, after }`: time passes only when the test says so, so a test states
// "at 50 ms this is cut" without depending on how busy the machine is.
import type { DrainClock } from '../../src/handler/drain-registry';

/** Lets every promise reaction already queued run (a macrotask comes after all microtasks). */
export const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class ManualClock implements DrainClock {
  private time = 0;
  private timers: { at: number; seq: number; fn: () => void }[] = [];
  private seq = 0;

  now = (): number => this.time;

  after = (ms: number, fn: () => void): (() => void) => {
    const timer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => { this.timers = this.timers.filter((other) => other !== timer); };
  };

  /** Timers still armed. */
  get pending(): number { return this.timers.length; }

  /** Moves time forward by `ms`, firing each due timer at its own instant, and lets the code react after each. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    await settled();
    for (let fired = 0; fired < 10_000; fired += 1) {
      const due = this.timers.filter((timer) => timer.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((timer) => timer !== due);
      this.time = due.at;
      due.fn();
      await settled();
    }
    this.time = target;
    await settled();
  }
}

/** A promise the test resolves or rejects when it chooses. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}
