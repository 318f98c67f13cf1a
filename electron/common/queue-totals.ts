import type { TransferSummary } from './service';

/** What a summary of the queue shows: the window's tabs and summary bar, the dock and tray. */
export interface Totals {
  all: number;
  active: number;
  /** Waiting their turn. */
  queued: number;
  /** Stopped by a person until resumed. */
  paused: number;
  completed: number;
  failed: number;
  /** Bytes per second of everything moving. */
  speed: number;
  /** Bytes held and total size of the unfinished transfers whose size is known. */
  done: number;
  size: number;
  /** Unfinished transfers whose size is not known yet (an upload not started, a chunked answer). */
  unsized: number;
  /** Bytes of the completed transfers. */
  completedBytes: number;
}

export type CountedRow = Pick<TransferSummary, 'state' | 'speed' | 'total' | 'bytes'>;

export const EMPTY_TOTALS: Readonly<Totals> = Object.freeze({ all: 0, active: 0, queued: 0, paused: 0, completed: 0, failed: 0, speed: 0, done: 0, size: 0, unsized: 0, completedBytes: 0 });

/**
 * Adds (sign 1) or takes away (sign -1) one row's share, so totals follow a batch from the
 * rows it changed alone instead of a walk over every row.
 */
export function countRow(totals: Totals, t: CountedRow, sign: 1 | -1): void {
  totals.all += sign;
  if (t.state === 'active') {
    totals.active += sign;
    totals.speed += sign * t.speed;
  } else if (t.state === 'queued') totals.queued += sign;
  else if (t.state === 'paused') totals.paused += sign;
  else if (t.state === 'completed') {
    totals.completed += sign;
    totals.completedBytes += sign * t.bytes;
  }
  else totals.failed += sign;
  if (t.state === 'active' || t.state === 'queued' || t.state === 'paused') {
    if (t.total) {
      totals.size += sign * t.total;
      totals.done += sign * Math.min(t.bytes, t.total);
    } else totals.unsized += sign;
  }
}

export function totals(rows: Iterable<CountedRow>): Totals {
  const out = { ...EMPTY_TOTALS };
  for (const t of rows) countRow(out, t, 1);
  return out;
}

/**
 * What had finished when the current run of work began: the summary measures the run (what
 * was added since the queue was last idle) from there, so a transfer that finishes moves the
 * bar forward instead of leaving the sums.
 */
export type RunStart = Pick<Totals, 'completed' | 'failed' | 'completedBytes'>;

export const runStart = (t: Totals): RunStart => ({ completed: t.completed, failed: t.failed, completedBytes: t.completedBytes });

export interface RunProgress {
  /** The run's transfers: those that finished since it began, and those left. */
  count: number;
  completed: number;
  failed: number;
  left: number;
  /** When every transfer left has a known size: bytes held and in all, those completed in the run included. */
  bytes: { done: number; size: number } | null;
  /**
   * 0..1; null when no run was seen. By bytes when every size left is known; else by
   * transfers, each counting as one and those of known size by the share of bytes they hold.
   */
  fraction: number | null;
}

/** How far the run that began at `start` (null: none seen yet) has come. */
export function runProgress(t: Totals, start: RunStart | null): RunProgress {
  const left = t.active + t.queued + t.paused;
  const from = start ?? runStart(t);
  // Removing finished rows during a run can take the counts below where it began.
  const completed = Math.max(0, t.completed - from.completed);
  const failed = Math.max(0, t.failed - from.failed);
  const finishedBytes = Math.max(0, t.completedBytes - from.completedBytes);
  const count = completed + failed + left;
  const bytes = left > 0 && t.unsized === 0 && t.size > 0 ? { done: finishedBytes + t.done, size: finishedBytes + t.size } : null;
  const sized = left - t.unsized;
  const fraction = count === 0 ? null : left === 0 ? 1 : bytes ? bytes.done / bytes.size : (completed + failed + (t.size > 0 ? (sized * t.done) / t.size : 0)) / count;
  return { count, completed, failed, left, bytes, fraction };
}
