import type { TransferError } from '../common/errors';
import type { HistoryKind, TransferRecord } from '../common/transfer';
import type { EngineContext } from './context';
import { unsealHeaders } from './secrets';

/**
 * What a download and an upload share: the record as this task knows it, kept in step
 * with the store, its history, and how a transfer ends in failure.
 */
export abstract class TransferTask {
  protected rec: TransferRecord;

  constructor(
    protected readonly ctx: EngineContext,
    record: TransferRecord,
  ) {
    this.rec = record;
  }

  get record(): TransferRecord {
    return this.rec;
  }

  abstract run(signal: AbortSignal): Promise<TransferRecord>;
  abstract progress(): { bytes: number; total: number | null };

  /**
   * Opens sealed header values for the requests of this run. The opened values live in
   * this task's memory only; the store keeps them sealed.
   */
  protected async openHeaders(): Promise<void> {
    this.rec = { ...this.rec, headers: await unsealHeaders(this.ctx.secrets, this.rec.headers) };
  }

  /** Writes `changes` to the store and to the record this task holds. */
  protected save(changes: Partial<TransferRecord>): void {
    const now = this.ctx.clock.now();
    this.ctx.store.update(this.rec.id, changes, now);
    this.rec = { ...this.rec, ...changes, updatedAt: now };
  }

  protected history(kind: HistoryKind, detail: Record<string, unknown>): void {
    this.ctx.store.addHistory(this.rec.id, kind, detail, this.ctx.clock.now());
  }

  protected fail(error: TransferError): TransferRecord {
    this.history('error', { ...error });
    this.save({ state: 'failed', error });
    this.ctx.emit({ type: 'ended', id: this.rec.id, record: this.rec });
    return this.rec;
  }
}
