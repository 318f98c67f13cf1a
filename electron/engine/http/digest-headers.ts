import type { DigestAlgorithm, DigestReference, DigestSource } from '../../common/integrity';
import { DIGEST_HEX_LENGTH } from '../../common/integrity';
import type { ResponseHeaders } from './headers';

/**
 * Reference digests a server offers. RFC 9530 Repr-Digest covers the whole representation
 * and is valid on any response; Content-Digest and Content-MD5 cover only this response's
 * content, so they count only on a full 200; RFC 3230 Digest covers the instance.
 */

/** Sent with every request: we prefer SHA-256, accept SHA-512 (RFC 9530 section 4). */
export const WANT_REPR_DIGEST = 'sha-256=10, sha-512=3';

const STRENGTH: DigestAlgorithm[] = ['sha512', 'sha256', 'sha1', 'md5'];

export function serverDigestReference(headers: ResponseHeaders, fullResponse: boolean): DigestReference | null {
  const candidates: Array<[string | undefined, (v: string) => Map<DigestAlgorithm, string>, DigestSource, boolean]> = [
    [headers.get('repr-digest'), parseStructuredDigest, 'repr-digest', true],
    [headers.get('content-digest'), parseStructuredDigest, 'content-digest', fullResponse],
    [headers.get('digest'), parseLegacyDigest, 'digest', true],
    [headers.get('content-md5'), parseContentMd5, 'content-md5', fullResponse],
  ];
  for (const [value, parse, source, applies] of candidates) {
    if (!value || !applies) continue;
    const found = parse(value);
    for (const algorithm of STRENGTH) {
      const hex = found.get(algorithm);
      if (hex) return { algorithm, hex, source };
    }
  }
  return null;
}

/** RFC 9530 dictionary: `sha-256=:BASE64:, sha-512=:BASE64:` (parameters ignored). */
export function parseStructuredDigest(value: string): Map<DigestAlgorithm, string> {
  const names: Record<string, DigestAlgorithm> = { 'sha-256': 'sha256', 'sha-512': 'sha512' };
  const out = new Map<DigestAlgorithm, string>();
  for (const member of value.split(',')) {
    const m = /^\s*([a-z0-9*_.-]+)\s*=\s*:([A-Za-z0-9+/=]*):/.exec(member);
    const algorithm = m && names[m[1]!];
    if (algorithm) addIfValid(out, algorithm, m[2]!);
  }
  return out;
}

/** RFC 3230: `SHA-256=BASE64, MD5=BASE64, SHA=BASE64`, algorithm names case-insensitive. */
export function parseLegacyDigest(value: string): Map<DigestAlgorithm, string> {
  const names: Record<string, DigestAlgorithm> = { 'sha-256': 'sha256', 'sha-512': 'sha512', sha: 'sha1', md5: 'md5' };
  const out = new Map<DigestAlgorithm, string>();
  for (const member of value.split(',')) {
    const eq = member.indexOf('=');
    if (eq < 0) continue;
    const algorithm = names[member.slice(0, eq).trim().toLowerCase()];
    if (algorithm) addIfValid(out, algorithm, member.slice(eq + 1).trim());
  }
  return out;
}

export function parseContentMd5(value: string): Map<DigestAlgorithm, string> {
  const out = new Map<DigestAlgorithm, string>();
  addIfValid(out, 'md5', value.trim());
  return out;
}

function addIfValid(out: Map<DigestAlgorithm, string>, algorithm: DigestAlgorithm, base64: string): void {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return;
  const hex = Buffer.from(base64, 'base64').toString('hex');
  if (hex.length === DIGEST_HEX_LENGTH[algorithm]) out.set(algorithm, hex);
}
