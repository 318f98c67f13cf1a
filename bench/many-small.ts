/**
 * bench/many-small: 2,000 files of 16 KiB from nginx on loopback. Ferry (`ferry get` with
 * every URL, 16 at once, each file hashed, fsynced and renamed into place) against
 * `aria2c -j16 -i list`, interleaved in the same run. Prints medians and the ratio.
 *
 * Target (issue 3): Ferry's time at most 1.0x aria2c's, memory bounded by the number active.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytesOf } from '../test/support/fault-server';
import { startNginx } from '../test/support/nginx';
import { BENCH_DIR, freshDir, runInterleaved, type Measured, measureCommand, median } from './support';

const COUNT = Number(process.env.BENCH_COUNT ?? 2000);
const SIZE = 16 << 10;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ACTIVE = 16;
const CLI = path.join(__dirname, '..', 'electron', 'cli', 'ferry.js');
const OUT = path.resolve(process.env.BENCH_OUT ?? path.join(BENCH_DIR, 'out-small'));

function prepareFiles(): string {
  const root = path.join(BENCH_DIR, 'small');
  if (fs.existsSync(path.join(root, `f${COUNT - 1}.bin`))) return root;
  fs.mkdirSync(root, { recursive: true });
  for (let i = 0; i < COUNT; i++) fs.writeFileSync(path.join(root, `f${i}.bin`), randomBytesOf(SIZE, i + 1));
  return root;
}

async function main(): Promise<void> {
  const root = prepareFiles();
  const nginx = await startNginx(root);
  const urls = Array.from({ length: COUNT }, (_, i) => nginx.url(`f${i}.bin`));
  const fresh = (): string => freshDir(OUT);
  const tools: Record<string, () => Promise<Measured>> = {
    ferry: async () => {
      const dir = fresh();
      const args = [CLI, 'get', ...urls, '--dir', path.join(dir, 'files'), '--data-dir', path.join(dir, 'data'), '--max-active', String(ACTIVE), '--max-per-host', String(ACTIVE), '--json'];
      const run = await measureCommand(process.execPath, args);
      const completed = run.stdout.split('\n').filter((l) => l.includes('"type":"result"') && l.includes('"state":"completed"')).length;
      if (completed !== COUNT) throw new Error(`ferry completed ${completed} of ${COUNT}`);
      return run;
    },
    aria2c: async () => {
      const dir = fresh();
      const list = path.join(dir, 'list.txt');
      fs.writeFileSync(list, `${urls.join('\n')}\n`);
      const run = await measureCommand('aria2c', ['-j', String(ACTIVE), '-q', '--allow-overwrite=true', '--auto-file-renaming=false', '-d', path.join(dir, 'files'), '-i', list]);
      const got = fs.readdirSync(path.join(dir, 'files')).length;
      if (got !== COUNT) throw new Error(`aria2c left ${got} files`);
      return run;
    },
  };
  let runs: Map<string, Measured[]>;
  try {
    runs = await runInterleaved(tools, ROUNDS);
  } finally {
    await nginx.stop();
    fs.rmSync(OUT, { recursive: true, force: true });
  }
  const seconds = (name: string): number => median(runs.get(name)!.map((m) => m.seconds));
  console.log(`many-small benchmark: ${COUNT} x 16 KiB from nginx on loopback, ${ACTIVE} at once, median of ${ROUNDS} interleaved rounds`);
  for (const name of Object.keys(tools)) {
    const rss = median(runs.get(name)!.map((m) => m.peakRssBytes ?? 0));
    console.log(`  ${name.padEnd(7)} ${seconds(name).toFixed(2).padStart(6)} s   ${(COUNT / seconds(name)).toFixed(0).padStart(5)} files/s   peak RSS ${(rss / 1e6).toFixed(0)} MB`);
  }
  console.log(`  ratio ferry/aria2c time ${(seconds('ferry') / seconds('aria2c')).toFixed(2)}x (target <= 1.00)`);
}

void main();
