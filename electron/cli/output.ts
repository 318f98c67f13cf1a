import { formatBytes, formatDuration, formatPercent, formatSpeed, SpeedMeter } from '../common/format';
import type { TransferSummary } from '../common/service';
import type { EngineEvent } from '../engine';
import { listTable } from './list-table';

export interface ActiveProgress {
  id: string;
  bytes: number;
  total: number | null;
}

/**
 * A transfer as the CLI tells of it: the window's row (common/service.ts). The CLI's own
 * engine and a running Ferry behind the local door both give it, so the words are the same.
 */
export type TransferView = TransferSummary;

const ENDED_STATES: ReadonlySet<string> = new Set(['completed', 'failed', 'canceled']);

/**
 * NDJSON lines waiting for the end of this turn of the event loop, written to stdout in one
 * write: a batch of thousands printed a 'started' line per file, each its own write system
 * call (about 10 us a file; issue 13). Anything else written to stdout or stderr, and the
 * exit, write them first (flushLines), so the order of what is printed is unchanged.
 */
let waitingLines: string[] = [];

/** Writes the NDJSON lines that wait, if any. */
export function flushLines(): void {
  if (waitingLines.length === 0) return;
  const text = waitingLines.join('');
  waitingLines = [];
  process.stdout.write(text);
}

/** Whether a transfer has ended (a row not known yet has not). */
export const isEnded = (view: TransferView | undefined): boolean => view !== undefined && ENDED_STATES.has(view.state);

/** The contract's result line (DESIGN.md section 7). */
export function resultLine(view: TransferView): Record<string, unknown> {
  const line: Record<string, unknown> = {
    type: 'result',
    id: view.id,
    direction: view.direction,
    url: view.url,
    // An upload's path is the local file it sends.
    path: view.path,
    bytes: view.bytes,
    state: view.state === 'completed' || view.state === 'canceled' ? view.state : 'failed',
    sha256: view.sha256,
    integrity: view.integrity,
    resumes: view.resumes,
    restarts: view.restarts,
  };
  if (line.state === 'failed') {
    line.error = view.error ? { code: view.error.code, message: view.error.message } : { code: 'interrupted', message: 'The transfer did not finish.' };
  }
  return line;
}

export interface OutputOptions {
  json: boolean;
  /**
   * Many files in one command (a folder put): one progress line and a summary at the end,
   * each failure by name; no line per file. --verbose and --json turn it off.
   */
  condensed?: boolean;
}

/**
 * Where the CLI's words go: NDJSON events on stdout with --json, and human progress on
 * stderr (a live line when stderr is a terminal, plain notes otherwise).
 */
export class Output {
  private timer: NodeJS.Timeout | null = null;
  private readonly meters = new Map<string, SpeedMeter>();
  private readonly tty = process.stderr.isTTY === true;
  private drawn = false;
  private lastJsonProgress = 0;
  /** Transfers of this batch that ended, for the progress line. */
  private ended = 0;
  readonly json: boolean;
  private readonly condensed: boolean;

  constructor(options: OutputOptions) {
    this.json = options.json;
    this.condensed = !options.json && options.condensed === true;
  }

  note(text: string): void {
    flushLines();
    this.clearLine();
    process.stderr.write(`${text}\n`);
  }

  /** A note about one file among many: said only when each file gets its own lines. */
  private perFile(text: string): void {
    if (!this.condensed) this.note(text);
  }

  /** Emits one NDJSON event (with --json). */
  emit(value: object): void {
    if (this.json) this.line(JSON.stringify(value));
  }

  /** Whether result lines may go out as transfers settle (NDJSON), not only at the end. */
  get streamsResults(): boolean {
    return this.json;
  }

  /** One NDJSON line made already (a resultText), with the turn's other lines. */
  line(text: string): void {
    if (!this.json) return;
    waitingLines.push(`${text}\n`);
    if (waitingLines.length === 1) setImmediate(flushLines);
  }

  /** A transfer that ended, for the progress line's count. */
  endedOne(): void {
    this.ended++;
  }

