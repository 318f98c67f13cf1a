/**
 * Hosts the engine for a benchmark: one verified download, measured from inside the
 * process (event-loop delay while hashing, peak RSS, and the seconds and CPU from adding
 * the download to its verdict, which leave out Node's start and exit as the desktop app
 * does, its engine being up already). The CPU is process.cpuUsage(): every thread of
 * this process, the hashing threads included. FERRY_BENCH_CONNECTIONS sets connections per download and
 * FERRY_BENCH_PIECES the pieces per connection. FERRY_BENCH_QUEUED=N first adds N other
 * downloads and pauses them: they wait in the queue and the store while the one runs (the
 * memory that many queued transfers cost, issue 13).
 * Prints one JSON line.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Engine } from '../electron/engine/engine';

async function main(): Promise<void> {
  const [url, dir, dataDir, sha256] = process.argv.slice(2);
  const connections = Number(process.env.FERRY_BENCH_CONNECTIONS ?? 1);
  const pieces = process.env.FERRY_BENCH_PIECES ? { piecesPerConnection: Number(process.env.FERRY_BENCH_PIECES) } : {};
  const engine = Engine.open({ dataDir: dataDir!, command: 'bench', tuning: pieces, limits: { maxConnections: connections, maxPerHost: Math.max(6, connections) } });
  const queued = Number(process.env.FERRY_BENCH_QUEUED ?? 0);
  if (queued > 0) {
    const waiting = await engine.addDownloads(Array.from({ length: queued }, (_, i) => ({ url: `${url!}?queued=${i}`, dir: `${dir!}/queued`, headers: [] })));
    await engine.pause(waiting.map((w) => w.record.id));
  }
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const started = process.hrtime.bigint();
  const cpuAtStart = process.cpuUsage();
  const { record } = engine.addDownload({ url: url!, dir: dir!, checksum: { algorithm: 'sha256', hex: sha256!, source: 'user' } });
  const result = await engine.run(record.id);
  const downloadSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuAtStart);
  loop.disable();
  await engine.close();
  const ms = (ns: number): number => Math.round(ns / 1e4) / 100;
  process.stdout.write(
    `${JSON.stringify({
      state: result.state,
      integrity: result.integrity.status,
      downloadSeconds,
      cpuUserSeconds: cpu.user / 1e6,
      cpuSystemSeconds: cpu.system / 1e6,
      loopP50Ms: ms(loop.percentile(50)),
      loopP99Ms: ms(loop.percentile(99)),
      loopMaxMs: ms(loop.max),
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
    })}\n`,
  );
}

void main();
