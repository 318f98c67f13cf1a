import type { HostPoliteness } from './host-politeness';

/**
 * Requests in flight per host, counted by Ferry itself (DESIGN.md section 5). An HTTP
 * agent's socket pool cannot be trusted with this: over HTTP/2 many requests share one
 * connection, and through a proxy every host shares the proxy's connections.
 *
 * Waiters are served in arrival order, except that a waiter whose host is full never
 * blocks one behind it whose host has room. A host that asked for fewer (`hosts`,
 * host-politeness.ts) gets its own lower limit.
 */
interface Waiter {
  host: string;
  grant: (release: () => void) => void;
}

export class RequestLimiter {
  private readonly inFlight = new Map<string, number>();
  private readonly waiters: Waiter[] = [];

  constructor(
    private perHost: number,
    /** What each host allows (polite hosts); null: the setting alone. */
    readonly hosts: HostPoliteness | null = null,
  ) {}

  get maxPerHost(): number {
    return this.perHost;
  }

  /** Requests `host` may have in flight now: the setting, or less where the host asked for less. */
  limitFor(host: string): number {
    return this.hosts?.allows(host, this.perHost) ?? this.perHost;
  }

  /** Waits for a slot on `host`; the returned function gives it back (safe to call twice). */
  acquire(host: string, signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const now = this.tryAcquire(host);
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        host,
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** A slot now, or null when `host` is at its limit (or others wait for it first). */
  tryAcquire(host: string): (() => void) | null {
    return this.hasRoom(host) ? this.take(host) : null;
  }

  /** Whether a request to `host` would get a slot now. */
  hasRoom(host: string): boolean {
    return this.count(host) < this.limitFor(host) && !this.waiters.some((w) => w.host === host);
  }

  /** Applies at once: a raised limit lets waiters in; a lowered one holds new requests back. */
  setMaxPerHost(perHost: number): void {
    this.perHost = perHost;
    this.serve();
  }

  count(host: string): number {
    return this.inFlight.get(host) ?? 0;
  }

  private take(host: string): () => void {
    this.inFlight.set(host, this.count(host) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.count(host) - 1;
      if (left > 0) this.inFlight.set(host, left);
      else this.inFlight.delete(host);
      this.serve();
    };
  }

  private serve(): void {
    for (let i = 0; i < this.waiters.length; ) {
      const waiter = this.waiters[i]!;
      if (this.count(waiter.host) < this.limitFor(waiter.host)) {
        this.waiters.splice(i, 1);
        waiter.grant(this.take(waiter.host));
      } else {
        i++;
      }
    }
  }
}
