import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { formatBytes, formatSpeed } from '../electron/common/format';
import { Engine } from '../electron/engine/engine';
import { randomBytesOf } from '../test/support/fault-server';

/** Benchmarks keep their big files here (ignored by git) so reruns skip the setup. */
export const BENCH_DIR = path.join(__dirname, '..', '..', '.bench');

export function ensureFile(name: string, size: number): string {
  fs.mkdirSync(BENCH_DIR, { recursive: true });
  const file = path.join(BENCH_DIR, name);
  if (fs.existsSync(file) && fs.statSync(file).size === size) return file;
  const fd = fs.openSync(file, 'w');
  const chunk = 16 << 20;
  for (let at = 0; at < size; at += chunk) fs.writeSync(fd, randomBytesOf(Math.min(chunk, size - at), at / chunk + 1));
  fs.closeSync(fd);
  return file;
}

export function sha256File(file: string): string {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(8 << 20);
  let n: number;
  while ((n = fs.readSync(fd, buf)) > 0) hash.update(buf.subarray(0, n));
  fs.closeSync(fd);
  return hash.digest('hex');
}

/**
 * What one run of one tool cost. Every figure is for the whole run, from exec to exit,
 * unless the row is measured inside its host (see `whole`).
 */
export interface Measured {
  /** Wall-clock seconds. */
  seconds: number;
  /** CPU seconds in user and in system mode, of every process and thread of the run. */
  userSeconds: number;
  systemSeconds: number;
  /** The highest resident set of any one process of the run (kernel's VmHWM / ru_maxrss). */
  peakRssBytes: number | null;
  /**
   * For a row measured inside its host process (the engine already up, from adding the
   * transfer to its verdict): the host process from exec to exit, as `seconds` etc. would be.
   */
  whole?: { seconds: number; userSeconds: number; systemSeconds: number };
  extra?: Record<string, unknown>;
  /** Added to the run's progress line on stderr. */
  note?: string;
}

export const cpuOf = (m: { userSeconds: number; systemSeconds: number }): number => m.userSeconds + m.systemSeconds;

/**
 * The command runs as the only child of a bash that reads the clock around it and then
 * prints `times`: its second line is getrusage(RUSAGE_CHILDREN), the kernel's own count of
 * the CPU used by every descendant bash waited for (each one's threads, and the children
 * they waited for in turn: the curl, openssl and sync of a `sh -c` line), to the
 * millisecond and up to the last instruction before exit. bash's own CPU is its first
 * line and is left out. fd 3 carries this back and is closed for the command.
 */
const MEASURE = 's=$EPOCHREALTIME; "$@" 3>&-; rc=$?; e=$EPOCHREALTIME; { echo "$s $e"; times; } >&3; exit $rc';

/** Seconds from bash's `3m1.234s` (the decimal point is the locale's). */
function timesSeconds(text: string): number {
  const m = /(\d+)m(\d+)(?:[.,](\d+))?s/.exec(text);
  if (!m) throw new Error(`unreadable times output: ${text}`);
  return Number(m[1]) * 60 + Number(`${m[2]}.${m[3] ?? '0'}`);
}

function parseUsage(text: string): { seconds: number; userSeconds: number; systemSeconds: number } | null {
  const lines = text.trim().split('\n');
  const clock = /^(\d+)[.,](\d+) (\d+)[.,](\d+)$/.exec(lines[0] ?? '');
  const children = lines[2]?.trim().split(/\s+/);
  if (!clock || children?.length !== 2) return null;
  return {
    seconds: Number(`${clock[3]}.${clock[4]}`) - Number(`${clock[1]}.${clock[2]}`),
    userSeconds: timesSeconds(children[0]!),
    systemSeconds: timesSeconds(children[1]!),
  };
}

/** The processes below `pid` (children files list those forked by each thread; every process here forks from its main thread). */
function descendants(pid: number): number[] {
  const found: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    const parent = stack.pop()!;
    let children: string;
    try {
      children = fs.readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8');
    } catch {
      continue; // exited
    }
    for (const child of children.split(' ')) {
      if (child.trim()) {
        found.push(Number(child));
        stack.push(Number(child));
      }
    }
  }
  return found;
}

