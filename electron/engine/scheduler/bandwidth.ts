/**
 * All the limiter needs of the engine's clock (context.ts's Clock fits): said here rather
 * than imported, so the context, which holds a limiter, and the limiter do not import each other.
 */
export interface TimeSource {
  now(): number;
}

/**
 * One global bandwidth limit shared by every transfer: a token bucket refilled at `rate`
 * bytes per second, holding at most a quarter second of tokens. Waiters are served in
 * arrival order, one chunk each, so transfers share the limit fairly; a chunk larger than
 * the bucket may drive it into debt, which later waiters pay off. Null means no limit.
 */
export class BandwidthLimiter {
  private tokens = 0;
  private refilledAt: number;
  private readonly waiters: Array<{ bytes: number; resolve: () => void; reject: (e: unknown) => void; signal?: AbortSignal; onAbort: () => void }> = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly clock: TimeSource,
    private rate: number | null = null,
  ) {
    this.refilledAt = clock.now();
  }

  get limit(): number | null {
    return this.rate;
  }

  /** Applies at once, to transfers already running too. */
  setRate(rate: number | null): void {
    this.refill();
    this.rate = rate !== null && rate > 0 ? rate : null;
    this.tokens = Math.min(this.tokens, this.capacity());
    this.serve();
  }

  /**
   * Resolves when `bytes` may move. Returns null (no promise, no allocation) when they may
   * move at once, which is every call when there is no limit.
   */
  take(bytes: number, signal?: AbortSignal): Promise<void> | null {
    if (this.rate === null) return null;
    this.refill();
    if (this.waiters.length === 0 && this.tokens > 0) {
      this.tokens -= bytes;
      return null;
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        bytes,
        resolve,
        reject,
        signal,
        onAbort: () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(signal!.reason);
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.push(waiter);
      this.schedule();
    });
  }

  /** Stops the refill timer; waiters still pending are let through. */
  close(): void {
    this.rate = null;
    this.serve();
  }

  private capacity(): number {
    return this.rate === null ? Infinity : Math.max(64 << 10, this.rate / 4);
  }

  private refill(): void {
    const now = this.clock.now();
    if (this.rate !== null) this.tokens = Math.min(this.capacity(), this.tokens + ((now - this.refilledAt) * this.rate) / 1000);
    this.refilledAt = now;
  }

  private serve(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.refill();
    while (this.waiters.length > 0 && (this.rate === null || this.tokens > 0)) {
      const waiter = this.waiters.shift()!;
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      if (this.rate !== null) this.tokens -= waiter.bytes;
      waiter.resolve();
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.waiters.length === 0 || this.rate === null) return;
    // Wake when the bucket is back above zero, at least a few milliseconds from now.
    const waitMs = Math.max(5, Math.ceil(((-this.tokens + 1) * 1000) / this.rate));
    this.timer = setTimeout(() => this.serve(), waitMs);
  }
}
