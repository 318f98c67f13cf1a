import type { Agent as UndiciAgent } from 'undici';
// undici's index loads every feature it has (fetch, WebSocket, caches, mocks): 110 ms at
// every start of the CLI, measured, against 40 ms for the two modules the engine uses.
// The version is pinned in package.json and every integration test runs through these.
import Agent from 'undici/lib/dispatcher/agent';
import request from 'undici/lib/api/api-request';
import { Readable } from 'node:stream';
import { headersFromRecord } from './headers';
import type { HttpRequest, HttpResponse, Transport } from './transport';

/** How long a small unread body may take to arrive before its connection is closed instead. */
const DUMP_TIMEOUT_MS = 10_000;

export interface UndiciTransportOptions {
  /** Extra trusted certificate authorities (PEM), e.g. a test's self-signed CA. */
  ca?: string | Buffer;
}

/**
 * The Node transport. undici.request was measured against fetch (bench/transport): it
 * skips the WHATWG stream layer and moves the same bytes with less CPU per byte.
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

  async request(req: HttpRequest): Promise<HttpResponse> {
    const response = await request.call(this.agent, {
      origin: req.url.origin,
      path: req.url.pathname + req.url.search,
      method: req.method,
      headers: req.headers,
      body: req.body === undefined || req.body instanceof Uint8Array ? (req.body ?? null) : Readable.from(req.body, { objectMode: false }),
      signal: req.signal,
    });
    const body = response.body;
    // Errors reach the reader through iteration; this listener only keeps a body that is
    // discarded unread from crashing the process with an unhandled 'error' event.
    body.on('error', () => undefined);
    return {
      status: response.statusCode,
      headers: headersFromRecord(response.headers),
      body,
      discard: () => {
        if (body.destroyed) return;
        // A small body of known length (an error page) is read to the end so the connection
        // can be reused; anything else closes the connection rather than wait on it.
        // (A 204, a 304 or an answer to HEAD has no body at all; answers to the upload
        // methods carry a few bytes at most, of whatever length they do not say.)
        const empty = response.statusCode === 204 || response.statusCode === 304 || req.method === 'HEAD';
        const length = empty ? 0 : Number(response.headers['content-length']);
        const small = (Number.isFinite(length) && length <= 64 << 10) || (!Number.isFinite(length) && req.method !== 'GET');
        // A dump that the server never completes must not hold the connection forever.
        if (small) body.dump({ limit: 64 << 10, signal: AbortSignal.timeout(DUMP_TIMEOUT_MS) }).catch(() => undefined);
        else body.destroy();
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
