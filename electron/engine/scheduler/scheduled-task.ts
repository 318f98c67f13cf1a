import type { TransferRecord } from '../../common/transfer';
import type { EngineContext } from '../context';

/**
 * What the queue needs of a running transfer (DownloadTask and UploadTask are such tasks):
 * the queue starts it, asks how far it got, and reads its last record when it ends badly.
 */
export interface ScheduledTask {
  run(signal: AbortSignal): Promise<TransferRecord>;
  progress(): { bytes: number; total: number | null };
  readonly record: TransferRecord;
}

/**
 * Makes the task that runs a record. The engine passes the one that knows the task
 * classes, so the queue imports none of them (and tests can give it tasks of their own).
 */
export type TaskFactory = (record: TransferRecord, ctx: EngineContext) => ScheduledTask;
