/** Numbers people compare (sizes, speeds, times), formatted the same everywhere. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${bytes} B`;
  return `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)} ${UNITS[unit]}`;
}

/**
 * A size where the exact count matters (two sizes that must be told apart, an offset a
 * server disagrees about): the size for people, then the exact bytes. "4.77 MiB (5,000,000 bytes)".
 */
export function formatExactBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return formatBytes(bytes);
  return `${formatBytes(bytes)} (${bytes.toLocaleString('en-US')} bytes)`;
}

export function formatSpeed(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

/** 5 s, 2 min 05 s, 1 h 02 min; "?" when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

export function formatPercent(done: number, total: number | null): string {
  if (total === null || total <= 0) return '';
  return `${Math.min(100, Math.floor((done / total) * 100))}%`;
}

/**
 * Speed over a sliding window, so a burst or a pause does not swing the number;
 * feed it (time, bytes held) samples.
 */
export class SpeedMeter {
  private samples: Array<[number, number]> = [];

  constructor(private readonly windowMs = 5000) {}

  add(now: number, bytes: number): void {
    this.samples.push([now, bytes]);
    while (this.samples.length > 2 && now - this.samples[0]![0] > this.windowMs) this.samples.shift();
  }

  /** Bytes per second; 0 until two samples exist. */
  rate(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last[0] <= first[0]) return 0;
    return Math.max(0, ((last[1] - first[1]) * 1000) / (last[0] - first[0]));
  }
}
