import type { DigestAlgorithm } from '../../common/integrity';

/**
 * Messages between the engine and a hashing worker. A session is one running digest
 * computation; bytes arrive either as shared buffers the engine fills (the bytes it also
 * writes to disk) or are read from a file by the worker (the prefix of a resumed partial).
 */
export type ToWorker =
  /** `start` is where the session's bytes begin in the file (a block boundary). */
  /** `buffers`: shared memory on a hashing thread; plain memory only in a session on the engine's own thread. */
  /** `stream`: a fresh stream on the engine's thread (HashPool.takesStreamInline), longer than one block. */
  | { op: 'open'; sid: number; algorithms: DigestAlgorithm[]; blockSize: number; start: number; buffers: SharedArrayBuffer[] | ArrayBuffer[]; stream?: true }
  | { op: 'update'; sid: number; buffer: number; length: number }
  | { op: 'snapshot'; sid: number; req: number }
  | { op: 'feedFile'; sid: number; req: number; path: string; from: number; to: number }
  /** Checks blocks from `from` (a block boundary) up to `upTo`; expected[i] is block from/blockSize + i. */
  | { op: 'verify'; sid: number; req: number; path: string; from: number; upTo: number; expected: Array<string | null>; tail: string | null }
  | { op: 'final'; sid: number; req: number }
  | { op: 'close'; sid: number };

export interface SnapshotReply {
  offset: number;
  /** Blocks completed since the previous snapshot: index and block digest (block-digest.ts). */
  blocks: Array<[number, string]>;
  /** The block digest of the bytes since the last block boundary; null at a boundary. */
  tail: string | null;
}

export interface VerifyReply {
  /** Indexes of blocks whose bytes on disk no longer match (the tail counts as its block). */
  bad: number[];
  /** The file was shorter than upTo. */
  short: boolean;
}

export type FromWorker =
  | { op: 'ack'; sid: number; buffer: number }
  | { op: 'reply'; sid: number; req: number; value: unknown }
  /** `code` is the errno code (ENOENT, EIO...) when there was one: it decides what a person is told. */
  | { op: 'fail'; sid: number; req: number | null; message: string; code?: string };
