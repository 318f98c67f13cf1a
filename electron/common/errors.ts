/**
 * Expected failures as data. They cross process and transport boundaries as plain
 * objects because a thrown Error loses everything but its message on the way.
 */

export type TransferErrorCode =
  | 'bad-url'
  | 'unsupported-scheme'
  | 'dns'
  | 'connection-refused'
  | 'connection-reset'
  | 'tls'
  | 'timeout'
  | 'stalled'
  | 'http-status'
  | 'too-many-redirects'
  | 'server-broken'
  | 'disk-full'
  | 'not-writable'
  | 'source-changed'
  | 'integrity-mismatch'
  /** The checksum file a person named (--checksum-file) could not be read or does not describe the file. */
  | 'checksum-file'
  | 'canceled'
  | 'internal';

export interface TransferError {
  code: TransferErrorCode;
  /** One sentence a person can act on: what happened and what to do. */
  message: string;
  /** HTTP status when the server answered with one. */
  status?: number;
  /** Whether trying again later may succeed (network, 5xx, stall) or not (404, bad URL). */
  retryable: boolean;
}

/** A thrown carrier for a TransferError inside the engine; never crosses a boundary. */
export class TransferFailure extends Error {
  constructor(
    readonly detail: TransferError,
    /** A server's Retry-After, when it gave one. */
    readonly retryAfterMs?: number,
  ) {
    super(detail.message);
    this.name = 'TransferFailure';
  }
}

export function transferError(
  code: TransferErrorCode,
  message: string,
  retryable: boolean,
  status?: number,
): TransferError {
  return status === undefined ? { code, message, retryable } : { code, message, retryable, status };
}

/** What to tell a person about an HTTP status that ends a download. */
export function describeHttpStatus(status: number, url: string): TransferError {
  const host = safeHost(url);
  const hints: Record<number, string> = {
    400: 'the server rejected the request; check the URL',
    401: 'the server wants credentials; add them with --header "Authorization: ..."',
    403: 'the server refused access; the link may have expired or need a login',
    404: 'the file is not on the server; check the URL',
    405: 'the server does not allow downloading this URL with GET',
    408: 'the server timed out waiting; try again',
    410: 'the file was removed from the server; the link may have expired',
    429: 'the server is rate-limiting; try again later',
    451: 'the server will not serve this file for legal reasons',
    500: 'the server failed; try again later',
    502: 'a gateway in front of the server failed; try again later',
    503: 'the server is unavailable; try again later',
    504: 'a gateway timed out; try again later',
  };
  const hint = hints[status] ?? (status >= 500 ? 'the server failed; try again later' : 'check the URL and any headers');
  const retryable = status === 408 || status === 429 || status >= 500;
  return transferError('http-status', `HTTP ${status} from ${host}: ${hint}`, retryable, status);
}

export function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the server';
  }
}
