import type { SumsEntry } from './sums-parser';

/**
 * What a download asks of the engine's checksum files (sidecar-cache.ts implements it), said
 * here so the engine's context can hold one without importing how it is fetched.
 */

/** A checksum file read and parsed, or why not (`definitive`: asking again would not help). */
export type ChecksumFileAnswer = { ok: true; entries: SumsEntry[] } | { ok: false; definitive: boolean; why: string };

/** The request headers for a URL, decided by the download's own origin rule (http/headers.ts). */
export type HeadersFor = (target: URL) => Record<string, string>;

export interface ChecksumFiles {
  /** Whether Ferry searches origins for checksum files at all (the sidecarLookup setting). */
  searching: boolean;
  /**
   * The checksum file at `url`, asked for once however many downloads want it (per set of
   * headers, for a while). `anyOrigin`: a person named it, so a redirect may lead anywhere;
   * otherwise a redirect to another origin is not followed.
   */
  fetch(url: string, headersFor: HeadersFor, anyOrigin: boolean): Promise<ChecksumFileAnswer>;
  /** A checksum file on this machine, as a person named it. */
  readLocal(file: string): Promise<ChecksumFileAnswer>;
  /** Stops every request in flight (the engine closes). */
  close(): void;
}
