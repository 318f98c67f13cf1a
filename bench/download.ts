/**
 * bench/download: one verified, durable download of 1 GiB from nginx on loopback, against
 * the commands people run by hand for the same result, interleaved in the same run so the
 * machine's noise hits all of them:
 *
 *   ferry get             `ferry get URL --checksum sha256:HEX`: verified as the bytes arrive,
 *                         block digests, checkpoints, fsync before the atomic rename
 *   ferry engine          the same download in an engine already up (bench/ferry-host), as
 *                         in the desktop app: no Node start or exit in its figures
 *   curl+openssl+sync     `curl -o F && openssl dgst -sha256 F` (compared with HEX) `&& sync F`
 *   aria2c+checksum+sync  `aria2c --checksum=sha-256=HEX -o F && sync F` (aria2c checks it)
 *   curl -o               raw: neither hashed nor durable, the distance to the limit
 *
 * `sync F` is fsync(2) of that file (coreutils). Every row prints time, throughput,
 * CPU-seconds per GiB (user + sys of every process of the command) and peak RSS, medians
 * of the rounds with their min–max; then the ratios the targets of issue 13 name.
 *
 *   BENCH_SIZE_MB   size in MiB (default 1024)
 *   BENCH_ROUNDS    interleaved rounds (default 3)
 *   BENCH_QUEUED    other downloads waiting (paused) in the queue for the "+queued" row (default 10000)
 *   BENCH_OUT       where the downloads land (default .bench/out; on a disk the durable
 *                   runs are bound by its write speed, on tmpfs fsync is free and the
 *                   CPU cost shows: BENCH_OUT=/dev/shm/ferry-bench)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startNginx } from '../test/support/nginx';
import {
  BENCH_DIR,
  type Measured,
  type Per,
  ensureFile,
  formatBytes,
  fileSystemOf,
  freshDir,
  measureCommand,
  measureShell,
  median,
  printRows,
  printTable,
  ratio,
  resultsOf,
  roundsLabel,
  runFerryHost,
  runInterleaved,
  sha256File,
  sizeFromEnv,
  withSpread,
} from './support';

const SIZE = sizeFromEnv(1 << 30);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const OUT = path.resolve(process.env.BENCH_OUT ?? path.join(BENCH_DIR, 'out'));
const CLI = path.join(__dirname, '..', 'electron', 'cli', 'ferry.js');
/** Other downloads waiting in the queue for the "+queued" row (BENCH_QUEUED). */
const QUEUED = Number(process.env.BENCH_QUEUED ?? 10_000);

// $1 the folder, $2 the URL, $3 the expected SHA-256; the file is $1/f.bin. A wrong digest fails the run.
const CURL = 'curl -s -S -f -o "$1/f.bin" "$2"';
const CURL_OPENSSL_SYNC = `${CURL} && test "$(openssl dgst -sha256 -r "$1/f.bin" | cut -c1-64)" = "$3" && sync "$1/f.bin"`;
const ARIA2C_CHECKSUM_SYNC = 'aria2c -x1 -s1 -q --allow-overwrite=true --auto-file-renaming=false --checksum=sha-256="$3" -d "$1" -o f.bin "$2" && sync "$1/f.bin"';

async function main(): Promise<void> {
  const source = ensureFile('download.bin', SIZE);
  const expected = sha256File(source);
  const nginx = await startNginx(BENCH_DIR);
  const url = nginx.url(path.basename(source));
  const fresh = (): string => freshDir(OUT);
  const tools: Record<string, () => Promise<Measured>> = {
    'ferry get': async () => {
      const file = path.join(fresh(), 'f.bin');
      // One connection, Ferry's default: a single stream like the peers'.
      const run = await measureCommand(process.execPath, [CLI, 'get', url, '--dir', OUT, '--name', 'f.bin', '--data-dir', path.join(OUT, 'data'), '--checksum', `sha256:${expected}`, '--json']);
      const [result] = resultsOf(run.stdout);
      if (result?.state !== 'completed' || result.integrity.status !== 'verified' || !fs.existsSync(file)) throw new Error(`ferry get: ${run.stdout.slice(-2000)}`);
      return run;
    },
    'ferry engine': async () => runFerryHost(url, fresh(), expected),
    // The same, with QUEUED other downloads waiting (paused) in its queue and store.
    [`ferry engine +${QUEUED} queued`]: async () => runFerryHost(url, fresh(), expected, { FERRY_BENCH_QUEUED: String(QUEUED) }),
    'curl+openssl+sync': async () => measureShell(CURL_OPENSSL_SYNC, [fresh(), url, expected]),
    'aria2c+checksum+sync': async () => measureShell(ARIA2C_CHECKSUM_SYNC, [fresh(), url, expected]),
    'curl -o': async () => measureShell(CURL, [fresh(), url]),
  };
  let runs: Map<string, Measured[]>;
  try {
    runs = await runInterleaved(tools, ROUNDS);
  } finally {
    await nginx.stop();
    fs.rmSync(OUT, { recursive: true, force: true });
  }
  const per: Per = { unit: 'GiB', bytes: SIZE };
  console.log(`download benchmark: ${formatBytes(SIZE)} from nginx on loopback into ${OUT} (${fileSystemOf(path.dirname(OUT)).type}), ${roundsLabel(ROUNDS)}`);
  console.log('  (ferry engine: measured inside its process, from adding the download to its verdict; "whole process": exec to exit)');
  printRows(runs, per);
  const engine = runs.get('ferry engine')!.map((m) => m.extra as { loopP99Ms: number; loopMaxMs: number });
  const rssMB = (name: string): string => withSpread(runs.get(name)!.map((m) => (m.peakRssBytes ?? NaN) / 1e6), 0);
  const lines: string[][] = [];
  for (const ferry of ['ferry get', 'ferry engine']) {
    lines.push(
      [`${ferry} / curl+openssl+sync, time`, ratio(runs, ferry, 'curl+openssl+sync', 'time'), 'target <= 1.00'],
      [`${ferry} / aria2c+checksum+sync, time`, ratio(runs, ferry, 'aria2c+checksum+sync', 'time'), 'target <= 0.67'],
      [`${ferry} / curl+openssl+sync, CPU`, ratio(runs, ferry, 'curl+openssl+sync', 'cpu'), 'target <= 1.50'],
      [`${ferry} / curl -o, time`, ratio(runs, ferry, 'curl -o', 'time'), 'no target: the distance to the limit (curl -o neither hashes nor syncs)'],
      [`${ferry} peak RSS, MB`, rssMB(ferry), 'target <= 100'],
    );
  }
  const queuedRss = (name: string): number => median(runs.get(name)!.map((m) => (m.peakRssBytes ?? NaN) / 1e6));
  const added = queuedRss(`ferry engine +${QUEUED} queued`) - queuedRss('ferry engine');
  lines.push([`${QUEUED} queued transfers add, MB`, added.toFixed(0), 'target <= 50 (medians of peak RSS, with and without them)']);
  lines.push(['ferry engine event-loop delay p99, ms', withSpread(engine.map((e) => e.loopP99Ms), 1), `target < 20 (max ${Math.max(...engine.map((e) => e.loopMaxMs))} ms)`]);
  printTable(lines);
  console.log('  note: the peers hash after the download, reading the file back from the page cache (openssl dgst; aria2c --checksum); Ferry hashes as the bytes arrive');
}

void main();
