import { type TransferError, transferError } from '../../common/errors';
import type { Clock } from '../context';
import { type RetryTuning, givenUp, retryDelay } from '../core/failure';

export interface AttemptHooks {
  /** One try at the transfer; true when it reached its end (a verdict or a failure on record). */
  attempt(): Promise<boolean>;
  /**
   * An error that is not a failure but a change of plan (start again from 0, a new upload):
   * the hook does what it needs and says true, and the next attempt follows at once.
   */
  recover(error: unknown): Promise<boolean>;
  /** Bytes held: an attempt that moved some resets the count of fruitless ones. */
  progress(): number;
  classify(error: unknown): TransferError;
  /** What is being transferred, for a sentence. */
  describe(): string;
  /** A retryable failure, and the wait before the next attempt. */
  retrying(failure: TransferError, delayMs: number): void;
}

export interface AttemptTuning extends RetryTuning {
  /** Attempts in a row that move no byte before the transfer fails. */
  maxAttemptsWithoutProgress: number;
}

/**
 * The one attempt loop of downloads and uploads: try; on a change of plan recover and try
 * again at once; on a retryable failure wait (Retry-After, else exponential backoff with
 * jitter) and try again, until `maxAttemptsWithoutProgress` attempts in a row moved nothing;
 * a failure that retrying cannot mend ends it at once. Resolves with null when the
 * transfer reached its end, or with the failure to record. A stop (the signal) is thrown.
 */
export async function runAttempts(hooks: AttemptHooks, signal: AbortSignal, clock: Clock, tuning: AttemptTuning): Promise<TransferError | null> {
  let fruitless = 0;
  for (;;) {
    const before = hooks.progress();
    try {
      if (await hooks.attempt()) return null;
      if (hooks.progress() > before) {
        fruitless = 0;
        continue;
      }
      // An answer that moved nothing (a server that only ever sends the overlap, say) is no
      // better than a failure: it backs off and counts towards the cap, never spins.
      fruitless++;
      const failure = transferError('server-broken', `${hooks.describe()}: the server's answers moved no byte.`, true);
      if (fruitless >= tuning.maxAttemptsWithoutProgress) return givenUp(failure, fruitless);
      const delayMs = retryDelay(fruitless, null, tuning);
      hooks.retrying(failure, delayMs);
      if (delayMs > 0) await clock.sleep(delayMs, signal);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (await hooks.recover(error)) continue;
      const failure = hooks.classify(error);
      fruitless = hooks.progress() > before ? 0 : fruitless + 1;
      if (!failure.retryable) return failure;
      if (fruitless >= tuning.maxAttemptsWithoutProgress) return givenUp(failure, fruitless);
      const delayMs = retryDelay(fruitless, error, tuning);
      hooks.retrying(failure, delayMs);
      if (delayMs > 0) await clock.sleep(delayMs, signal);
    }
  }
}
