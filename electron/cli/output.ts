import { formatBytes, formatDuration, formatPercent, formatSpeed, SpeedMeter } from '../common/format';
import type { TransferRecord } from '../common/transfer';
import type { EngineEvent } from '../engine/context';

type Progress = { bytes: number; total: number | null } | null;

/** The contract's result line (DESIGN.md section 7). */
export function resultLine(record: TransferRecord): Record<string, unknown> {
  const line: Record<string, unknown> = {
    type: 'result',
    id: record.id,
    direction: record.direction,
    url: record.url,
    path: record.path,
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

  constructor(private readonly json: boolean) {}

  note(text: string): void {
    this.clearLine();
    process.stderr.write(`${text}\n`);
  }

  event(event: EngineEvent): void {
    if (this.json) {
      if (event.type !== 'ended') this.emit(event.type === 'retrying' ? { ...event, error: { code: event.error.code, message: event.error.message } } : event);
      return;
    }
    switch (event.type) {
      case 'started':
        this.note(`Downloading ${event.name}${event.total !== null ? ` (${formatBytes(event.total)})` : ''}`);
        break;
      case 'resumed':
        this.note(`Resuming at ${formatBytes(event.offset)}${event.validator ? ` (validator ${event.validator})` : ''}; ${formatBytes(event.overlapBytes)} overlap checked`);
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

  result(record: TransferRecord): void {
    this.clearLine();
    if (this.json) {
      this.emit(resultLine(record));
      return;
    }
    const i = record.integrity;
    if (record.state === 'completed') {
      const verdict =
        i.status === 'verified'
          ? `verified: ${i.algorithm} matches the ${i.source} checksum`
          : `unverified: no checksum was given or offered; sha256 ${record.sha256}`;
      process.stdout.write(`Saved ${record.path} (${formatBytes(record.total ?? 0)}), ${verdict}\n`);
    } else {
      process.stdout.write(`Failed ${record.url}: ${record.error?.message ?? 'the transfer did not finish'}\n`);
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

  /** Shows progress of running transfers until unwatch(). */
  watch(ids: string[], progress: (id: string) => Progress, record: (id: string) => TransferRecord | undefined): void {
    const tick = (): void => {
      const now = Date.now();
      let bytes = 0;
      let total = 0;
      let known = true;
      let speed = 0;
      let active = 0;
      for (const id of ids) {
        const p = progress(id);
        const r = record(id);
        if (!p || !r) continue;
        const meter = this.meters.get(id) ?? new SpeedMeter();
        this.meters.set(id, meter);
        meter.add(now, p.bytes);
        bytes += p.bytes;
        if (p.total === null) known = false;
        else total += p.total;
        if (r.state === 'active') {
          active++;
          speed += meter.rate();
        }
        if (this.json && r.state === 'active' && now - this.lastJsonProgress >= 1000) {
          this.emit({ type: 'progress', id, bytes: p.bytes, total: p.total, speed: Math.round(meter.rate()) });
        }
      }
      if (this.json && now - this.lastJsonProgress >= 1000) this.lastJsonProgress = now;
      if (!this.json && this.tty && active > 0) {
        const eta = known && speed > 0 ? ` ETA ${formatDuration((total - bytes) / speed)}` : '';
        const pct = known ? `${formatPercent(bytes, total)} ` : '';
        this.draw(`${active} active  ${pct}${formatBytes(bytes)}${known ? ` of ${formatBytes(total)}` : ''}  ${formatSpeed(speed)}${eta}`);
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
    process.stderr.write(`\r${text.slice(0, width - 1).padEnd(Math.min(width - 1, text.length + 2))}`);
    this.drawn = true;
  }

  private clearLine(): void {
    if (!this.drawn) return;
    process.stderr.write('\r\u001b[2K');
    this.drawn = false;
  }
}
