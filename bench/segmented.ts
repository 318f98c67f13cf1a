/**
 * bench/segmented: 200 MiB from nginx on loopback with `limit_rate 20m` per connection.
 * Ferry with 8 connections (`ferry get --connections 8`, SHA-256 recorded, fsynced) against
 * `aria2c -x8 -s8`, interleaved in the same run. Eight connections at 20 MiB/s each (nginx's
 * `m` is MiB) make 160 MiB/s the limit, past nginx's first-second burst per request. Every
 * row prints time, throughput, CPU-seconds per GiB (user + sys) and peak RSS, medians of
 * the rounds with their min–max; then the ratios.
 *
 *   BENCH_SIZE_MB (default 200), BENCH_ROUNDS (default 3), BENCH_OUT
 *
 * Target (issues 3, 13): `ferry get`'s throughput at least 1.0x aria2c's. `ferry get` pays Node's start
 * and exit (about 0.2 s here) on every run; the engine row measures the same download in
 * an engine that is already up, as the desktop app's is.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startNginx } from '../test/support/nginx';
import { BENCH_DIR, type Measured, ensureFile, freshDir, measureCommand, median, printRows, printTable, ratio, resultsOf, roundsLabel, runFerryHost, runInterleaved, sha256File, sizeFromEnv } from './support';

const SIZE = sizeFromEnv(200 << 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 8;
const CLI = path.join(__dirname, '..', 'electron', 'cli', 'ferry.js');
const OUT = path.resolve(process.env.BENCH_OUT ?? path.join(BENCH_DIR, 'out-segmented'));

async function main(): Promise<void> {
  const source = ensureFile('segmented.bin', SIZE);
  const expected = sha256File(source);
  const nginx = await startNginx(BENCH_DIR, { limitRate: '20m' });
  const url = nginx.url(path.basename(source));
  const fresh = (): string => freshDir(OUT);
  const engineRun = async (env: NodeJS.ProcessEnv): Promise<Measured> => runFerryHost(url, fresh(), expected, { FERRY_BENCH_CONNECTIONS: String(CONNECTIONS), ...env });
  // nginx's log tells how many requests each run made: each new one gets limit_rate's burst.
  const requests = new Map<string, number[]>();
  const counted = (tools: Record<string, () => Promise<Measured>>): Record<string, () => Promise<Measured>> =>
    Object.fromEntries(
      Object.entries(tools).map(([name, run]) => [
        name,
        async () => {
          const before = nginx.log().length;
          const m = await run();
          const made = nginx.log().length - before;
          requests.set(name, [...(requests.get(name) ?? []), made]);
          return { ...m, note: `${made} requests` };
        },
      ]),
    );
  const tools = counted({
    ferry: async () => {
      const dir = fresh();
      const args = [CLI, 'get', url, '--dir', dir, '--data-dir', path.join(dir, 'data'), '--connections', String(CONNECTIONS), '--max-per-host', String(CONNECTIONS), '--json'];
      const run = await measureCommand(process.execPath, args);
      if (resultsOf(run.stdout)[0]?.state !== 'completed') throw new Error(`ferry: ${run.stdout}`);
      return run;
    },
    // The same engine already running, as in the desktop app: from adding the URL to the verdict.
    'ferry engine': async () => engineRun({}),
    // Like aria2c -s8: one long request per connection. nginx's limit_rate grants every new
    // request a second's worth of bytes at once, so Ferry's default (four pieces per
    // connection, taken in file order) also gains from those bursts; this row does not.
    'ferry 1/conn': async () => engineRun({ FERRY_BENCH_PIECES: '1' }),
    aria2c: async () => {
      const dir = fresh();
      return measureCommand('aria2c', [`-x${CONNECTIONS}`, `-s${CONNECTIONS}`, '-q', '--allow-overwrite=true', '--auto-file-renaming=false', '-d', dir, '-o', 'a.bin', url]);
    },
  });
  let runs: Map<string, Measured[]>;
  try {
    runs = await runInterleaved(tools, ROUNDS);
  } finally {
    await nginx.stop();
    fs.rmSync(OUT, { recursive: true, force: true });
  }
  console.log(`segmented benchmark: ${(SIZE / 2 ** 20).toFixed(0)} MiB from nginx (limit_rate 20m per connection), ${CONNECTIONS} connections, ${roundsLabel(ROUNDS)}`);
  printRows(runs, { unit: 'GiB', bytes: SIZE });
  printTable([
    ['ferry / aria2c, speed', ratio(runs, 'ferry', 'aria2c', 'speed'), 'target >= 1.00 (the limit is 160 MiB/s; ferry get starts Node each time)'],
    ['ferry / aria2c, CPU', ratio(runs, 'ferry', 'aria2c', 'cpu'), 'no target'],
    ['ferry engine / aria2c, speed', ratio(runs, 'ferry engine', 'aria2c', 'speed'), 'the engine already running, as in the app'],
    ['ferry 1/conn / aria2c, speed', ratio(runs, 'ferry 1/conn', 'aria2c', 'speed'), 'like for like: one request per connection, no per-request bursts'],
  ]);
  const made = [...requests].map(([name, counts]) => `${name} ${median(counts)}`).join(', ');
  console.log(`  note: nginx's limit_rate lets each new request send a second's worth (20 MiB) unthrottled, so more requests mean more bursts; requests per run: ${made}`);
}

void main();
