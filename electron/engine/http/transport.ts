import type { ResponseHeaders } from './headers';

/**
 * How the engine speaks HTTP. It is handed one: undici in Node, Electron's session.fetch
 * in the app (system proxy and certificates). A transport never follows redirects (the
 * engine does, to record the chain) and never decodes content (the engine decides).
 */
export interface HttpRequest {
  url: URL;
  method: 'GET' | 'HEAD' | 'OPTIONS' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  headers: Record<string, string>;
  /** A request body (uploads), whole or pulled as the connection takes it; its length goes in the headers. */
  body?: Uint8Array | AsyncIterable<Uint8Array>;
  signal: AbortSignal;
  /**
   * Told when the request waits in Ferry's own queue (its host's slots are taken) and when
   * it leaves it: time spent waiting on Ferry's own limits is never a network stall.
   */
  queue?: { waiting(): void; granted(): void };
}

export interface HttpResponse {
  status: number;
  headers: ResponseHeaders;
  body: AsyncIterable<Uint8Array>;
  /** Stops reading the body and releases the connection. */
  discard(): void;
  /**
   * Runs `hook` once the reader is done with the body: it ended, failed or was discarded. A transport that can
   * tell offers it, so a wrapper needs no extra layer around every chunk of the body.
   */
  onBodyReleased?(hook: () => void): void;
  /**
   * The transport already decoded the Content-Encoding (a fetch implementation cannot be
   * told not to): the engine must not decode again, and cannot check a digest of the
   * encoded bytes. Such a response is never resumed either way (rule 2).
   */
  decoded?: boolean;
}

export interface Transport {
  request(request: HttpRequest): Promise<HttpResponse>;
  /**
   * Drops every pooled connection, e.g. after a sleep or a network change, when sockets
   * look open but are dead; requests in flight on them fail and are resumed.
   */
  reset(): Promise<void>;
  close(): Promise<void>;
}
