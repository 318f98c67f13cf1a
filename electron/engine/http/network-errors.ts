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

function codeOf(error: unknown): string {
  let e: unknown = error;
  // undici wraps socket errors; the interesting code may sit one level down.
  for (let depth = 0; depth < 3 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR' ) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return '';
}

/** A network-level failure in words a person can act on, classified for retry. */
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
    return transferError('tls', `The secure connection to ${host} failed (${code}): its certificate is not trusted; Ferry will not download over it.`, false);
  }
  if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return transferError('timeout', `${host} did not answer in time; Ferry will try again.`, true);
  }
  if (code === 'HPE_UNEXPECTED_CONTENT_LENGTH' || code.startsWith('HPE_') || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') {
    return transferError('server-broken', `${host} sent a malformed HTTP response (${code}).`, true);
  }
  const detail = code || (error instanceof Error ? error.message : String(error));
  return transferError('connection-reset', `The connection to ${host} broke (${detail}); Ferry will resume.`, true);
}
