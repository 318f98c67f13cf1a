/**
 * Where should the desktop app's engine run? The main process's event loop also drives
 * every window, menu, tray and IPC message, so whatever the engine does there delays them.
 * This measures that delay on the host's loop while the engine downloads from nginx at
 * full speed, with the engine (a) on the same loop, (b) in a worker thread behind the
 * service contract over a MessagePort (what a utilityProcess is, one step further apart).
 *
 *   npm run bench:engine-host        (BENCH_OUT=/dev/shm/ferry-bench for tmpfs)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createClient, serveService } from '../electron/common/rpc';
import { headlessHost, openEngineService } from '../electron/engine/service/open-service';
import { startNginx } from '../test/support/nginx';
import { portChannel } from '../test/support/service';
import { BENCH_DIR, ensureFile, freshDir, median } from './support';

const SIZE = 1 << 30;
const ROUNDS = 3;
const OUT = process.env.BENCH_OUT ?? path.join(BENCH_DIR, 'out');

interface Host {
  dataDir: string;
  dir: string;
}

function openService(host: Host) {
  return openEngineService({
    dataDir: host.dataDir,
    command: 'bench',
    host: headlessHost(host.dataDir, host.dir),
  });
}

/** In the worker: the engine, serving the contract on the port it was given. */
if (!isMainThread) {
  const { engine, service } = openService(workerData as Host);
  parentPort!.once('message', (message: { port: import('node:worker_threads').MessagePort }) => {
    serveService(service, portChannel(message.port));
    message.port.once('close', () => void (service.close(), engine.close()));
  });
}

async function round(url: string, where: 'same loop' | 'worker'): Promise<{ p99: number; max: number; seconds: number }> {
  const host: Host = { dataDir: freshDir(path.join(OUT, 'data')), dir: freshDir(path.join(OUT, 'dl')) };
  let client;
  let cleanup: () => Promise<void>;
  if (where === 'same loop') {
    const { engine, service } = openService(host);
    const { port1, port2 } = new (await import('node:worker_threads')).MessageChannel();
    serveService(service, portChannel(port1));
    client = createClient(portChannel(port2));
    cleanup = async () => {
      port1.close();
      service.close();
      await engine.close();
    };
  } else {
    const worker = new Worker(__filename, { workerData: host });
    const { port1, port2 } = new (await import('node:worker_threads')).MessageChannel();
    worker.postMessage({ port: port1 }, [port1]);
    client = createClient(portChannel(port2));
    cleanup = async () => {
      port2.close();
      await new Promise((r) => setTimeout(r, 200));
      await worker.terminate();
    };
  }
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let done = false;
  const finished = new Promise<void>((resolve) =>
    client.onEvent((event) => {
      if (event.type === 'changes' && event.changes.some((c) => c.state === 'completed')) {
        done = true;
        resolve();
      }
    }),
  );
  const started = performance.now();
  histogram.enable();
  const added = await client.addDownloads({ urls: [url] });
  if (!added.ok) throw new Error(added.error.message);
  await finished;
  histogram.disable();
  const seconds = (performance.now() - started) / 1000;
  client.dispose();
  await cleanup();
  if (!done) throw new Error('the download did not complete');
  return { p99: histogram.percentile(99) / 1e6, max: histogram.max / 1e6, seconds };
}

async function main(): Promise<void> {
  const source = ensureFile('download.bin', SIZE);
  const nginx = await startNginx(path.dirname(source));
  const url = nginx.url(path.basename(source));
  const results: Record<string, Array<{ p99: number; max: number; seconds: number }>> = { 'same loop': [], worker: [] };
  try {
    for (let i = 0; i < ROUNDS; i++) {
      for (const where of ['same loop', 'worker'] as const) results[where]!.push(await round(url, where));
    }
  } finally {
    await nginx.stop();
    fs.rmSync(OUT, { recursive: true, force: true });
  }
  process.stdout.write(`host event-loop delay while downloading 1 GiB from nginx (median of ${ROUNDS}):\n`);
  for (const [where, rs] of Object.entries(results)) {
    const p99 = median(rs.map((r) => r.p99));
    const max = median(rs.map((r) => r.max));
    const mibs = (SIZE / (1 << 20)) / median(rs.map((r) => r.seconds));
    process.stdout.write(`  engine on the ${where.padEnd(9)} p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms, ${mibs.toFixed(0)} MiB/s\n`);
  }
  const ratio = median(results['same loop']!.map((r) => r.p99)) / median(results.worker!.map((r) => r.p99));
  process.stdout.write(`  p99 delay, same loop / worker: ${ratio.toFixed(1)}x\n`);
}

if (isMainThread) void main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
