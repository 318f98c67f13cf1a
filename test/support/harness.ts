import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TransferRecord } from '../../electron/common/transfer';
import type { DownloadTuning, EngineEvent } from '../../electron/engine/context';
import { type AddDownload, type Added, Engine, type EngineOptions } from '../../electron/engine/engine';

const created: string[] = [];

/** A fresh directory under the OS temp folder, removed when the test process exits. */
export function tempDir(prefix = 'ferry-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/**
 * A folder that cannot be created on any OS: its parent is a regular file (ENOTDIR on
 * Linux, macOS and Windows alike, unlike /proc, which only Linux has).
 */
export function unwritableDir(name = 'ferry-cannot-write-here'): string {
  const file = path.join(tempDir('ferry-file-'), 'a-file');
  fs.writeFileSync(file, 'not a folder');
  return path.join(file, name);
}

process.on('exit', () => {
  if (process.env.FERRY_KEEP_TEST_DIRS) return;
  for (const dir of created) {
    try {
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    } catch {
      // A process a test started may still be writing there as this one exits: a temporary
      // folder left behind is no failure of the test run.
    }
  }
});

/** Small blocks and short timers so every failure mode runs in milliseconds. */
export const TEST_TUNING: Partial<DownloadTuning> = {
  blockSize: 64 << 10,
  stallTimeoutMs: 1500,
  checkpointIntervalMs: 20,
  retryBaseDelayMs: 20,
  retryMaxDelayMs: 200,
  minSegmentBytes: 128 << 10,
};

export interface TestEngine {
  engine: Engine;
  events: EngineEvent[];
  dataDir: string;
  dir: string;
}

export function openEngine(
  dataDir = tempDir('ferry-data-'),
  dir = tempDir('ferry-dl-'),
  tuning: Partial<DownloadTuning> = {},
  options: Pick<EngineOptions, 'limits' | 'transport'> = {},
): TestEngine {
  const events: EngineEvent[] = [];
  const engine = Engine.open({ dataDir, command: 'test', tuning: { ...TEST_TUNING, ...tuning }, onEvent: (e) => events.push(e), ...options });
  return { engine, events, dataDir, dir };
}

/** Adds and runs one download to its end. */
export async function download(t: TestEngine, url: string, extra: Partial<AddDownload> = {}): Promise<TransferRecord> {
  const [{ record }] = (await t.engine.addDownloads([{ url, dir: t.dir, ...extra }])) as [Added];
  return t.engine.run(record.id);
}

/**
 * Runs a download until it holds at least `bytes`, then closes the engine the way a quit
 * does (checkpoint; the transfer stays queued). Pair it with a server fault that stalls at `bytes`.
 */
export async function interruptAt(t: TestEngine, url: string, bytes: number, extra: Partial<AddDownload> = {}): Promise<string> {
  const [{ record }] = (await t.engine.addDownloads([{ url, dir: t.dir, ...extra }])) as [Added];
  const running = t.engine.run(record.id);
  const deadline = Date.now() + 10_000;
  while ((t.engine.progress(record.id)?.bytes ?? 0) < bytes) {
    if (Date.now() > deadline) throw new Error(`download never reached ${bytes} bytes`);
    await new Promise((r) => setTimeout(r, 5));
  }
  await t.engine.close();
  const final = await running;
  if (final.state !== 'queued') throw new Error(`expected a download back in the queue, got ${final.state}`);
  return record.id;
}

/** Every file in a folder (to prove no half file sits under a final name). */
export function listDir(dir: string): string[] {
  return fs.readdirSync(dir).sort();
}
