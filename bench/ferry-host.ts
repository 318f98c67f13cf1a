/**
 * Hosts the engine for a benchmark: one verified download, measured from inside the
 * process (event-loop delay while hashing, peak RSS). Prints one JSON line.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Engine } from '../electron/engine/engine';

async function main(): Promise<void> {
  const [url, dir, dataDir, sha256] = process.argv.slice(2);
  const engine = Engine.open({ dataDir: dataDir!, command: 'bench' });
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const { record } = engine.addDownload({ url: url!, dir: dir!, checksum: { algorithm: 'sha256', hex: sha256!, source: 'user' } });
  const result = await engine.run(record.id);
  loop.disable();
  await engine.close();
  const ms = (ns: number): number => Math.round(ns / 1e4) / 100;
  process.stdout.write(
    `${JSON.stringify({
      state: result.state,
      integrity: result.integrity.status,
      loopP50Ms: ms(loop.percentile(50)),
      loopP99Ms: ms(loop.percentile(99)),
      loopMaxMs: ms(loop.max),
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
    })}\n`,
  );
}

void main();
