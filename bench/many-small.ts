/**
 * bench/many-small: 2,000 and 10,000 files of 16 KiB from nginx on loopback, 16 at once.
 * Ferry (`ferry get -i LIST`: each file hashed, fsynced, recorded and renamed into place)
 * against `aria2c -j16 -i LIST`, the same list, interleaved in the same run. Every row
 * prints time, files a second, CPU milliseconds per file (user + sys of the whole process)
 * and peak RSS, medians of the rounds with their min–max; then the ratios the targets of
 * issue 13 name. Last, what splits Ferry's CPU a file: a 1-file `get` (Node's start,
 * loading, a new store: the same for any count), and the CPU each file past the fewest
 * added (between the medians of the fewest and the most files: the cost once warm).
 *
 *   BENCH_COUNTS   file counts, comma-separated (default 2000,10000); BENCH_COUNT one count
 *   BENCH_ROUNDS   interleaved rounds (default 3)
 *   BENCH_OUT      where the files land (default .bench/out-small); every run gets a folder
 *                  of its own there and nothing is deleted until the bench ends (see
 *                  fileSystemOf: on ext4 without a journal, files made soon after a big
 *                  delete cost sys time that grows with what was deleted)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytesOf } from '../test/support/fault-server';
import { startNginx } from '../test/support/nginx';
import { BENCH_DIR, type Measured, countsFromEnv, cpuOf, cpuPer, fileSystemOf, freshDir, median, measureCommand, printRows, printTable, ratio, resultsOf, roundsLabel, runInterleaved, withSpread } from './support';

const COUNTS = countsFromEnv([2000, 10000]);
const SIZE = 16 << 10;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ACTIVE = 16;
const CLI = path.join(__dirname, '..', 'electron', 'cli', 'ferry.js');
const OUT = path.resolve(process.env.BENCH_OUT ?? path.join(BENCH_DIR, 'out-small'));
const ROOT = path.join(BENCH_DIR, 'small');

/** f0.bin ... f(count-1).bin under ROOT; those already there are kept. */
function prepareFiles(count: number): void {
  fs.mkdirSync(ROOT, { recursive: true });
  for (let i = 0; i < count; i++) {
    const file = path.join(ROOT, `f${i}.bin`);
    if (!fs.existsSync(file)) fs.writeFileSync(file, randomBytesOf(SIZE, i + 1));
  }
}

async function main(): Promise<void> {
  prepareFiles(Math.max(...COUNTS));
  freshDir(OUT);
  const { type, note } = fileSystemOf(OUT);
  const nginx = await startNginx(ROOT);
  let runNumber = 0;
  const peakRss = new Map<number, number>();
  /** Ferry's median CPU-seconds for each count. */
  const ferryCpu = new Map<number, number>();
  try {
    for (const count of COUNTS) {
      // One list for both tools, written before either is timed.
      const list = path.join(BENCH_DIR, `small-${count}.list`);
      fs.writeFileSync(list, Array.from({ length: count }, (_, i) => `${nginx.url(`f${i}.bin`)}\n`).join(''));
      // A folder never used before for each run: deleting the last run's files right before
      // this one would make every tool's file creation pay for them (fileSystemOf).
      const files = (): string => {
        const dir = path.join(OUT, `run-${++runNumber}`, 'files');
        fs.mkdirSync(dir, { recursive: true });
        return dir;
      };
      const tools: Record<string, () => Promise<Measured>> = {
        ferry: () => ferryGet(list, files(), count),
        aria2c: async () => {
          const dir = files();
          const run = await measureCommand('aria2c', ['-j', String(ACTIVE), '-q', '--allow-overwrite=true', '--auto-file-renaming=false', '-d', dir, '-i', list]);
          const got = fs.readdirSync(dir).length;
          if (got !== count) throw new Error(`aria2c left ${got} files`);
          return run;
        },
      };
      const runs = await runInterleaved(tools, ROUNDS);
      const per = { unit: 'file', files: count } as const;
      const msPerFile = (name: string): string => withSpread(runs.get(name)!.map((m) => cpuPer(m, per)), 3);
      console.log(`many-small benchmark: ${count} x 16 KiB from nginx on loopback into ${OUT} (${type}), ${ACTIVE} at once, ${roundsLabel(ROUNDS)}`);
      if (note) console.log(`  note: ${note}`);
      printRows(runs, per);
      printTable([
        ['ferry / aria2c, time', ratio(runs, 'ferry', 'aria2c', 'time'), 'target <= 0.80'],
        ['ferry CPU, ms a file', msPerFile('ferry'), `target <= 0.50 (aria2c ${msPerFile('aria2c')})`],
        ['ferry / aria2c, CPU', ratio(runs, 'ferry', 'aria2c', 'cpu'), 'no target'],
      ]);
      console.log('  note: aria2c keeps its 16 connections alive and reuses them from file to file (keep-alive is its default; pipelining is not), and hashes, fsyncs and records nothing per file');
      peakRss.set(count, Math.max(...runs.get('ferry')!.map((m) => m.peakRssBytes ?? 0)));
      ferryCpu.set(count, median(runs.get('ferry')!.map(cpuOf)));
    }
    const one = path.join(BENCH_DIR, 'small-1.list');
    fs.writeFileSync(one, `${nginx.url('f0.bin')}\n`);
    const single: number[] = [];
    for (let i = 0; i < Math.max(ROUNDS, 3); i++) single.push(cpuOf(await ferryGet(one, path.join(OUT, `one-${i}`, 'files'), 1)) * 1000);
    const [fewest, most] = [Math.min(...COUNTS), Math.max(...COUNTS)];
    const marginal = most > fewest ? `; each file past ${fewest} added ${(((ferryCpu.get(most)! - ferryCpu.get(fewest)!) * 1000) / (most - fewest)).toFixed(3)} ms (the medians at ${fewest} and ${most})` : '';
    console.log(`ferry CPU, what is fixed and what each file adds: a 1-file get ${withSpread(single, 0)} ms (Node's start, loading, a new store)${marginal}`);
  } finally {
    await nginx.stop();
    fs.rmSync(OUT, { recursive: true, force: true });
  }
  if (peakRss.size > 1) {
    const [fewest, most] = [Math.min(...COUNTS), Math.max(...COUNTS)];
    const grew = (peakRss.get(most)! - peakRss.get(fewest)!) / 1e6;
    console.log(`ferry peak RSS: ${(peakRss.get(fewest)! / 1e6).toFixed(0)} MB at ${fewest} files, ${(peakRss.get(most)! / 1e6).toFixed(0)} MB at ${most} (${grew >= 0 ? '+' : ''}${grew.toFixed(0)} MB; target: bounded by the ${ACTIVE} active, not the number queued)`);
  }
}

/** `ferry get -i list` into `dir` as the bench runs it; throws unless all `count` complete. */
async function ferryGet(list: string, dir: string, count: number): Promise<Measured> {
  fs.mkdirSync(dir, { recursive: true });
  const args = [CLI, 'get', '-i', list, '--dir', dir, '--data-dir', path.join(dir, '..', 'data'), '--max-active', String(ACTIVE), '--max-per-host', String(ACTIVE), '--json'];
  const run = await measureCommand(process.execPath, args);
  const completed = resultsOf(run.stdout).filter((r) => r.state === 'completed').length;
  if (completed !== count) throw new Error(`ferry completed ${completed} of ${count}`);
  return run;
}

void main();
