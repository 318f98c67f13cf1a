import type { ResponseHeaders } from '../http/headers';

/**
 * The tus 1.0 protocol's vocabulary (tus.io/protocols/resumable-upload): what a server
 * says it can do, and how metadata and checksums are written.
 */
export const TUS_VERSION = '1.0.0';

/** What an OPTIONS request tells about a tus server. */
export interface TusCapabilities {
  versions: string[];
  extensions: Set<string>;
  maxSize: number | null;
  /** The checksum algorithm Ferry will use (the strongest both know), or null. */
  checksum: ChecksumChoice | null;
}

/** Node's name for a tus checksum algorithm, and the name the server knows it by. */
export interface ChecksumChoice {
  node: 'sha256' | 'sha512' | 'sha1' | 'md5';
  tus: string;
}

/** Strongest first: the first one the server lists is used. */
const CHECKSUMS: ChecksumChoice[] = [
  { node: 'sha256', tus: 'sha256' },
  { node: 'sha512', tus: 'sha512' },
  { node: 'sha1', tus: 'sha1' },
  { node: 'md5', tus: 'md5' },
];

const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);

/** Reads an OPTIONS response; null when the server does not speak tus 1.0. */
export function readCapabilities(headers: ResponseHeaders): TusCapabilities | null {
  const versions = list(headers.get('tus-version'));
  const resumable = headers.get('tus-resumable');
  if (!versions.includes(TUS_VERSION) && resumable !== TUS_VERSION) return null;
  const extensions = new Set(list(headers.get('tus-extension')));
  const max = Number(headers.get('tus-max-size'));
  const offered = list(headers.get('tus-checksum-algorithm'));
  const checksum = extensions.has('checksum') ? (CHECKSUMS.find((c) => offered.includes(c.tus)) ?? null) : null;
  return { versions, extensions, maxSize: Number.isSafeInteger(max) && max > 0 ? max : null, checksum };
}

/** `Upload-Metadata`: comma-separated `key base64(value)` pairs; empty values are left out. */
export function encodeMetadata(metadata: Record<string, string | null>): string {
  return Object.entries(metadata)
    .filter((entry): entry is [string, string] => entry[1] !== null && entry[1] !== '')
    .map(([key, value]) => `${key} ${Buffer.from(value, 'utf8').toString('base64')}`)
    .join(',');
}

/** A non-negative integer header (Upload-Offset, Upload-Length), or null. */
export function integerHeader(headers: ResponseHeaders, name: string): number | null {
  const value = headers.get(name)?.trim();
  if (!value || !/^\d+$/.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}

/** Whether `Upload-Expires` says the upload is gone. */
export function expired(headers: ResponseHeaders, now: number): boolean {
  const value = headers.get('upload-expires');
  if (!value) return false;
  const at = Date.parse(value);
  return !Number.isNaN(at) && at <= now;
}
