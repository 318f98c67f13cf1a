import { TransferFailure, transferError } from '../../common/errors';
import type { Clock } from '../context';
import { describeNetworkError } from '../http/network-errors';
import type { HttpRequest, HttpResponse, Transport } from '../http/transport';

/** What one request is doing, for the sentence a stall produces. */
export type RequestPhase = 'sending' | 'waiting' | 'receiving';

const PHASE_WORDS: Record<RequestPhase, string> = {
  sending: 'while sending data (the server took none)',
  waiting: 'while connecting or waiting for the server to answer',
  receiving: 'while receiving the body',
};

/** Thrown into a request's signal when its watch sees no progress for the stall timeout. */
export class StallAbort extends Error {
  constructor(readonly phase: RequestPhase) {
    super(`stalled ${PHASE_WORDS[phase]}`);
    this.name = 'StallAbort';
  }
}

/**
 * One request's stall watchdog, from before it connects until its body is read or
 * dropped (DESIGN.md section 5). Every phase counts: connect, the request body, the wait
 * for the response headers (a server that accepts and never answers, or drips a header a
 * byte a second) and the response body. No progress for the stall timeout aborts the
 * request's own signal, which makes the transport destroy the socket: a stalled request
 * never lingers, whatever its body's size. `hold()` stops the clock while Ferry itself is
 * the one not moving (a bandwidth limit), never while the network is.
 *
 * The timeout is read at every tick, so a changed setting applies to requests in flight.
 */
export class StallWatch {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private last: number;
  private held = false;
  private stalledIn: RequestPhase | null = null;
  private stopped = false;
  phase: RequestPhase = 'waiting';
  /** The request's signal: the transfer's own, and this watch's. */
  readonly signal: AbortSignal;

  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs: () => number,
    parent: AbortSignal,
  ) {
    this.last = clock.now();
    // The transfer's stop reaches the request through this watch's own controller: one
    // listener, where AbortSignal.any cost about 6 us a request and left weak references
    // for the collector to clear (issue 13). The parent lives as long as its transfer.
    this.signal = this.controller.signal;
    if (parent.aborted) this.controller.abort(parent.reason);
    else parent.addEventListener('abort', () => this.controller.abort(parent.reason), { once: true });
    const tick = Math.max(25, Math.min(1000, timeoutMs() / 4));
    this.timer = setInterval(() => this.check(), tick);
    this.timer.unref();
  }

  private check(): void {
    if (this.held || this.stopped) return;
    if (this.clock.now() - this.last < this.timeoutMs()) return;
    this.stalledIn = this.phase;
    this.stop();
    this.controller.abort(new StallAbort(this.phase));
  }

  /** Progress: a byte moved (or a phase began). */
  touch(phase?: RequestPhase): void {
    if (phase) this.phase = phase;
    this.last = this.clock.now();
    this.held = false;
  }

  hold(): void {
    this.held = true;
  }

  /** The phase in which the watch fired, or null. */
  get stalled(): RequestPhase | null {
    return this.stalledIn;
  }

  /** Safe to call twice; the request's signal stays as it is. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /**
   * What an error thrown while this request ran means: a stall (named by phase), the
   * transfer being stopped (rethrown as is), or a network failure in words.
   */
  failure(error: unknown, url: string, parent: AbortSignal): unknown {
    if (this.stalledIn) {
      const seconds = Math.round(this.timeoutMs() / 100) / 10;
      return new TransferFailure(transferError('stalled', `No progress for ${seconds} s ${PHASE_WORDS[this.stalledIn]} from ${safeHostOf(url)}.`, true));
    }
    if (parent.aborted || error instanceof TransferFailure) return error;
    return new TransferFailure(describeNetworkError(error, url));
  }

  /**
   * Sends a request under this watch. The response's body is still watched: the caller
   * touches the watch per chunk and stops it when the body is done. `granted`: told when
   * the request leaves Ferry's own queue for the network.
   */
  async request(transport: Transport, req: Omit<HttpRequest, 'signal'>, parent: AbortSignal, granted?: () => void): Promise<HttpResponse> {
    this.touch(req.body === undefined ? 'waiting' : 'sending');
    try {
      const queue = {
        waiting: () => this.hold(),
        granted: () => {
          this.touch();
          granted?.();
        },
      };
      const response = await transport.request({ ...req, signal: this.signal, queue });
      this.touch('receiving');
      return response;
    } catch (error) {
      this.stop();
      throw this.failure(error, req.url.href, parent);
    }
  }
}

function safeHostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the server';
  }
}
