// Every time in a report is ms on the environment's own monotonic clock, so
// durations never jump with the wall clock and timelines of one environment
// line up. Wall-clock epoch ms are only used where the protocol demands them
// (deadlines sent to the runtime and extensions).
import { performance } from 'node:perf_hooks';

export class Clock {
  private readonly origin = performance.now();

  /** ms since this clock was created, rounded to 0.01 ms. */
  now(): number {
    return Math.round((performance.now() - this.origin) * 100) / 100;
  }
}

export { setTimeout as sleep } from 'node:timers/promises';

/** Resolves with true when `promise` settles within ms, false otherwise; the timer never outlives the race. */
export async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), Math.max(0, ms)); });
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
