import type { TransferError } from './errors';
import type { DigestAlgorithm, DigestReference, Integrity } from './integrity';

export type Direction = 'download' | 'upload';

/**
 * queued: waiting its turn, also after a quit, a crash or a sleep; active: moving bytes;
 * paused: stopped by a person, resumable; completed / failed / canceled: ended (failed and
 * canceled ones can be retried).
 */
export type TransferState = 'queued' | 'active' | 'paused' | 'completed' | 'failed' | 'canceled';

/** Everything the engine knows about one transfer, as stored. */
export interface TransferRecord {
  id: string;
  direction: Direction;
  state: TransferState;
  /** The URL as the person gave it (the start of the redirect chain). */
  url: string;
  dir: string;
  requestedName: string | null;
  /** The final file name, chosen at the first response. */
  name: string | null;
  /** Where the finished file lives; null until completed. */
  path: string | null;
  headers: Array<[string, string]>;
  userChecksum: DigestReference | null;
  /** A reference digest the server offered for the current version. */
  serverChecksum: DigestReference | null;
  /** Checksum files beside the download (DESIGN.md section 10); null: search as the settings say. */
  sidecar: SidecarState | null;
  total: number | null;
  /** Bytes of the partial covered by the last durable checkpoint. */
  offset: number;
  etag: string | null;
  lastModified: string | null;
  /** The strong validator sent as If-Range; null when the server gave none. */
  ifRange: string | null;
  effectiveUrl: string | null;
  urlChain: string[];
  /**
   * Other links to the same file (a Metalink's mirrors), tried in order when the current
   * one fails; a link is taken only when it serves the bytes already held (relink.ts).
   */
  mirrors: string[];
  /** A Metalink's piece hashes: a whole-file mismatch repairs just the pieces that differ, from another link. */
  pieces: PieceHashes | null;
  /** The response had a Content-Encoding: it is decoded and never resumed. */
  encoded: boolean;
  blockSize: number;
  /** SHA-256 of the bytes from the last block boundary up to `offset`. */
  tailDigest: string | null;
  sha256: string | null;
  integrity: Integrity;
  error: TransferError | null;
  resumes: number;
  restarts: number;
  /** Uploads: the local file sent, its fingerprint, and how it is sent. */
  source: string | null;
  fingerprint: SourceFingerprint | null;
  protocol: UploadProtocol | null;
  /** The path inside a dropped folder, sent to the server as relativePath. */
  relativePath: string | null;
  /** tus: the upload's own URL, from the creation response. */
  uploadUrl: string | null;
  /**
   * Uploads: the end of the bytes sent or being sent, written before each request, so a
   * server offset beyond it is known to be somebody else's doing.
   */
  sentUpTo: number;
  priority: number;
  seq: number;
  createdAt: number;
  updatedAt: number;
  completedAt: number | null;
}

/**
 * A download's checksum files (DESIGN.md section 10): whether Ferry may search the origin,
 * the one a person named, and what was found, kept so a resumed download never asks again.
 */
export interface SidecarState {
  /** False: never search the origin for one (--no-sidecar). */
  search: boolean;
  /** The checksum file a person named (--checksum-file): a URL, or an absolute path on this machine. */
  named: string | null;
  found: SidecarFound | null;
  /** The search ended, every candidate answered, and none describes the file: not asked again. */
  none?: boolean;
}

/** A digest for the download, read from a checksum file. */
export interface SidecarFound {
  algorithm: DigestAlgorithm;
  /** lowercase hex */
  hex: string;
  /** The checksum file's URL (or, for a named local file, its path). */
  from: string;
  /** The name its line gave the file; null for a bare digest. */
  name: string | null;
}

/** What identifies the version of a file being uploaded: any change means "another file". */
export interface SourceFingerprint {
  size: number;
  mtimeMs: number;
  ino: number;
}

export type UploadProtocol = 'tus' | 'put';

/** Digests of consecutive `length`-byte pieces of a file (RFC 5854 <pieces>). */
export interface PieceHashes {
  length: number;
  algorithm: DigestAlgorithm;
  hashes: string[];
}

export type HistoryKind = 'start' | 'resume' | 'restart' | 'repair' | 'retry' | 'error' | 'complete' | 'redirect' | 'relink' | 'captured' | 'reference';

export interface HistoryEntry {
  at: number;
  kind: HistoryKind;
  detail: Record<string, unknown>;
}
