/**
 * bench/upload: 1,000 files of 16 KiB to @tus/server (with @tus/file-store) on loopback.
 * Ferry (`ferry put`, 16 at once, every file hashed, resumable) against tus-js-client driven
 * with the same concurrency, interleaved in the same run. Prints medians and the ratio.
 *
 * Target (issue 4): Ferry's throughput at least 1.0x tus-js-client's.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytesOf } from '../test/support/fault-server';
import { startTusServer } from '../test/support/tus-servers';
import { BENCH_DIR, type Measured, measureCommand, median } from './support';

const COUNT = Number(process.env.BENCH_COUNT ?? 1000);
const SIZE = 16 << 10;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ACTIVE = 16;
const CLI = path.join(__dirname, '..', 'electron', 'cli', 'ferry.js');
const PEER = path.join(__dirname, 'tus-js-client-host.js');

function prepareFiles(): string[] {
  const root = path.join(BENCH_DIR, 'upload-small');
  fs.mkdirSync(root, { recursive: true });
  return Array.from({ length: COUNT }, (_, i) => {
    const file = path.join(root, `u${i}.bin`);
    if (!fs.existsSync(file)) fs.writeFileSync(file, randomBytesOf(SIZE, 7000 + i));
    return file;
  });
}

async function main(): Promise<void> {
  const files = prepareFiles();
  const runs = new Map<string, Measured[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of ['ferry', 'tus-js-client']) {
      // A fresh server (and store directory) for each run, so both start from the same state.
      const server = await startTusServer('tus-server');
      try {
        const data = fs.mkdtempSync(path.join(BENCH_DIR, 'upload-data-'));
        const m =
          name === 'ferry'
            ? await measureCommand(process.execPath, [CLI, 'put', ...files, '--to', server.endpoint, '--data-dir', data, '--max-active', String(ACTIVE), '--max-per-host', String(ACTIVE), '--json'])
            : await measureCommand(process.execPath, [PEER, server.endpoint, String(ACTIVE), ...files]);
        fs.rmSync(data, { recursive: true, force: true });
        if (server.storedDigests().length !== COUNT) throw new Error(`${name}: the server holds ${server.storedDigests().length} of ${COUNT} files`);
        runs.set(name, [...(runs.get(name) ?? []), m]);
        const span = (server.log.at(-1)!.at - server.log[0]!.at) / 1000;
        process.stderr.write(`  round ${round + 1} ${name}: ${m.seconds.toFixed(2)} s, ${server.log.length} requests over ${span.toFixed(2)} s\n`);
      } finally {
        await server.stop();
      }
    }
  }
  const seconds = (name: string): number => median(runs.get(name)!.map((m) => m.seconds));
  console.log(`upload benchmark: ${COUNT} x 16 KiB to @tus/server on loopback, ${ACTIVE} at once, median of ${ROUNDS} interleaved rounds`);
  for (const name of runs.keys()) {
    const rss = median(runs.get(name)!.map((m) => m.peakRssBytes ?? 0));
    console.log(`  ${name.padEnd(14)} ${seconds(name).toFixed(2).padStart(6)} s   ${(COUNT / seconds(name)).toFixed(0).padStart(5)} files/s   peak RSS ${(rss / 1e6).toFixed(0)} MB`);
  }
  console.log(`  ratio ferry/tus-js-client throughput ${(seconds('tus-js-client') / seconds('ferry')).toFixed(2)}x (target >= 1.00)`);
}

void main();
