/**
 * bench/download: 1 GiB from nginx on loopback. Ferry (SHA-256 verified, block digests,
 * checkpoints with fsync, fsync before the final rename) against `curl -o` and
 * `aria2c -x1 -s1`, interleaved in the same run so the machine's noise hits all of them.
 * Prints medians and ratios.
 *
 * Ferry makes every byte durable before it calls a download done; curl and aria2c leave
 * theirs in the page cache. So each peer is also run as "peer, then fsync its file", the
 * like-for-like comparison, and both ratios are printed. BENCH_OUT picks the folder the
 * downloads land in: on a disk the fsync'd runs are bound by the disk's write speed; on
 * tmpfs (BENCH_OUT=/dev/shm/ferry-bench) fsync is free and the engine's CPU cost shows.
 *
 * Targets (issue 2): Ferry >= 0.9x curl's throughput and >= 1.5x aria2c's; peak RSS under
 * 150 MB; p99 event-loop delay of the engine's process under 20 ms.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startNginx } from '../test/support/nginx';
import { BENCH_DIR, freshDir, runInterleaved, ensureFile, formatBytes, type Measured, measureCommand, median, sha256File } from './support';

const SIZE = Number(process.env.BENCH_SIZE ?? 1 << 30);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const OUT = path.resolve(process.env.BENCH_OUT ?? path.join(BENCH_DIR, 'out'));
const HOST = path.join(__dirname, 'ferry-host.js');

function fileSystemOf(dir: string): string {
  try {
    return execFileSync('df', ['--output=fstype', dir], { encoding: 'utf8' }).trim().split('\n').pop() ?? '?';
  } catch {
    return '?';
  }
}

async function main(): Promise<void> {
  const source = ensureFile('download.bin', SIZE);
  const expected = sha256File(source);
  const nginx = await startNginx(BENCH_DIR);
  const url = nginx.url(path.basename(source));
  const fresh = (): string => freshDir(OUT);
  // `sync FILE` is fsync(2) on that file (coreutils), so "peer then sync" is timed as one command.
  const thenSync = (command: string, file: string): [string, string[]] => ['sh', ['-c', `${command} && sync "${file}"`]];
  const curl = (file: string): string => `curl -s -S -f -o "${file}" "${url}"`;
  const aria2c = (dir: string): string => `aria2c -x1 -s1 -q --allow-overwrite=true --auto-file-renaming=false -d "${dir}" -o a.bin "${url}"`;
  const tools: Record<string, () => Promise<Measured>> = {
    ferry: async () => {
      const dir = fresh();
      const run = await measureCommand(process.execPath, [HOST, url, dir, path.join(dir, 'data'), expected]);
      const extra = JSON.parse(run.stdout) as Record<string, unknown>;
      if (extra.integrity !== 'verified') throw new Error(`ferry: ${run.stdout}`);
      return { ...run, peakRssBytes: extra.maxRssBytes as number, extra };
    },
    curl: async () => {
      const dir = fresh();
      return measureCommand('sh', ['-c', curl(path.join(dir, 'c.bin'))]);
    },
    'curl+fsync': async () => {
      const dir = fresh();
      return measureCommand(...thenSync(curl(path.join(dir, 'c.bin')), path.join(dir, 'c.bin')));
    },
    aria2c: async () => {
      const dir = fresh();
      return measureCommand('sh', ['-c', aria2c(dir)]);
    },
    'aria2c+fsync': async () => {
      const dir = fresh();
      return measureCommand(...thenSync(aria2c(dir), path.join(dir, 'a.bin')));
    },
  };
  let runs: Map<string, Measured[]>;
  try {
    runs = await runInterleaved(tools, ROUNDS);
  } finally {
    await nginx.stop();
    fs.rmSync(OUT, { recursive: true, force: true });
  }
  const mibps = (name: string): number => SIZE / median(runs.get(name)!.map((m) => m.seconds)) / 2 ** 20;
  const ratio = (a: string, b: string): string => `${(mibps(a) / mibps(b)).toFixed(2)}x`;
  console.log(`download benchmark: ${formatBytes(SIZE)} from nginx on loopback into ${OUT} (${fileSystemOf(path.dirname(OUT))}), median of ${ROUNDS} interleaved rounds`);
  for (const name of Object.keys(tools)) {
    const rss = median(runs.get(name)!.map((m) => m.peakRssBytes ?? 0));
    console.log(`  ${name.padEnd(13)} ${mibps(name).toFixed(0).padStart(6)} MiB/s   peak RSS ${formatBytes(rss)}`);
  }
  const ferryRuns = runs.get('ferry')!;
  const p99 = median(ferryRuns.map((m) => m.extra!.loopP99Ms as number));
  const max = Math.max(...ferryRuns.map((m) => m.extra!.loopMaxMs as number));
  const rss = median(ferryRuns.map((m) => m.peakRssBytes ?? 0));
  console.log(`  ferry event-loop delay during the verified download: p99 ${p99} ms (target < 20), max ${max} ms`);
  console.log(`  ratio ferry/curl         ${ratio('ferry', 'curl')} (target >= 0.90; curl's bytes are still in the page cache)`);
  console.log(`  ratio ferry/aria2c       ${ratio('ferry', 'aria2c')} (target >= 1.50; same)`);
  console.log(`  ratio ferry/curl+fsync   ${ratio('ferry', 'curl+fsync')} (like for like: every byte durable)`);
  console.log(`  ratio ferry/aria2c+fsync ${ratio('ferry', 'aria2c+fsync')}`);
  console.log(`  ferry peak RSS ${(rss / 1e6).toFixed(0)} MB (target < 150 MB)`);
}

void main();
