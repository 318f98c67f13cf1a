/**
 * Keeps the machine from sleeping while something needs it awake (transfers moving: a
 * sleep would stop them; they would resume after, but later than the person expected).
 * Holds are named, so the same holder asking twice is one hold and releasing twice is one
 * release; the OS blocker runs while any hold is held. dispose() releases everything for
 * good. It is given Electron's powerSaveBlocker (or a stand-in in tests): no Electron here.
 */

/** The part of Electron's powerSaveBlocker this uses. */
export interface PowerSaveApi {
  start(type: 'prevent-app-suspension' | 'prevent-display-sleep'): number;
  stop(id: number): boolean | void;
  isStarted(id: number): boolean;
}

export class PowerBlocker {
  private readonly holders = new Set<string>();
  private id: number | null = null;
  private disposed = false;

  /** prevent-app-suspension: the system stays up, the screen may still turn off. */
  constructor(private readonly api: PowerSaveApi) {}

  /** `holder` needs the machine awake (again: no change). Ignored after dispose(). */
  hold(holder: string): void {
    if (this.disposed) return;
    this.holders.add(holder);
    this.sync();
  }

  /** `holder` no longer needs it (not holding: no change). */
  release(holder: string): void {
    this.holders.delete(holder);
    this.sync();
  }

  /** hold() or release() from a flag, for callers that hear a state again and again. */
  set(holder: string, needed: boolean): void {
    if (needed) this.hold(holder);
    else this.release(holder);
  }

  /** Whether the OS blocker is on. */
  get blocking(): boolean {
    return this.id !== null;
  }

  /** Releases every hold and the OS blocker; later holds are ignored. Safe to call twice. */
  dispose(): void {
    this.disposed = true;
    this.holders.clear();
    this.sync();
  }

  private sync(): void {
    const wanted = this.holders.size > 0;
    // A blocker stopped behind our back (another part of the app, the OS) is started again.
    if (wanted && (this.id === null || !this.api.isStarted(this.id))) this.id = this.api.start('prevent-app-suspension');
    else if (!wanted && this.id !== null) {
      if (this.api.isStarted(this.id)) this.api.stop(this.id);
      this.id = null;
    }
  }
}
