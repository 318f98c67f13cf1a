import type { Notice } from '../../common/service';
import type { TransferRecord } from '../../common/transfer';
import { displayName } from './summary';

/**
 * Endings become notices, one summary per burst: a queue of 200 that finishes together is
 * one "200 downloads completed", not 200 notifications. A burst ends after `quietMs`
 * without another ending, or after `maxDelayMs` at the latest.
 */
export class NoticeCollector {
  private completed: TransferRecord[] = [];
  private failed: TransferRecord[] = [];
  private quiet: ReturnType<typeof setTimeout> | null = null;
  private deadline: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly publish: (notice: Notice) => void,
    private readonly quietMs = 750,
    private readonly maxDelayMs = 3000,
  ) {}

  ended(record: TransferRecord): void {
    if (record.state === 'completed') this.completed.push(record);
    else if (record.state === 'failed') this.failed.push(record);
    else return;
    if (this.quiet) clearTimeout(this.quiet);
    this.quiet = setTimeout(() => this.flush(), this.quietMs);
    this.deadline ??= setTimeout(() => this.flush(), this.maxDelayMs);
  }

  flush(): void {
    for (const timer of [this.quiet, this.deadline]) if (timer) clearTimeout(timer);
    this.quiet = this.deadline = null;
    const { completed, failed } = this;
    this.completed = [];
    this.failed = [];
    if (failed.length > 0) this.publish(failedNotice(failed));
    if (completed.length > 0) this.publish(completedNotice(completed));
  }

  close(): void {
    for (const timer of [this.quiet, this.deadline]) if (timer) clearTimeout(timer);
    this.quiet = this.deadline = null;
  }
}

function noun(records: TransferRecord[]): string {
  const kinds = new Set(records.map((r) => r.direction));
  const word = kinds.size > 1 ? 'transfer' : kinds.has('upload') ? 'upload' : 'download';
  return records.length === 1 ? word : `${word}s`;
}

function names(records: TransferRecord[], limit = 3): string {
  const shown = records.slice(0, limit).map(displayName);
  return records.length > limit ? `${shown.join(', ')} and ${records.length - limit} more` : shown.join(', ');
}

function completedNotice(records: TransferRecord[]): Notice {
  const verified = records.filter((r) => r.integrity.status === 'verified').length;
  const proof =
    verified === records.length
      ? records.length === 1 ? 'Verified against its checksum.' : 'All verified against their checksums.'
      : verified > 0 ? `${verified} verified against a checksum; the others have their SHA-256 recorded.` : 'SHA-256 recorded (no checksum to compare with).';
  return {
    level: 'info',
    title: records.length === 1 ? `${displayName(records[0]!)} completed` : `${records.length} ${noun(records)} completed`,
    body: `${records.length === 1 ? '' : `${names(records)}. `}${proof}`,
    ids: records.map((r) => r.id),
  };
}

function failedNotice(records: TransferRecord[]): Notice {
  const first = records[0]!;
  return {
    level: 'error',
    title: records.length === 1 ? `${displayName(first)} failed` : `${records.length} ${noun(records)} failed`,
    body: records.length === 1 ? (first.error?.message ?? 'It stopped without a reason.') : `${names(records)}. First reason: ${first.error?.message ?? 'unknown'}`,
    ids: records.map((r) => r.id),
  };
}
