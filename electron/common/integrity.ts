/**
 * The integrity vocabulary (shared/DESIGN.md section 2). Every finished transfer carries
 * exactly one verdict; the UI and the CLI's JSON show these words unchanged.
 */

export type IntegrityStatus = 'verified' | 'unverified' | 'mismatch' | 'pending';

/** Where a reference digest came from. */
export type DigestSource =
  | 'user'
  | 'repr-digest'
  | 'content-digest'
  | 'digest'
  | 'content-md5'
  /** A checksum file (SHA256SUMS, <file>.sha256...) found beside the download on its origin, or named by the person. */
  | 'sidecar'
  | 'metalink'
  | 'tus-checksum'
  | 'server-digest';

/** What a match with a reference from each source proves, and what it does not (a source added later gets the general sentence). */
const REFERENCE_MEANINGS: Readonly<Partial<Record<DigestSource, string>>> = {
  user: 'The checksum given with the download: a match proves these are the bytes it names, as far as you trust where you got it.',
  'repr-digest': 'The server sent the checksum with the file: a match proves the transfer was intact, not who made the file.',
  'content-digest': 'The server sent the checksum with the file: a match proves the transfer was intact, not who made the file.',
  digest: 'The server sent the checksum with the file: a match proves the transfer was intact, not who made the file.',
  'content-md5': 'The server sent the checksum with the file: a match proves the transfer was intact, not who made the file.',
  sidecar:
    'A checksum file published beside the download: a match proves the transfer delivered the bytes the site holds (transport integrity), not who made the file; whoever can change the file there can change its checksum too.',
  metalink: 'The Metalink gave this checksum for the file: a match proves the bytes are the ones it describes, whichever mirror sent them; trust rests on where the Metalink came from.',
  'tus-checksum': 'The server checked every chunk it received against its checksum: the upload arrived intact.',
  'server-digest': 'The server reported the checksum of what it stored: the upload arrived intact.',
};

export function referenceMeaning(source: DigestSource): string {
  return REFERENCE_MEANINGS[source] ?? 'A match proves the bytes are the ones the reference names, not who made them.';
}

export const DIGEST_ALGORITHMS = ['sha256', 'sha512', 'sha1', 'md5'] as const;
export type DigestAlgorithm = (typeof DIGEST_ALGORITHMS)[number];

/** Hex length of each algorithm's digest, used to validate user input. */
export const DIGEST_HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = {
  sha256: 64,
  sha512: 128,
  sha1: 40,
  md5: 32,
};

export interface Integrity {
  status: IntegrityStatus;
  algorithm: DigestAlgorithm | null;
  /** Reference digest, lowercase hex; null when none existed. */
  expected: string | null;
  /** Digest of the bytes we hold, lowercase hex, same algorithm as `algorithm`. */
  actual: string | null;
  source: DigestSource | null;
}

/** A digest we can check a transfer against. */
export interface DigestReference {
  algorithm: DigestAlgorithm;
  /** lowercase hex */
  hex: string;
  source: DigestSource;
}

export const PENDING_INTEGRITY: Integrity = Object.freeze({
  status: 'pending',
  algorithm: null,
  expected: null,
  actual: null,
  source: null,
});

/**
 * The verdict for finished bytes: `actual` holds the digests we computed, by algorithm.
 * Without a reference the verdict is `unverified` and still carries the SHA-256.
 */
export function judgeIntegrity(
  reference: DigestReference | null,
  actual: Partial<Record<DigestAlgorithm, string>>,
): Integrity {
  if (!reference) {
    return { status: 'unverified', algorithm: 'sha256', expected: null, actual: actual.sha256 ?? null, source: null };
  }
  const got = actual[reference.algorithm] ?? null;
  return {
    status: got !== null && got === reference.hex ? 'verified' : 'mismatch',
    algorithm: reference.algorithm,
    expected: reference.hex,
    actual: got,
    source: reference.source,
  };
}

/** Parses `ALGO:HEX` as given to `--checksum`; returns an error sentence on bad input. */
export function parseChecksumArgument(text: string): DigestReference | string {
  const colon = text.indexOf(':');
  if (colon < 0) return `checksum "${text}" must look like ALGO:HEX, for example sha256:9f86d08...`;
  const algorithm = text.slice(0, colon).trim().toLowerCase().replace('-', '');
  const hex = text.slice(colon + 1).trim().toLowerCase();
  if (!(DIGEST_ALGORITHMS as readonly string[]).includes(algorithm)) {
    return `checksum algorithm "${text.slice(0, colon)}" is not supported; use one of ${DIGEST_ALGORITHMS.join(', ')}`;
  }
  const algo = algorithm as DigestAlgorithm;
  const want = DIGEST_HEX_LENGTH[algo];
  if (!/^[0-9a-f]*$/.test(hex) || hex.length !== want) {
    return `checksum for ${algo} must be ${want} hexadecimal characters, got ${hex.length === 0 ? 'none' : `"${hex}"`}`;
  }
  return { algorithm: algo, hex, source: 'user' };
}

/**
 * A checksum file's web address with a user name or password in it is not taken (the CLI's
 * --checksum-file, the service's addDownloads): Ferry would keep it, password and all, with
 * the download, and show it (found in review). The sentence says the way out.
 */
export const CHECKSUM_FILE_USERINFO =
  'a checksum file address with a user name or password in it (user:pass@) is not taken: Ferry would have to keep the password with the download. Drop it from the address, or download the checksum file and give its path';

/** Whether a web address carries user information (user:pass@ or user@). */
export function hasUserinfo(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.username !== '' || parsed.password !== '';
  } catch {
    return false;
  }
}
