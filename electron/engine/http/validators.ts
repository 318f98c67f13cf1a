import type { ResponseHeaders } from './headers';

/**
 * What we remember about a representation to ask the server "only if it is still the
 * same": DESIGN.md section 3, rule 1.
 */
export interface Validators {
  etag: string | null;
  lastModified: string | null;
  /** The If-Range value when the validator is strong; null means "cannot promise the same bytes". */
  ifRange: string | null;
}

export function readValidators(headers: ResponseHeaders): Validators {
  const etag = headers.get('etag')?.trim() || null;
  const lastModified = headers.get('last-modified')?.trim() || null;
  return { etag, lastModified, ifRange: strongValidator(etag, lastModified, headers.get('date')) };
}

/**
 * An ETag without W/ is strong. A Last-Modified counts as strong only when it is at least
 * one second older than the response's Date (RFC 9110 8.8.2.2): otherwise the file may have
 * changed within the same second and the date cannot tell the versions apart.
 */
export function strongValidator(etag: string | null, lastModified: string | null, date: string | undefined): string | null {
  if (etag && !etag.startsWith('W/') && !etag.startsWith('w/')) return etag;
  if (!lastModified || !date) return null;
  const lm = Date.parse(lastModified);
  const served = Date.parse(date);
  if (Number.isNaN(lm) || Number.isNaN(served)) return null;
  return served - lm >= 1000 ? lastModified : null;
}

/**
 * Whether a response's validators contradict the ones recorded: a different ETag (or,
 * without ETags, a different Last-Modified) means the server now holds another version.
 */
export function validatorsChanged(recorded: Validators, now: Validators): boolean {
  if (recorded.etag && now.etag) return recorded.etag !== now.etag;
  if (recorded.lastModified && now.lastModified) return recorded.lastModified !== now.lastModified;
  return false;
}