  event(event: EngineEvent): void {
    if (event.type === 'ended') this.endedOne();
    if (this.json) {
      // 'ended' is the result line, printed once all are done; state changes say nothing
      // the other events do not, and a batch of thousands would print thousands of them.
      if (event.type === 'ended' || event.type === 'state' || event.type === 'removed') return;
      this.emit(event.type === 'retrying' ? { ...event, error: { code: event.error.code, message: event.error.message } } : event);
      return;
    }
    switch (event.type) {
      case 'started':
        this.perFile(`${event.direction === 'upload' ? 'Uploading' : 'Downloading'} ${event.name}${event.total !== null ? ` (${formatBytes(event.total)})` : ''}`);
        break;
      case 'resumed':
        if (event.segments > 1) this.perFile(`Resuming ${event.segments} segments with ${formatBytes(event.offset)} held${event.validator ? ` (validator ${event.validator})` : ''}; each checks its overlap`);
        else this.perFile(`Resuming at ${formatBytes(event.offset)}${event.validator ? ` (validator ${event.validator})` : ''}; ${formatBytes(event.overlapBytes)} overlap checked`);
        break;
      case 'repaired':
        this.note(`Repaired block${event.blocks.length > 1 ? 's' : ''} ${event.blocks.join(', ')} of the partial file by fetching ${event.blocks.length > 1 ? 'them' : 'it'} again`);
        break;
      case 'restarted':
        this.note(`Restarting from 0: ${event.reason}`);
        break;
      case 'retrying':
        this.note(`${event.error.message}${event.delayMs > 0 ? ` Retrying in ${formatDuration(event.delayMs / 1000)}.` : ''}`);
        break;
      case 'ended':
      case 'state':
      case 'removed':
        break;
    }
  }

  /** Every transfer's result: with --json one line each, written at once. */
  results(views: TransferView[]): void {
    this.printResults(views.map((v) => this.resultText(v)).filter((t) => t !== null), this.condensed ? tallyOf(views) : null);
  }

  /** What `results` prints for one transfer: its line (--json) or sentence; null for a completed one in a condensed batch. */
  resultText(view: TransferView): string | null {
    if (this.json) return JSON.stringify(resultLine(view));
    return this.condensed && view.state === 'completed' ? null : resultSentence(view);
  }

  /** Prints what resultText gave, in order, then a condensed batch's sentence from its tally. */
  printResults(texts: readonly string[], tally: BatchTally | null): void {
    flushLines();
    this.clearLine();
    const batch = this.condensed && tally ? [batchSentenceOf(tally)] : [];
    process.stdout.write([...texts, ...batch].map((t) => `${t}\n`).join(''));
  }

  stopped(view: TransferView): void {
    if (this.json) this.emit({ type: 'stopped', id: view.id, url: view.url, bytes: view.bytes, state: view.state });
    else this.perFile(`Stopped ${view.direction === 'upload' ? view.path : view.url} at ${formatBytes(view.bytes)}; run the same command or "ferry resume" to continue.`);
  }

  /** Transfers that did not end (an interrupt, a Ferry that went away): one line each, or one for them all. */
  stoppedAll(views: TransferView[]): void {
    const open = views.filter((v) => !isEnded(v));
    for (const view of open) this.stopped(view);
    if (this.condensed && open.length > 0) {
      this.note(`Stopped ${open.length} unfinished transfer${open.length > 1 ? 's' : ''} with ${formatBytes(open.reduce((n, v) => n + v.bytes, 0))} held; run the same command or "ferry resume" to continue.`);
    }
  }

  list(views: TransferView[]): void {
    if (this.json) {
      for (const v of views) {
        this.emit({ type: 'transfer', id: v.id, direction: v.direction, url: v.url, path: v.path, name: v.name, state: v.state, bytes: v.bytes, total: v.total, sha256: v.sha256, integrity: v.integrity, resumes: v.resumes, restarts: v.restarts, error: v.error });
      }
      return;
    }
    flushLines();
    process.stdout.write(listTable(views));
  }

  /**
   * Shows progress until unwatch(): a live line on a terminal, `progress` events with
   * --json. Only the active transfers are looked at each tick, so a batch of thousands
   * costs what its few active ones cost.
   */
  watch(count: number, active: () => ActiveProgress[]): void {
    const tick = (): void => {
      const now = Date.now();
      const running = active();
      let speed = 0;
      const seen = new Set<string>();
      for (const p of running) {
        seen.add(p.id);
        const meter = this.meters.get(p.id) ?? new SpeedMeter();
        this.meters.set(p.id, meter);
        meter.add(now, p.bytes);
        speed += meter.rate();
        if (this.json && now - this.lastJsonProgress >= 1000) {
          this.emit({ type: 'progress', id: p.id, bytes: p.bytes, total: p.total, speed: Math.round(meter.rate()) });
        }
      }
      for (const id of this.meters.keys()) if (!seen.has(id)) this.meters.delete(id);
      if (this.json && now - this.lastJsonProgress >= 1000) this.lastJsonProgress = now;
      if (this.json || !this.tty || running.length === 0) return;
      const only = running.length === 1 && count === 1 ? running[0]! : null;
      if (only) {
        const eta = only.total !== null && speed > 0 ? `  ETA ${formatDuration((only.total - only.bytes) / speed)}` : '';
        const of = only.total !== null ? ` of ${formatBytes(only.total)}` : '';
        this.draw(`${formatPercent(only.bytes, only.total)} ${formatBytes(only.bytes)}${of}  ${formatSpeed(speed)}${eta}`.trimStart());
      } else {
        this.draw(`${running.length} active, ${this.ended} of ${count} done  ${formatSpeed(speed)}`);
      }
    };
    this.timer = setInterval(tick, 250);
    this.timer.unref();
  }

