import type { HistoryKind, TransferRecord } from '../../common/transfer';
import type { EngineContext } from '../context';
import type { LivePartial } from './live-partial';
import type { SegmentedPartial } from './segmented-partial';

/** The bytes we hold cannot be continued: start again from 0, for the reason given. */
export class RestartRequired extends Error {
  constructor(
    readonly reason: string,
    /** Why, beyond the sentence: bytes a checksum refused (their link is not to be trusted again this run), or a 206 judged bad (rule 3; under parallel requests, a host that breaks ranges). */
    readonly kind: 'bad-bytes' | 'bad-range' | null = null,
  ) {
    super(reason);
    this.name = 'RestartRequired';
  }
}

/**
 * What the parts of a download (fetcher, body pump, checkpointer, segmented run, partial
 * check, finalizer) share: the engine, the record kept in step with the store, and the
 * partial this run holds open, one stream (`live`) or several segments (`seg`).
 */
export interface DownloadJob {
  readonly ctx: EngineContext;
  readonly rec: TransferRecord;
  live: LivePartial | null;
  seg: SegmentedPartial | null;
  save(changes: Partial<TransferRecord>): void;
  /** Takes changes the store already holds (written by a checkpoint's own transaction). */
  adopt(changes: Partial<TransferRecord>): void;
  /** save, with the store's next batch: only for a write whose loss to a crash is harmless (store/write-batch.ts). */
  saveLater(changes: Partial<TransferRecord>, clearBlocks?: boolean): void;
  /** save, with the store's batch of this turn: act only once it resolves (store/write-batch.ts). */
  saveInBatch(changes: Partial<TransferRecord>): Promise<void>;
  history(kind: HistoryKind, detail: Record<string, unknown>): void;
  partialPath(): string;
  /** Before the verdict: a checksum file still being looked up is waited for, briefly (references/sidecar-lookup.ts). */
  settleReferences?(): Promise<void>;
}
