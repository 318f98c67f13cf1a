/**
 * The question before quitting with transfers moving: the words and the choices. Pure:
 * index.ts shows it with dialog.showMessageBox.
 */
import type { QueueTotals } from './queue-watch';

export interface QuitQuestion {
  message: string;
  detail: string;
  buttons: string[];
  /** The button that quits; every other keeps Ferry running. */
  quitId: number;
  /** Enter picks keeping on, and so do Escape and closing the box: quitting takes a deliberate click. */
  defaultId: number;
  cancelId: number;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Null when nothing moves (waiting and paused transfers lose nothing: they are stored as
 * they are). Otherwise what is moving and what quitting costs, without promising more than
 * the engine keeps: progress is saved, but a download its server cannot resume safely
 * starts over (DESIGN 3.1), and so does an upload sent with plain PUT, which cannot resume.
 */
export function quitQuestion(totals: Pick<QueueTotals, 'active' | 'activeUploads'>): QuitQuestion | null {
  if (totals.active <= 0) return null;
  const uploads = Math.min(totals.activeUploads, totals.active);
  const downloads = totals.active - uploads;
  const what = [downloads > 0 ? plural(downloads, 'download') : '', uploads > 0 ? plural(uploads, 'upload') : ''].filter(Boolean).join(' and ');
  const detail = [
    `Ferry saves ${totals.active === 1 ? 'its' : 'their'} progress and continues when it starts again.`,
    downloads > 0 ? 'A download whose server cannot resume it safely starts over.' : '',
    uploads > 0 ? 'An upload sent with plain PUT (not tus) starts over.' : '',
  ].filter(Boolean).join(' ');
  return {
    message: `${what} ${totals.active === 1 ? 'is' : 'are'} still moving. Quit anyway?`,
    detail,
    buttons: ['Quit', 'Keep running'],
    quitId: 0,
    defaultId: 1,
    cancelId: 1,
  };
}
