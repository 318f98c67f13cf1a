import { type TransferError, transferError } from '../../common/errors';

/**
 * A failure of the engine itself that belongs to no one transfer (a store that cannot
 * record what the queue did, a listener that threw). The engine reports it through
 * EngineOptions.onEngineError and goes on; `cause` keeps the original for a stack.
 */
export class EngineError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EngineError';
  }
}

/** The engine was asked for a transfer after it closed. */
export class EngineClosedError extends Error {
  constructor(what: string) {
    super(`Ferry's engine has closed; ${what}. Open it again to go on.`);
    this.name = 'EngineClosedError';
  }
}

/** better-sqlite3's error code (SQLITE_FULL, SQLITE_IOERR_WRITE...), or null for another error. */
export function sqliteCode(error: unknown): string | null {
  const code = typeof error === 'object' && error !== null && 'code' in error ? (error as { code: unknown }).code : null;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : null;
}

/** One line for a log or a message: the code when there is one, then the message. */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = sqliteCode(error);
  return code ? `${code}: ${message}` : message;
}

/** What a person should do about a store that failed, by its SQLite code. */
function storeAdvice(code: string): string {
  if (code.startsWith('SQLITE_FULL')) return 'Free some space on that disk, then retry this transfer';
  if (code.startsWith('SQLITE_READONLY')) return 'Make the data directory writable again, then retry this transfer';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'Another program held the store; retry this transfer';
  if (code.startsWith('SQLITE_IOERR')) return 'The disk reported an error; check it, then retry this transfer';
  return 'Retry this transfer; if this happens again, move the data directory to a healthy disk';
}

/**
 * The error a transfer ends with when its task threw instead of returning a result: a
 * store failure named with its SQLite code and what to do, anything else as unexpected.
 * Messages carry no URL: a signed URL's query string is a secret.
 */
export function transferFailureOf(error: unknown): TransferError {
  const code = sqliteCode(error);
  if (code) {
    const what = `Ferry's store in its data directory failed (${describeError(error)}). ${storeAdvice(code)}.`;
    return transferError(code.startsWith('SQLITE_FULL') ? 'disk-full' : 'internal', what, true);
  }
  return transferError('internal', `Unexpected failure: ${describeError(error)}`, false);
}

/** A transfer that went missing from the store while the queue still held it. */
export const REMOVED_WHILE_RUNNING = transferError('internal', 'This transfer was removed from Ferry\'s store while it ran; add it again to run it.', false);

/** A task that ended without leaving a final state (a bug in the task, said rather than waited on). */
export const NO_RESULT = transferError('internal', 'Unexpected failure: the transfer stopped without a result.', false);
