import type { Agent as UndiciAgent, Dispatcher } from 'undici';
// undici's index loads every feature it has (fetch, WebSocket, caches, mocks): 110 ms at
// every start of the CLI, measured, against 40 ms for its dispatcher alone, which is all the engine uses.
// The version is pinned in package.json and every integration test runs through it.
import Agent from 'undici/lib/dispatcher/agent';
import { Readable } from 'node:stream';
import { baselineParser } from '../core/wasm-tiering';
import { DispatchBody } from './dispatch-body';
import { type ResponseHeaders, headersFromRaw } from './headers';
import type { HttpRequest, HttpResponse, Transport } from './transport';

/** How long a small unread body may take to arrive before its connection is closed instead. */
const DUMP_TIMEOUT_MS = 10_000;
/** The most bytes of an unread body read to its end (to keep its connection) rather than dropped with it. */
const DUMP_LIMIT = 64 << 10;

export interface UndiciTransportOptions {
  /** Extra trusted certificate authorities (PEM), e.g. a test's self-signed CA. */
  ca?: string | Buffer;
}

/**
 * The Node transport: undici's dispatcher (its HTTP/1.1 parser, TLS, HTTP/2, pooling) with
 * a handler of Ferry's own that hands the socket's reads to the reader as they come
 * (dispatch-body.ts). Measured with bench/transport against undici.request (a Node
 * Readable per body) and fetch (WHATWG streams), it moves the same bytes with the least
 * CPU per byte of the three (issue 13).
 * Timeouts are the engine's own (stall watchdog), so undici's are switched off, and it
 * gets no connection limit: Ferry counts requests in flight itself.
 */
export class UndiciTransport implements Transport {
  private agent: UndiciAgent;

  constructor(private readonly options: UndiciTransportOptions = {}) {
    this.agent = this.newAgent();
  }

  private newAgent(): UndiciAgent {
    return new Agent({
      headersTimeout: 0,
      bodyTimeout: 0,
      // HTTP/2 where the server offers it over TLS; Ferry's own limits hold either way.
      allowH2: true,
      connect: this.options.ca ? { ca: this.options.ca } : {},
    });
  }

  request(req: HttpRequest): Promise<HttpResponse> {
    const first = baselineParser();
    return first ? first.then(() => this.dispatch(req)) : this.dispatch(req);
  }

  private dispatch(req: HttpRequest): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const { signal } = req;
      let abort: ((reason: Error) => void) | null = null;
      let body: DispatchBody | null = null;
      let answered = false;
      const requestBody = req.body === undefined || req.body instanceof Uint8Array ? (req.body ?? null) : Readable.from(req.body, { objectMode: false });
      const onAbort = (): void => {
        const reason = abortReason(signal);
        if (body) body.giveUp(reason);
        else {
          abort?.(reason);
          fail(reason);
        }
      };
      const fail = (error: Error): void => {
        signal.removeEventListener('abort', onAbort);
        if (requestBody instanceof Readable) requestBody.destroy();
        if (!answered) {
          answered = true;
          reject(error);
        }
      };
      if (signal.aborted) return reject(abortReason(signal));
      signal.addEventListener('abort', onAbort);
      const handler: Dispatcher.DispatchHandler = {
        onConnect: (abortRequest) => {
          abort = abortRequest;
          if (signal.aborted) abortRequest(abortReason(signal));
        },
        onHeaders: (status, rawHeaders, resume) => {
          // An informational answer (100 Continue, 103 Early Hints) is not the response.
          if (status < 200 || answered) return true;
          answered = true;
          const b = new DispatchBody({ resume, abort: (reason) => abort?.(reason) });
          body = b;
          b.onReleased(() => signal.removeEventListener('abort', onAbort));
          resolve(this.response(req, status, headersFromRaw(rawHeaders as Buffer[]), b));
          return true;
        },
        onData: (chunk) => body?.push(chunk) ?? true,
        onComplete: () => body?.end(),
        onError: (error) => {
          body?.fail(error);
          fail(error);
        },
      };
      try {
        this.agent.dispatch({ origin: req.url.origin, path: req.url.pathname + req.url.search, method: req.method, headers: req.headers, body: requestBody }, handler);
      } catch (error) {
        fail(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  private response(req: HttpRequest, status: number, headers: ResponseHeaders, body: DispatchBody): HttpResponse {
    return {
      status,
      headers,
      body,
      onBodyReleased: (hook) => body.onReleased(hook),
      discard: () => {
        // A small body of known length (an error page) is read to the end so the connection
        // can be reused; anything else closes the connection rather than wait on it.
        // (A 204, a 304 or an answer to HEAD has no body at all; answers to the upload
        // methods carry a few bytes at most, of whatever length they do not say.)
        const empty = status === 204 || status === 304 || req.method === 'HEAD';
        const length = empty ? 0 : Number(headers.get('content-length'));
        const small = (Number.isFinite(length) && length <= DUMP_LIMIT) || (!Number.isFinite(length) && req.method !== 'GET');
        body.discard(small ? DUMP_LIMIT : -1, DUMP_TIMEOUT_MS);
      },
    };
  }

  async reset(): Promise<void> {
    const old = this.agent;
    this.agent = this.newAgent();
    await old.destroy().catch(() => undefined);
  }

  /** Ends every connection now; the engine has already stopped its transfers. */
  async close(): Promise<void> {
    await this.agent.destroy();
  }
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new DOMException('This operation was aborted', 'AbortError');
}
