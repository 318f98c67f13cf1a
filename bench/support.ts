import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
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

export interface Measured {
  seconds: number;
  peakRssBytes: number | null;
  extra?: Record<string, unknown>;
}

/** Runs a command, timing it and polling its kernel-tracked peak RSS (VmHWM). */
export async function measureCommand(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Measured & { stdout: string }> {
  const started = process.hrtime.bigint();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let peak: number | null = null;
  const poll = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak ?? 0, Number(m[1]) * 1024);
    } catch {
      // exited
    }
  }, 10);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(poll);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`);
  return { seconds, peakRssBytes: peak, stdout };
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
      process.stderr.write(`  round ${round + 1} ${name}: ${m.seconds.toFixed(2)} s\n`);
    }
  }
  return runs;
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
