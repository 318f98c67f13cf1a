import type { Clock } from '../../electron/engine/context';

/**
 * A clock a test sets: real time plus an offset, so retries and timers still run, while a
 * jump (`set`, `advance`) moves "now" at once and wakes every sleep whose end it passed.
 * Time windows (issue 15) are crossed with it without waiting for the hour to come.
 */
export class TestClock implements Clock {
  private offset = 0;
  private readonly sleepers = new Set<{ until: number; wake: () => void }>();

  now(): number {
    return Date.now() + this.offset;
  }

  /** From now on, "now" is `at` (local time), moving on with real time. */
  set(at: Date): void {
    this.offset = at.getTime() - Date.now();
    for (const s of [...this.sleepers]) if (s.until <= this.now()) s.wake();
  }

  advance(ms: number): void {
    this.set(new Date(this.now() + ms));
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const done = (then: () => void) => (): void => {
        clearTimeout(timer);
        this.sleepers.delete(sleeper);
        signal?.removeEventListener('abort', onAbort);
        then();
      };
      const sleeper = { until: this.now() + ms, wake: done(resolve) };
      const onAbort = done(() => reject(signal!.reason));
      const timer = setTimeout(sleeper.wake, ms);
      this.sleepers.add(sleeper);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