/**
 * Polls the high-water mark (VmHWM) of every process below `root` every 10 ms. VmHWM is the
 * kernel's own peak and never falls, so a poll misses only what a process grows in its
 * last 10 ms, and a process that lives less than 10 ms (a `sync`). A host that reports
 * its own peak (process.resourceUsage) gives the exact figure.
 */
function watchPeakRss(root: number): () => number | null {
  let peak: number | null = null;
  const poll = (): void => {
    for (const pid of descendants(root)) {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak ?? 0, Number(m[1]) * 1024);
      } catch {
        // exited
      }
    }
  };
  const timer = setInterval(poll, 10);
  return () => {
    clearInterval(timer);
    return peak;
  };
}

/** Runs a command and measures it: wall time, CPU (user and system, whole process tree), peak RSS. Needs bash. */
export async function measureCommand(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Measured & { stdout: string }> {
  const started = process.hrtime.bigint();
  const child = spawn('bash', ['-c', MEASURE, 'measure', command, ...args], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  let usage = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  (child.stdio[3] as Readable).on('data', (d: Buffer) => (usage += d.toString()));
  const stopWatching = child.pid === undefined ? () => null : watchPeakRss(child.pid);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', (error) => reject(new Error(`the benchmarks measure each run under bash, which did not start: ${error.message}`)));
    child.on('close', resolve);
  });
  const peakRssBytes = stopWatching();
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`${command} ${args.join(' ').slice(0, 500)} exited ${code}: ${stderr.slice(-2000)}`);
  const measured = parseUsage(usage);
  if (!measured) throw new Error(`no usage figures came back from bash: ${JSON.stringify(usage)}`);
  // EPOCHREALTIME needs bash 5; an older one leaves it empty and the clock here stands in.
  return { ...measured, seconds: measured.seconds > 0 ? measured.seconds : wall, peakRssBytes, stdout };
}

/** Runs a `sh` script with these positional arguments ($1, $2, ...), measured as one command. */
export function measureShell(script: string, args: string[]): Promise<Measured & { stdout: string }> {
  return measureCommand('sh', ['-c', script, 'sh', ...args]);
}

/**
 * Runs every tool once per round, interleaved, so the machine's noise hits all of them
 * alike; prints each run to stderr and returns the measurements by tool.
 */
export async function runInterleaved(tools: Record<string, () => Promise<Measured>>, rounds: number): Promise<Map<string, Measured[]>> {
  const runs = new Map<string, Measured[]>();
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of Object.entries(tools)) {
      const m = await run();
      runs.set(name, [...(runs.get(name) ?? []), m]);
      const whole = m.whole ? ` (whole process ${m.whole.seconds.toFixed(2)} s, ${cpuOf(m.whole).toFixed(2)} CPU-s)` : '';
      process.stderr.write(`  round ${round + 1} ${name}: ${m.seconds.toFixed(2)} s, ${cpuOf(m).toFixed(2)} CPU-s${whole}${m.note ? `, ${m.note}` : ''}\n`);
    }
  }
  return runs;
}

/**
 * The file system `dir` is on, as `df` names it, and whether it keeps a journal where that
 * changes what a bench measures: on ext4 without one (this project's build machine), a new
 * file skips every inode freed in the last one to six minutes (the kernel's
 * `recently_deleted`, there for journal-less recovery), one buffer lookup each, so creating
 * files right after deleting thousands costs O(n) a file in the kernel, for every tool.
 */
export function fileSystemOf(dir: string): { type: string; note: string | null } {
  let type = '?';
  let source = '';
  try {
    const lines = execFileSync('df', ['--output=fstype,source', dir], { encoding: 'utf8' }).trim().split('\n');
    [type = '?', source = ''] = (lines.pop() ?? '').trim().split(/\s+/);
  } catch {
    return { type, note: null };
  }
  if (type !== 'ext4' || !fs.existsSync('/proc/fs/jbd2')) return { type, note: null };
  const device = path.basename(source);
  const journaled = fs.readdirSync('/proc/fs/jbd2').some((entry) => entry.startsWith(`${device}-`));
  if (journaled) return { type: 'ext4 with a journal', note: null };
  return {
    type: 'ext4 without a journal',
    note: `${dir} is on ext4 without a journal: there a new file skips every inode freed in the last 1-6 minutes (the kernel's recently_deleted), so creating files soon after deleting many costs every tool sys time that grows with what was deleted. Each run here gets a folder never used before and nothing is deleted until the end; for figures free of earlier deletes, point BENCH_OUT at a journaled file system.`,
  };
}

