import { NO_TIME_WINDOWS, type TimeWindows, activeAt, nextChange, rateAt } from '../../common/time-windows';

/** All the keeper needs of the engine's clock (context.ts's Clock fits). */
export interface WindowClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** What the windows act on: the queue (held outside the active hours) and the bandwidth limit. */
export interface WindowTarget {
  scheduler: { setOutsideHours(outside: boolean): Promise<void>; readonly currentLimits: { bandwidth: number | null } };
  bandwidth: { setRate(rate: number | null): void; readonly limit: number | null };
}

/** Where the windows stand now, for a line in the CLI or the window. */
export interface WindowState {
  /** The queue may run. */
  active: boolean;
  /** The bandwidth limit in force now (bytes per second; null for none). */
  rate: number | null;
  /** When `active` or `rate` changes next (ms since the epoch); null for never. */
  nextChange: number | null;
}

/**
 * Longest single wait: the clock is read again at least this often, so a machine that
 * slept, or a clock that was set, crosses its edge within a minute of the real time.
 */
const MAX_WAIT_MS = 60_000;

/**
 * Time windows (issue 15) acting on a running engine: at each edge of the active hours the
 * queue is held (running transfers checkpoint and go back to the queue, as on a sleep) or
 * let go, and at each edge of the bandwidth schedule the limit changes. Driven by the
 * engine's Clock, so a test crosses an edge by moving the clock, not by waiting.
 */
export class WindowKeeper {
  private windows: TimeWindows = NO_TIME_WINDOWS;
  private outside = false;
  private loop: AbortController | null = null;

  constructor(
    private readonly clock: WindowClock,
    private readonly target: WindowTarget,
    private readonly onChange: (state: WindowState) => void = () => undefined,
    private readonly onError: (error: Error) => void = () => undefined,
  ) {}

  get state(): WindowState {
    const now = this.clock.now();
    return { active: !this.outside, rate: this.target.bandwidth.limit, nextChange: nextChange(this.windows, now) };
  }

  get current(): TimeWindows {
    return this.windows;
  }

  /** New windows, in force at once. */
  set(windows: TimeWindows): void {
    this.loop?.abort();
    this.loop = null;
    this.windows = windows;
    this.apply();
    if (windows.activeHours.length === 0 && windows.bandwidthSchedule.length === 0) return;
    const loop = new AbortController();
    this.loop = loop;
    void this.watch(loop.signal);
  }

  /** Applies the windows as they stand now (also after the base limit changed). */
  apply(): void {
    const at = new Date(this.clock.now());
    this.target.bandwidth.setRate(rateAt(this.windows, this.baseRate(), at));
    const outside = !activeAt(this.windows, at);
    if (outside === this.outside) return;
    this.outside = outside;
    this.target.scheduler.setOutsideHours(outside).catch((error: unknown) => {
      this.onError(new Error(`the active hours could not ${outside ? 'hold' : 'restart'} the queue: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
    });
    this.onChange(this.state);
  }

  /** The limit outside every scheduled window (the setting or --limit-rate). */
  private baseRate(): number | null {
    return this.target.scheduler.currentLimits.bandwidth;
  }

  close(): void {
    this.loop?.abort();
    this.loop = null;
  }

  private async watch(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const now = this.clock.now();
      const next = nextChange(this.windows, now);
      const wait = next === null ? MAX_WAIT_MS : Math.min(MAX_WAIT_MS, Math.max(1, next - now));
      const previousRate = this.state.rate;
      try {
        await this.clock.sleep(wait, signal);
      } catch {
        return; // stopped: new windows or a close
      }
      const wasOutside = this.outside;
      this.apply();
      if (wasOutside === this.outside && previousRate !== this.state.rate) this.onChange(this.state);
    }
  }
}
