import { formatBytes, formatDuration, formatPercent, formatSpeed, SpeedMeter } from '../common/format';
import type { TransferRecord } from '../common/transfer';
import type { EngineEvent } from '../engine';

export interface ActiveProgress {
  id: string;
  bytes: number;
  total: number | null;
}

/** The contract's result line (DESIGN.md section 7). */
export function resultLine(record: TransferRecord): Record<string, unknown> {
  const line: Record<string, unknown> = {
    type: 'result',
    id: record.id,
    direction: record.direction,
    url: record.url,
    // An upload's path is the local file it sends.
    path: record.direction === 'upload' ? record.source : record.path,
    bytes: record.state === 'completed' ? (record.total ?? record.offset) : record.offset,
    state: record.state === 'completed' || record.state === 'canceled' ? record.state : 'failed',
    sha256: record.sha256,
    integrity: record.integrity,
    resumes: record.resumes,
    restarts: record.restarts,
  };
  if (line.state === 'failed') {
    line.error = record.error ? { code: record.error.code, message: record.error.message } : { code: 'interrupted', message: 'The transfer did not finish.' };
  }
  return line;
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

  constructor(private readonly json: boolean) {}

  note(text: string): void {
    this.clearLine();
    process.stderr.write(`${text}\n`);
  }

  event(event: EngineEvent): void {
    if (event.type === 'ended') this.ended++;
    if (this.json) {
      // 'ended' is the result line, printed once all are done; state changes say nothing
      // the other events do not, and a batch of thousands would print thousands of them.
      if (event.type === 'ended' || event.type === 'state' || event.type === 'removed') return;
      this.emit(event.type === 'retrying' ? { ...event, error: { code: event.error.code, message: event.error.message } } : event);
      return;
    }
    switch (event.type) {
      case 'started':
        this.note(`${event.direction === 'upload' ? 'Uploading' : 'Downloading'} ${event.name}${event.total !== null ? ` (${formatBytes(event.total)})` : ''}`);
        break;
      case 'resumed':
        if (event.segments > 1) this.note(`Resuming ${event.segments} segments with ${formatBytes(event.offset)} held${event.validator ? ` (validator ${event.validator})` : ''}; each checks its overlap`);
        else this.note(`Resuming at ${formatBytes(event.offset)}${event.validator ? ` (validator ${event.validator})` : ''}; ${formatBytes(event.overlapBytes)} overlap checked`);
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
  results(records: TransferRecord[]): void {
    this.clearLine();
    if (this.json) process.stdout.write(records.map((r) => `${JSON.stringify(resultLine(r))}\n`).join(''));
    else for (const record of records) this.result(record);
  }

  private result(record: TransferRecord): void {
    const i = record.integrity;
    if (record.state === 'completed' && record.direction === 'upload') {
      const verdict =
        i.status === 'verified'
          ? i.source === 'tus-checksum'
            ? `verified: the server checked every chunk's ${i.algorithm}`
            : `verified: the server's ${i.algorithm} matches`
          : `unverified: the server offered no checksum; sha256 ${record.sha256}`;
      process.stdout.write(`Uploaded ${record.source} to ${record.url} (${formatBytes(record.total ?? 0)}), ${verdict}\n`);
    } else if (record.state === 'completed') {
      const verdict =
        i.status === 'verified'
          ? `verified: ${i.algorithm} matches the ${i.source} checksum`
          : `unverified: no checksum was given or offered; sha256 ${record.sha256}`;
      process.stdout.write(`Saved ${record.path} (${formatBytes(record.total ?? 0)}), ${verdict}\n`);
    } else {
      const what = record.direction === 'upload' ? `${record.source} -> ${record.url}` : record.url;
      process.stdout.write(`Failed ${what}: ${record.error?.message ?? 'the transfer did not finish'}\n`);
    }
  }

  stopped(record: TransferRecord): void {
    if (this.json) this.emit({ type: 'stopped', id: record.id, url: record.url, bytes: record.offset, state: record.state });
    else this.note(`Stopped ${record.url} at ${formatBytes(record.offset)}; run the same command or "ferry resume" to continue.`);
  }

  list(records: TransferRecord[]): void {
    if (this.json) {
      for (const r of records) {
        this.emit({ type: 'transfer', id: r.id, direction: r.direction, url: r.url, path: r.path, name: r.name, state: r.state, bytes: r.offset, total: r.total, sha256: r.sha256, integrity: r.integrity, resumes: r.resumes, restarts: r.restarts, error: r.error });
      }
      return;
    }
    if (records.length === 0) {
      process.stdout.write('No transfers yet.\n');
      return;
    }
    for (const r of records) {
      const size = r.total !== null ? `${formatBytes(r.state === 'completed' ? r.total : r.offset)} of ${formatBytes(r.total)}` : formatBytes(r.offset);
      process.stdout.write(`${r.state.padEnd(9)} ${r.integrity.status.padEnd(10)} ${size.padEnd(22)} ${r.name ?? r.url}\n`);
    }
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

  private emit(value: object): void {
    process.stdout.write(`${JSON.stringify(value)}\n`);
  }

  private draw(text: string): void {
    const width = process.stderr.columns ?? 80;
    // Erase to the end of the line after the text: a shorter line never keeps the last one's tail.
    process.stderr.write(`\r${text.slice(0, width - 1)}\u001b[K`);
    this.drawn = true;
  }

  private clearLine(): void {
    if (!this.drawn) return;
    process.stderr.write('\r\u001b[2K');
    this.drawn = false;
  }
}