/** An empty folder at `dir` (what was there is removed first). */
export function freshDir(dir: string): string {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** "median (min–max)" over the rounds; one round prints its value alone. */
export function withSpread(values: number[], digits: number): string {
  const show = (v: number): string => v.toFixed(digits);
  if (values.length < 2) return show(values[0] ?? NaN);
  return `${show(median(values))} (${show(Math.min(...values))}–${show(Math.max(...values))})`;
}

/** How the figures were reduced, for a bench's heading. */
export const roundsLabel = (rounds: number): string => (rounds === 1 ? 'one round (BENCH_ROUNDS=1: no spread, no medians)' : `medians of ${rounds} interleaved rounds (min–max)`);

/** What CPU and throughput are counted per: a GiB of `bytes` moved, or one of `files`. */
export type Per = { unit: 'GiB'; bytes: number } | { unit: 'file'; files: number };

/** CPU-seconds per GiB, or CPU milliseconds per file. */
export function cpuPer(m: { userSeconds: number; systemSeconds: number }, per: Per): number {
  return per.unit === 'GiB' ? cpuOf(m) / (per.bytes / 2 ** 30) : (cpuOf(m) * 1000) / per.files;
}

export const cpuUnit = (per: Per): string => (per.unit === 'GiB' ? 'CPU-s/GiB' : 'CPU ms/file');

/** Prints rows as aligned columns, two spaces apart, each line indented by two. */
export function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  for (const row of rows) console.log(`  ${row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join("  ")}`.trimEnd());
}

/**
 * One line per tool: time, throughput, CPU per unit (user + sys), peak RSS; medians with
 * the rounds' min–max. A row measured inside its host is followed by a `whole process`
 * line: the same process from exec to exit.
 */
export function printRows(runs: Map<string, Measured[]>, per: Per): void {
  const digits = per.unit === 'GiB' ? 2 : 3;
  const spread = [...runs.values()].some((ms) => ms.length > 1) ? ' (min–max)' : '';
  const rows = [['', `time s${spread}`, (per.unit === 'GiB' ? 'MiB/s' : 'files/s').padStart(7), `${cpuUnit(per)}${spread} = user + sys`, `peak RSS MB${spread}`]];
  const row = (name: string, ms: Array<{ seconds: number; userSeconds: number; systemSeconds: number; peakRssBytes?: number | null }>): string[] => {
    const seconds = median(ms.map((m) => m.seconds));
    const speed = per.unit === 'GiB' ? per.bytes / seconds / 2 ** 20 : per.files / seconds;
    const user = median(ms.map((m) => cpuPer({ userSeconds: m.userSeconds, systemSeconds: 0 }, per)));
    const sys = median(ms.map((m) => cpuPer({ userSeconds: 0, systemSeconds: m.systemSeconds }, per)));
    const rss = ms.every((m) => typeof m.peakRssBytes === 'number') ? withSpread(ms.map((m) => m.peakRssBytes! / 1e6), 0) : '';
    return [name, withSpread(ms.map((m) => m.seconds), 2), speed.toFixed(0).padStart(7), `${withSpread(ms.map((m) => cpuPer(m, per)), digits)} = ${user.toFixed(digits)} + ${sys.toFixed(digits)}`, rss];
  };
  for (const [name, ms] of runs) {
    rows.push(row(name, ms));
    const wholes = ms.map((m) => m.whole).filter((w) => w !== undefined);
    if (wholes.length === ms.length) rows.push(row('  whole process', wholes));
  }
  printTable(rows);
}

/**
 * `a` against `b`: the ratio of their medians, with the min–max of the round-by-round
 * ratios (the rounds are interleaved, so round i of each ran side by side). `time` and
 * `cpu` are a/b (lower is better for a); `speed` is b's time over a's (higher is better);
 * a function gives another figure of a run, compared as a/b.
 */
