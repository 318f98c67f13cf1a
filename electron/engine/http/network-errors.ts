import { type TransferError, transferError, safeHost } from '../../common/errors';

const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
]);

/** The error code of a network failure, looked for through undici's wrappers; empty when none. */
export function codeOf(error: unknown): string {
  let e: unknown = error;
  // undici wraps socket errors; the interesting code may sit one level down.
  for (let depth = 0; depth < 3 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return '';
}

/**
 * An answer that is not HTTP/1.x at all: llhttp's "Expected HTTP/" (HPE_INVALID_CONSTANT at
 * the status line). undici 7 reports parser errors with `code` undefined (it looks the
 * numeric code up in a table keyed by name), so the name and reason are read as well.
 */
function notHttp(error: unknown, code: string): boolean {
  if (code === 'HPE_INVALID_CONSTANT') return true;
  const e = error as { name?: unknown; message?: unknown } | null;
  return e?.name === 'HTTPParserError' && typeof e.message === 'string' && e.message.includes('Expected HTTP/');
}

function parserError(error: unknown, code: string): boolean {
  return code.startsWith('HPE_') || (error as { name?: unknown } | null)?.name === 'HTTPParserError';
}

/**
 * A network-level failure in words a person can act on, classified for retry. The words
 * say what happened, never what Ferry does next: the same sentence is the final failure
 * once the attempt loop stops retrying (core/failure.ts `givenUp` says why it stopped).
 * Only the host is named: a URL's query or user info may hold a secret.
 */
export function describeNetworkError(error: unknown, url: string): TransferError {
  const host = safeHost(url);
  const code = codeOf(error);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NODATA') {
    return transferError('dns', `Cannot find the host ${host}: check the URL's spelling and your network connection.`, code === 'EAI_AGAIN');
  }
  if (code === 'ECONNREFUSED') {
    return transferError('connection-refused', `${host} refused the connection: the server is down or the port is wrong.`, true);
  }
  if (TLS_CODES.has(code) || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code.includes('CERT')) {
    return transferError('tls', `The secure connection to ${host} failed (${code}): its certificate is not trusted, and Ferry sends and receives nothing over such a connection.`, false);
  }
  if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return transferError('timeout', `${host} did not answer in time (${code}).`, true);
  }
  if (code === 'UND_ERR_HEADERS_OVERFLOW') {
    // Real servers send a few KiB of headers; a block this size is a misconfigured server
    // or something else at this address, and it will be the same on the next attempt.
    return transferError('server-broken', `${host} sent more response headers than Ferry reads (UND_ERR_HEADERS_OVERFLOW): a misconfigured server, or not the server this URL means; check the URL.`, false);
  }
  if (notHttp(error, code)) {
    return transferError(
      'server-broken',
      `${host} answered with something that is not HTTP/1.1 (no status line: an HTTP/0.9 server or another protocol on this port); check the URL's scheme and port.`,
      false,
    );
  }
  if (parserError(error, code) || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') {
    return transferError('server-broken', `${host} sent a malformed HTTP response (${code || 'HTTPParserError'}).`, true);
  }
  const detail = code || (error instanceof Error ? error.message : String(error));
  return transferError('connection-reset', `The connection to ${host} broke (${detail}).`, true);
}
