/**
 * The OS notifications the shell shows: which notices become one, and a manager that keeps
 * each one referenced while it is up (a notification object nobody references is collected,
 * and its click handler with it) and closes it after its time, so none lingers in the
 * notification centre. No Electron here: index.ts gives it a function that makes Electron's.
 */
import type { Notice } from '../common/service';

/** How long a notification stays: errors longer, since they say what to do. */
export const NOTE_SHOWN_MS = { info: 8_000, error: 20_000 } as const;

export interface NoteSpec {
  title: string;
  body: string;
  /** No sound: completions are good news, not an interruption. */
  silent: boolean;
  closeAfterMs: number;
}

/**
 * The notification for a notice, or null when the window shows it (an engine notice while
 * the window is in front: renderer Notices shows the same one, and saying it twice is noise).
 */
export function osNotification(notice: Notice, windowShowsIt: boolean): NoteSpec | null {
  if (windowShowsIt) return null;
  return { title: notice.title, body: notice.body, silent: notice.level === 'info', closeAfterMs: NOTE_SHOWN_MS[notice.level] };
}

/** One notification as the OS shows it. */
export interface ShownNote {
  show(): void;
  close(): void;
  onClick(listener: () => void): void;
  /** Closed by the person (or the OS). */
  onClosed(listener: () => void): void;
}

export class Notifier {
  private readonly live = new Map<ShownNote, ReturnType<typeof setTimeout>>();
  private disposed = false;

  /**
   * `create` makes a notification, or returns null where the OS has none; `clicked` runs
   * when the person clicks one (index.ts shows the window).
   */
  constructor(
    private readonly create: (spec: NoteSpec) => ShownNote | null,
    private readonly clicked: () => void,
  ) {}

  show(spec: NoteSpec): void {
    if (this.disposed) return;
    const note = this.create(spec);
    if (!note) return;
    note.onClick(() => {
      this.forget(note, true);
      this.clicked();
    });
    note.onClosed(() => this.forget(note, false));
    this.live.set(
      note,
      setTimeout(() => this.forget(note, true), spec.closeAfterMs),
    );
    note.show();
  }

  /** How many are up. */
  get showing(): number {
    return this.live.size;
  }

  /** Closes every notification still up and shows no more. Safe to call twice. */
  dispose(): void {
    this.disposed = true;
    for (const note of [...this.live.keys()]) this.forget(note, true);
  }

  private forget(note: ShownNote, close: boolean): void {
    const timer = this.live.get(note);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.live.delete(note);
    if (close) note.close();
  }
}
