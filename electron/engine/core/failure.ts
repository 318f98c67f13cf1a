import * as fs from 'node:fs';
import { type TransferError, TransferFailure, describeHttpStatus, transferError } from '../../common/errors';
import type { HttpResponse } from '../http/transport';

/**
 * The failure vocabulary both directions share: how anything thrown inside a transfer
 * becomes one `TransferError` (a code from the one enum in common/errors, a sentence a
 * person can act on, and whether trying again may help), and how long to wait before
 * trying again. Messages say what happened; whether Ferry retries is the attempt loop's
 * to say (see `givenUp`), so a final failure never promises a retry that will not come.
 */

/** A disk write failed; carries the errno code (ENOSPC, EACCES, EIO...). */
export class DiskError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DiskError';
  }
}

const DISK_CODES = new Set(['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'ENOENT', 'EIO', 'ENOTDIR', 'EISDIR', 'ELOOP']);

/** Where the transfer's files live, for sentences about the disk. */
export interface FailureScope {
  dir: string;
}

export function errnoCode(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : '';
}

/** Anything thrown inside a transfer, as the failure a person is told about. */
export function classifyFailure(error: unknown, scope: FailureScope): TransferError {
  if (error instanceof TransferFailure) return error.detail;
  if (error instanceof DiskError) return describeDiskError(error.code, error.message, scope);
  const code = errnoCode(error);
  if (DISK_CODES.has(code)) return describeDiskError(code, error instanceof Error ? error.message : String(error), scope);
  return transferError('internal', `Unexpected failure: ${error instanceof Error ? error.message : String(error)}`, false);
}

export function describeDiskError(code: string, message: string, scope: FailureScope): TransferError {
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return transferError('disk-full', `The disk holding ${scope.dir} is full. Free some space, then run "ferry resume": the bytes so far are kept.`, false);
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOTDIR') {
    return transferError('not-writable', `Ferry cannot write to ${scope.dir} (${code}). Choose another folder with --dir or fix its permissions.`, false);
  }
  // The folder itself is gone (a drive unplugged, a folder moved since the transfer was
  // added). Ferry never makes it again: on an unplugged drive's mount point the files would
  // land on another disk.
  if (code === 'ENOENT' && !fs.existsSync(scope.dir)) {
    return transferError('not-writable', `The folder ${scope.dir} does not exist (a drive unplugged, or the folder moved or removed). Reconnect it, or choose another folder with --dir, then run "ferry resume".`, false);
  }
  return transferError('internal', `Writing to ${scope.dir} failed: ${message}`, false);
}

/** An HTTP status that ends this attempt, with the server's Retry-After when it sent one. */
export function statusFailure(response: HttpResponse, url: string): TransferFailure {
  const value = response.headers.get('retry-after');
  let retryAfterMs: number | undefined;
  if (value && /^\d+$/.test(value.trim())) retryAfterMs = Number(value.trim()) * 1000;
  else if (value && !Number.isNaN(Date.parse(value))) retryAfterMs = Math.max(0, Date.parse(value) - Date.now());
  return new TransferFailure(describeHttpStatus(response.status, url), retryAfterMs);
}

export interface RetryTuning {
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
}

/**
 * How long to wait before attempt number `attempt` (0: at once): the server's Retry-After
 * when it gave one, else exponential backoff with jitter, so many clients that failed
 * together do not come back in lockstep.
 */
export function retryDelay(attempt: number, error: unknown, tuning: RetryTuning): number {
  if (attempt === 0) return 0;
  const retryAfterMs = error instanceof TransferFailure ? error.retryAfterMs : undefined;
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, 10 * 60_000);
  const exp = Math.min(tuning.retryMaxDelayMs, tuning.retryBaseDelayMs * 2 ** (attempt - 1));
  return Math.round(exp / 2 + Math.random() * (exp / 2));
}

/**
 * A retryable failure that the attempt loop stops retrying: the same words, and what a
 * person can do now that Ferry has stopped trying by itself.
 */
export function givenUp(error: TransferError, attempts: number): TransferError {
  return {
    ...error,
    message: `${error.message} Ferry tried ${attempts} times without moving a byte and stopped; resume it when the server is back ("ferry resume", or Resume in the window).`,
  };
}
