import { powerSaveBlocker } from 'electron';

/**
 * Keeps the machine from sleeping while transfers move (a sleep would stop them; they would
 * resume after, but later than the person expected). Safe to call in any order, any number
 * of times; stop() releases it for good.
 */
export class PowerBlocker {
  private id: number | null = null;

  set(active: boolean): void {
    if (active && this.id === null) this.id = powerSaveBlocker.start('prevent-app-suspension');
    else if (!active && this.id !== null) {
      if (powerSaveBlocker.isStarted(this.id)) powerSaveBlocker.stop(this.id);
      this.id = null;
    }
  }

  stop(): void {
    this.set(false);
  }
}
