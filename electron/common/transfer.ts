import type { TransferError } from './errors';
import type { DigestReference, Integrity } from './integrity';

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

/** What identifies the version of a file being uploaded: any change means "another file". */
export interface SourceFingerprint {
  size: number;
  mtimeMs: number;
  ino: number;
}

export type UploadProtocol = 'tus' | 'put';

export type HistoryKind = 'start' | 'resume' | 'restart' | 'repair' | 'retry' | 'error' | 'complete' | 'redirect' | 'relink' | 'captured';

export interface HistoryEntry {
  at: number;
  kind: HistoryKind;
  detail: Record<string, unknown>;
}
