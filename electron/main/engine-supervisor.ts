/**
 * What the app does when its engine process ends without being asked: the decision alone,
 * pure (no Electron, no timers), so it is tested as plain code and the host stays thin.
 *
 * A crash now and then is restarted at once: transfers resume from their last checkpoint
 * and the person is told. Crashes in quick succession back off, so a crash loop does not
 * spin a CPU; too many within a minute stop the restarts and say what to do, because by
 * then something is wrong that restarting will not fix (a broken disk, a bad install).
 */

export interface SupervisorPolicy {
  /** This many ends within `windowMs` and the engine is not started again. */
  maxCrashes: number;
  windowMs: number;
  /** The wait before the second restart within the window; doubled for each one after, up to `maxDelayMs`. */
  backoffMs: number;
  maxDelayMs: number;
}

export const DEFAULT_POLICY: SupervisorPolicy = { maxCrashes: 3, windowMs: 60_000, backoffMs: 2_000, maxDelayMs: 30_000 };

/** How the engine process ended, as the host saw it. */
export interface EngineExit {
  /** When, in ms (Date.now() in the app, any clock in tests). */
  at: number;
  /** The process's exit code; null when a restart failed before the engine was up. */
  code: number | null;
  /** The app asked it to stop (a quit): nothing to do. */
  expected?: boolean;
  /** A restart that could not open the data directory: why, in words. */
  startFailure?: string;
  /** ...because another Ferry holds the data directory now: restarting again cannot help. */
  locked?: boolean;
}

export type SupervisorDecision =
  | { action: 'none' }
  | { action: 'restart'; delayMs: number; message: string }
  | { action: 'give-up'; message: string };

export class EngineSupervisor {
  /** When the engine ended unexpectedly, within the last window. */
  private ends: number[] = [];

  constructor(private readonly policy: SupervisorPolicy = DEFAULT_POLICY) {}

  exited(exit: EngineExit): SupervisorDecision {
    if (exit.expected) return { action: 'none' };
    this.ends = [...this.ends.filter((at) => exit.at - at < this.policy.windowMs), exit.at];
    const count = this.ends.length;
    const why = describeExit(exit);
    const kept = 'Transfers keep their progress up to their last checkpoint.';
    if (exit.locked) {
      return { action: 'give-up', message: `Ferry's engine stopped and could not start again: ${exit.startFailure ?? 'another Ferry holds the data directory'}. ${kept} Close the other Ferry, then quit and start this one again.` };
    }
    if (count >= this.policy.maxCrashes) {
      return {
        action: 'give-up',
        message: `Ferry's engine stopped ${count} times within ${Math.round(this.policy.windowMs / 1000)} seconds (last: ${why}), so it is not restarted again. ${kept} Quit Ferry and start it again; if this keeps happening, check the disk that holds Ferry's data directory.`,
      };
    }
    if (count === 1) return { action: 'restart', delayMs: 0, message: `Ferry's engine stopped unexpectedly (${why}) and is being restarted. ${kept}` };
    const delayMs = Math.min(this.policy.maxDelayMs, this.policy.backoffMs * 2 ** (count - 2));
    return { action: 'restart', delayMs, message: `Ferry's engine stopped again (${why}); it restarts in ${formatSeconds(delayMs)}. ${kept}` };
  }
}

function describeExit(exit: EngineExit): string {
  if (exit.startFailure) return `it could not start: ${exit.startFailure}`;
  if (exit.code === null) return 'it could not start';
  if (exit.code === 0) return 'it exited without being asked';
  return `exit code ${exit.code}`;
}

function formatSeconds(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}