  unwatch(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.clearLine();
  }

  private draw(text: string): void {
    const width = process.stderr.columns ?? 80;
    // Erase to the end of the line after the text: a shorter line never keeps the last one's tail.
    flushLines();
    process.stderr.write(`\r${text.slice(0, width - 1)}\u001b[K`);
    this.drawn = true;
  }

  private clearLine(): void {
    if (!this.drawn) return;
    process.stderr.write('\r\u001b[2K');
    this.drawn = false;
  }
}

/** One transfer's ending, in a sentence. */
export function resultSentence(view: TransferView): string {
  const i = view.integrity;
  if (view.state === 'completed' && view.direction === 'upload') {
    const verdict =
      i.status === 'verified'
        ? i.source === 'tus-checksum'
          ? `verified: the server checked every chunk's ${i.algorithm}`
          : `verified: the server's ${i.algorithm} matches`
        : `unverified: the server offered no checksum; sha256 ${view.sha256}`;
    return `Uploaded ${view.path} to ${view.url} (${formatBytes(view.total ?? view.bytes)}), ${verdict}`;
  }
  if (view.state === 'completed') {
    const matches = i.source === 'sidecar' ? 'matches its checksum file (proof of the transfer, not of who made the file)' : `matches the ${i.source} checksum`;
    const verdict = i.status === 'verified' ? `verified: ${i.algorithm} ${matches}` : `unverified: no checksum was given or offered; sha256 ${view.sha256}`;
    return `Saved ${view.path} (${formatBytes(view.total ?? view.bytes)}), ${verdict}`;
  }
  const what = view.direction === 'upload' ? `${view.path} -> ${view.url}` : view.url;
  if (view.state === 'canceled') return `Canceled ${what}`;
  return `Failed ${what}: ${view.error?.message ?? 'the transfer did not finish'}`;
}

/** What a batch's sentence says: counted as each transfer ends, so no record need be kept for it. */
export interface BatchTally {
  files: number;
  done: number;
  bytes: number;
  verified: number;
  /** Every one was an upload. */
  uploads: boolean;
}

export function emptyTally(): BatchTally {
  return { files: 0, done: 0, bytes: 0, verified: 0, uploads: true };
}

/** Counts one transfer's ending into `tally`. */
export function countInto(tally: BatchTally, view: TransferView): void {
  tally.files++;
  tally.uploads &&= view.direction === 'upload';
  if (view.state !== 'completed') return;
  tally.done++;
  tally.bytes += view.total ?? view.bytes;
  if (view.integrity.status === 'verified') tally.verified++;
}

function tallyOf(views: readonly TransferView[]): BatchTally {
  const tally = emptyTally();
  for (const view of views) countInto(tally, view);
  return tally;
}

/** A batch's ending in one sentence: how many of how many, their size, and how they were proven. */
export function batchSentence(views: TransferView[]): string {
  return batchSentenceOf(tallyOf(views));
}

function batchSentenceOf({ files, done, bytes, verified, uploads }: BatchTally): string {
  const verb = uploads ? 'Uploaded' : 'Downloaded';
  const proof =
    done === 0
      ? ''
      : verified === done
        ? uploads
          ? '; the server verified each one'
          : '; each verified against its checksum'
        : verified > 0
          ? `; ${verified} verified, ${done - verified} with their SHA-256 recorded`
          : uploads
            ? '; the server offered no checksum, so each one\'s SHA-256 is recorded'
            : '; no checksum was given, so each one\'s SHA-256 is recorded';
  const failed = files - done;
  return `${verb} ${done} of ${files} files (${formatBytes(bytes)})${proof}${failed > 0 ? `; ${failed} did not complete (above)` : ''}.`;
}
