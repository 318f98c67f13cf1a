/**
 * The dock and taskbar: a progress bar over everything unfinished, and a badge. Pure:
 * index.ts passes the answer to BrowserWindow.setProgressBar and app.setBadgeCount.
 */
import type { QueueTotals } from './queue-watch';

/**
 * Electron's setProgressBar arguments: `progress` below 0 removes the bar, above 1 makes it
 * indeterminate (macOS and Windows); `mode` colours it on Windows (elsewhere it is ignored,
 * so the value alone must tell the truth).
 */
export interface TaskbarProgress {
  progress: number;
  mode: 'none' | 'normal' | 'indeterminate' | 'error' | 'paused';
}

export const NO_PROGRESS: Readonly<TaskbarProgress> = Object.freeze({ progress: -1, mode: 'none' });
const INDETERMINATE = 2;

/**
 * The bar for the queue's totals:
 * - nothing unfinished: no bar;
 * - sizes known: the fraction of their bytes held, red when something failed in this run,
 *   yellow when nothing will move until a person resumes it (everything left is paused);
 * - moving but no size known yet (a chunked answer, an upload not started): indeterminate;
 * - only paused or waiting transfers of unknown size: no bar (a 0% bar would claim a start).
 */
export function taskbarProgress(totals: QueueTotals): TaskbarProgress {
  const unfinished = totals.active + totals.queued + totals.paused;
  if (unfinished === 0) return NO_PROGRESS;
  if (totals.progress !== null) {
    const mode = totals.active + totals.queued === 0 ? 'paused' : totals.failedThisRun > 0 ? 'error' : 'normal';
    return { progress: Math.min(1, Math.max(0, totals.progress)), mode };
  }
  if (totals.active > 0) return { progress: INDETERMINATE, mode: 'indeterminate' };
  return NO_PROGRESS;
}

/**
 * The dock badge: what Ferry still has to do by itself, moving or waiting its turn. Paused
 * transfers are not counted: they wait for a person, and a badge that never goes down
 * would teach people to ignore it.
 */
export function badgeCount(totals: QueueTotals): number {
  return totals.active + totals.queued;
}
