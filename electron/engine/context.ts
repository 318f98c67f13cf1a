import type { TransferError } from '../common/errors';
import type { Direction, TransferRecord, TransferState } from '../common/transfer';
import type { HashPool } from './hash/hash-pool';
import type { Logger } from './log';
import type { ChecksumFiles } from './references/checksum-files';
import type { Transport } from './http/transport';
import type { BandwidthLimiter } from './scheduler/bandwidth';
import type { RequestLimiter } from './scheduler/request-limiter';
import type { SecretBox } from './secrets';
import type { Limits } from './scheduler/limits';
import type { TusCapabilities } from './upload/tus';
import type { TransferStore } from './store/transfers';

/** Time, injectable so tests and the app agree on what "now" and "wait" mean. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

export interface DownloadTuning {
  /** No byte for this long means the request is dead: abort and resume it. */
  stallTimeoutMs: number;
  /**
   * Every block of this size gets its own SHA-256, so a bad block is fetched alone. Segments
   * start on block boundaries, so the block is also how evenly a file splits between
   * connections: 1 MiB keeps eight segments of a 200 MiB file within 1 MiB of each other.
   */
  blockSize: number;
  /** Bytes re-requested before a resume offset and compared with the disk. */
  overlapBytes: number;
  /** How often the partial is fsynced and its offset recorded. */
  checkpointIntervalMs: number;
  maxRedirects: number;
  /** Attempts in a row that move no byte before a download fails. */
  maxAttemptsWithoutProgress: number;
  /** The smallest part of a file worth its own connection in a segmented download. */
  minSegmentBytes: number;
  /** Pieces per connection in a segmented download (see pieceCount); 1 is one long request each. */
  piecesPerConnection: number;
  /** Restarts from 0 in one run before the server is declared unfit for ranges. */
  maxRestarts: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /**
   * Checksum files beside a download (references/): how long one may go without progress,
   * and how long the verdict waits for a search still running when the last byte arrives.
   */
  sidecarTimeoutMs: number;
}

export const DEFAULT_TUNING: DownloadTuning = {
  stallTimeoutMs: 30_000,
  blockSize: 1 << 20,
  overlapBytes: 64 << 10,
  checkpointIntervalMs: 250,
  maxRedirects: 10,
  maxAttemptsWithoutProgress: 5,
  maxRestarts: 5,
  minSegmentBytes: 4 << 20,
  piecesPerConnection: 4,
  retryBaseDelayMs: 500,
  retryMaxDelayMs: 30_000,
  sidecarTimeoutMs: 5_000,
};

/** What happens to transfers, as the engine tells its host (CLI, app window). */
export type EngineEvent =
  | { type: 'started'; id: string; direction: Direction; name: string; total: number | null; url: string }
  /** `segments` is how many connections' worth of segments go on (1 for a single stream). */
  | { type: 'resumed'; id: string; offset: number; validator: string | null; overlapBytes: number; segments: number }
  | { type: 'repaired'; id: string; blocks: number[] }
  | { type: 'restarted'; id: string; reason: string }
  | { type: 'retrying'; id: string; error: TransferError; delayMs: number }
  | { type: 'ended'; id: string; record: TransferRecord }
  | { type: 'state'; id: string; state: TransferState }
  | { type: 'removed'; id: string };

/**
 * Why a running transfer is being stopped, given as its AbortSignal's reason: the state it
 * is left in once its checkpoint is written. `queued` means it runs again when its turn
 * comes (a quit, a sleep, a lowered limit); `paused` waits for a person.
 */
export class StopRequest extends Error {
  constructor(readonly state: 'queued' | 'paused' | 'canceled') {
    super(`stopped: ${state}`);
    this.name = 'StopRequest';
  }
}

export interface EngineContext {
  store: TransferStore;
  transport: Transport;
  hashPool: HashPool;
  bandwidth: BandwidthLimiter;
  /** Requests in flight per host; segments only open a connection where there is room. */
  requests: RequestLimiter;
  /** The limits as they are now (they change while transfers run). */
  limits(): Limits;
  /** What each tus endpoint said it can do (OPTIONS), by endpoint URL. */
  tusServers: Map<string, TusCapabilities>;
  /** Checksum files fetched this run, by URL (asked once per folder however many files it holds). */
  sidecars: ChecksumFiles;
  clock: Clock;
  tuning: DownloadTuning;
  /** Opens sealed header values (secrets) when a transfer starts; null where none are kept. */
  secrets: SecretBox | null;
  /** The engine's log (log.ts); it redacts secrets itself. */
  log?: Logger;
  emit(event: EngineEvent): void;
}
