import type { Notice } from '../../common/service';
import type { Direction, TransferRecord } from '../../common/transfer';
import { displayName } from './summary';

/**
 * One ending as it was when it happened. The engine hands over its live record, which a
 * retry changes at once (the error cleared, the state queued again): the notice must tell
 * what happened, not what the record says by the time the burst is over.
 */
interface Ending {
  id: string;
  direction: Direction;
  name: string;
  state: 'completed' | 'failed';
  verified: boolean;
  /** Why it failed, in the engine's words; null for a completion. */
  reason: string | null;
}

/** How many failed files a notice names with their reasons; the rest are counted by name. */
const REASONS_SHOWN = 3;
/** How many completed files a notice names. */
const NAMES_SHOWN = 3;
/** Past this many, the failures beyond the first few are counted, not named. */
const MORE_NAMED = 3;

/**
 * Endings become notices, one summary per burst: a queue of 200 that finishes together is
 * one "200 downloads completed", not 200 notifications. A burst ends after `quietMs`
 * without another ending, or after `maxDelayMs` at the latest. Within a burst everything is
 * told in the order it finished: the names in a notice, and the notices themselves (the
 * completions first when a completion came first).
 */
export class NoticeCollector {
  /** In finish order; a transfer that ends again in the same burst moves to its new place. */
  private endings = new Map<string, Ending>();
  private quiet: ReturnType<typeof setTimeout> | null = null;
  private deadline: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly publish: (notice: Notice) => void,
    private readonly quietMs = 750,
    private readonly maxDelayMs = 3000,
  ) {}

  ended(record: TransferRecord): void {
    if (record.state !== 'completed' && record.state !== 'failed') return;
    this.endings.delete(record.id);
    this.endings.set(record.id, {
      id: record.id,
      direction: record.direction,
      name: displayName(record),
      state: record.state,
      verified: record.integrity.status === 'verified',
      reason: record.state === 'failed' ? (record.error?.message ?? null) : null,
    });
    if (this.quiet) clearTimeout(this.quiet);
    this.quiet = setTimeout(() => this.flush(), this.quietMs);
    this.deadline ??= setTimeout(() => this.flush(), this.maxDelayMs);
  }

  flush(): void {
    this.close();
    const endings = [...this.endings.values()];
    this.endings.clear();
    const completed = endings.filter((e) => e.state === 'completed');
    const failed = endings.filter((e) => e.state === 'failed');
    const notices: Array<[first: Ending, notice: Notice]> = [];
    if (completed.length > 0) notices.push([completed[0]!, completedNotice(completed)]);
    if (failed.length > 0) notices.push([failed[0]!, failedNotice(failed)]);
    notices.sort(([a], [b]) => endings.indexOf(a) - endings.indexOf(b));
    for (const [, notice] of notices) this.publish(notice);
  }

  close(): void {
    for (const timer of [this.quiet, this.deadline]) if (timer) clearTimeout(timer);
    this.quiet = this.deadline = null;
  }
}

function noun(endings: Ending[]): string {
  const kinds = new Set(endings.map((e) => e.direction));
  const word = kinds.size > 1 ? 'transfer' : kinds.has('upload') ? 'upload' : 'download';
  return endings.length === 1 ? word : `${word}s`;
}

function names(endings: Ending[]): string {
  const shown = endings.slice(0, NAMES_SHOWN).map((e) => e.name);
  return endings.length > NAMES_SHOWN ? `${shown.join(', ')} and ${endings.length - NAMES_SHOWN} more` : shown.join(', ');
}

/**
 * A reason as the second half of "clip.mp4 failed: …": its first letter lowered, unless it
 * starts a word in capitals (HTTP, DNS, TLS).
 */
function reasonAfterName(reason: string): string {
  return /^[A-Z][a-z]/.test(reason) ? reason[0]!.toLowerCase() + reason.slice(1) : reason;
}

function completedNotice(endings: Ending[]): Notice {
  const verified = endings.filter((e) => e.verified).length;
  const proof =
    verified === endings.length
      ? endings.length === 1 ? 'Verified against its checksum.' : 'All verified against their checksums.'
      : verified > 0 ? `${verified} verified against a checksum; the others have their SHA-256 recorded.` : 'SHA-256 recorded (no checksum to compare with).';
  return {
    level: 'info',
    title: endings.length === 1 ? `${endings[0]!.name} completed` : `${endings.length} ${noun(endings)} completed`,
    body: `${endings.length === 1 ? '' : `${names(endings)}. `}${proof}`,
    ids: endings.map((e) => e.id),
  };
}

/** Each failed file with its own reason, one a line: the reasons differ, and each says what to do. */
function failedNotice(endings: Ending[]): Notice {
  const ids = endings.map((e) => e.id);
  const unknown = 'It stopped without a reason.';
  if (endings.length === 1) return { level: 'error', title: `${endings[0]!.name} failed`, body: endings[0]!.reason ?? unknown, ids };
  const lines = endings.slice(0, REASONS_SHOWN).map((e) => `${e.name} failed: ${reasonAfterName(e.reason ?? unknown)}`);
  const rest = endings.slice(REASONS_SHOWN);
  if (rest.length > MORE_NAMED) lines.push(`And ${rest.length} more.`);
  else if (rest.length > 0) lines.push(`And ${rest.length} more: ${rest.map((e) => e.name).join(', ')}.`);
  return { level: 'error', title: `${endings.length} ${noun(endings)} failed`, body: lines.join('\n'), ids };
}
