import { TransferFailure, describeHttpStatus } from '../common/errors';
import type { DownloadTuning } from './context';
import type { HttpResponse } from './http/transport';

/** An HTTP status that ends this attempt, with the server's Retry-After when it sent one. */
export function statusFailure(response: HttpResponse, url: string): TransferFailure {
  const value = response.headers.get('retry-after');
  let retryAfterMs: number | undefined;
  if (value && /^\d+$/.test(value.trim())) retryAfterMs = Number(value.trim()) * 1000;
  else if (value && !Number.isNaN(Date.parse(value))) retryAfterMs = Math.max(0, Date.parse(value) - Date.now());
  return new TransferFailure(describeHttpStatus(response.status, url), retryAfterMs);
}

/**
 * How long to wait before attempt number `attempt` (0: at once): the server's Retry-After
 * when it gave one, else exponential backoff with jitter, so many clients that failed
 * together do not come back in lockstep.
 */
export function retryDelay(attempt: number, error: unknown, tuning: Pick<DownloadTuning, 'retryBaseDelayMs' | 'retryMaxDelayMs'>): number {
  if (attempt === 0) return 0;
  const retryAfterMs = error instanceof TransferFailure ? error.retryAfterMs : undefined;
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, 10 * 60_000);
  const exp = Math.min(tuning.retryMaxDelayMs, tuning.retryBaseDelayMs * 2 ** (attempt - 1));
  return Math.round(exp / 2 + Math.random() * (exp / 2));
}