export function ratio(runs: Map<string, Measured[]>, a: string, b: string, metric: 'time' | 'cpu' | 'speed' | ((m: Measured) => number)): string {
  const of = (m: Measured): number => (typeof metric === 'function' ? metric(m) : metric === 'cpu' ? cpuOf(m) : m.seconds);
  const as = runs.get(a)!;
  const bs = runs.get(b)!;
  const overall = metric === 'speed' ? median(bs.map(of)) / median(as.map(of)) : median(as.map(of)) / median(bs.map(of));
  const byRound = as.map((m, i) => (metric === 'speed' ? of(bs[i]!) / of(m) : of(m) / of(bs[i]!)));
  const range = byRound.length < 2 ? '' : ` (rounds ${Math.min(...byRound).toFixed(2)}–${Math.max(...byRound).toFixed(2)})`;
  return `${overall.toFixed(2)}x${range}`;
}

/** Counts of files for the many-file benches: BENCH_COUNT (one), else BENCH_COUNTS (a comma list), else `defaults`. */
export function countsFromEnv(defaults: number[]): number[] {
  const given = process.env.BENCH_COUNT ?? process.env.BENCH_COUNTS;
  if (!given) return defaults;
  const counts = given.split(',').map((s) => Number(s.trim()));
  if (counts.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`BENCH_COUNT(S) wants whole numbers, comma-separated: ${given}`);
  return counts;
}

/** A size in bytes: BENCH_SIZE_MB (MiB), else BENCH_SIZE (bytes), else `fallback`. */
export function sizeFromEnv(fallback: number): number {
  const size = process.env.BENCH_SIZE_MB ? Number(process.env.BENCH_SIZE_MB) * 2 ** 20 : Number(process.env.BENCH_SIZE ?? fallback);
  if (!Number.isFinite(size) || size < 1) throw new Error(`BENCH_SIZE_MB / BENCH_SIZE: not a size: ${process.env.BENCH_SIZE_MB ?? process.env.BENCH_SIZE}`);
  return Math.round(size);
}

/** Ferry's `--json` result lines. */
export function resultsOf(stdout: string): Array<{ state: string; integrity: { status: string } }> {
  return stdout
    .split('\n')
    .filter((line) => line.includes('"type":"result"'))
    .map((line) => JSON.parse(line) as { state: string; integrity: { status: string } });
}

export function rate(bytes: number, seconds: number): string {
  return formatSpeed(bytes / seconds);
}

export { formatBytes };

/**
 * A data directory holding `count` paused downloads (as a long-lived queue would), with
 * auto-resume off, for `ferry serve` to open. They point at a closed port and never run.
 */
export async function prepareQueue(dataDir: string, count: number): Promise<void> {
  const engine = Engine.open({ dataDir, command: 'bench' });
  engine.store.transaction(() => {
    for (let i = 0; i < count; i++) engine.addDownload({ url: `http://127.0.0.1:9/archive/2026/file-${String(i).padStart(5, '0')}.tar.gz`, dir: path.join(dataDir, 'downloads') });
  });
  await engine.pauseAll();
  engine.settings.setMany({ settings: { autoResume: false } });
  await engine.close();
}

const FERRY_HOST = path.join(__dirname, 'ferry-host.js');

/** What bench/ferry-host prints. */
export type HostReport = {
  state: string;
  integrity: string;
  downloadSeconds: number;
  cpuUserSeconds: number;
  cpuSystemSeconds: number;
  loopP50Ms: number;
  loopP99Ms: number;
  loopMaxMs: number;
  maxRssBytes: number;
};

/**
 * One verified download in an engine already up (bench/ferry-host): time and CPU from
 * adding the download to its verdict, as measured inside the process; the whole process
 * (Node's start, the engine's open and close, exit) measured from outside, beside them.
 */
export async function runFerryHost(url: string, dir: string, sha256: string, env: NodeJS.ProcessEnv = {}): Promise<Measured & { extra: HostReport }> {
  const run = await measureCommand(process.execPath, [FERRY_HOST, url, dir, path.join(dir, 'data'), sha256], env);
  const report = JSON.parse(run.stdout) as HostReport;
  if (report.integrity !== 'verified') throw new Error(`ferry engine: ${run.stdout}`);
  return {
    seconds: report.downloadSeconds,
    userSeconds: report.cpuUserSeconds,
    systemSeconds: report.cpuSystemSeconds,
    peakRssBytes: Math.max(run.peakRssBytes ?? 0, report.maxRssBytes),
    whole: { seconds: run.seconds, userSeconds: run.userSeconds, systemSeconds: run.systemSeconds },
    extra: report,
  };
}
