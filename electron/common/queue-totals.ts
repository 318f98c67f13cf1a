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
}

export type CountedRow = Pick<TransferSummary, 'state' | 'speed' | 'total' | 'bytes'>;

export const EMPTY_TOTALS: Readonly<Totals> = Object.freeze({ all: 0, active: 0, queued: 0, paused: 0, completed: 0, failed: 0, speed: 0, done: 0, size: 0, unsized: 0 });

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
  else if (t.state === 'completed') totals.completed += sign;
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
