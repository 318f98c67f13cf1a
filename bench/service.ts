/**
 * The service contract under load, over a real WebSocket to `ferry serve`:
 *  - a snapshot of 10,000 transfers: how long until the client holds it, and its size;
 *  - 32 transfers moving: change batches per second and bytes per second on the wire.
 *
 *   npm run bench:service
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { websocketChannel } from '../electron/cli/serve';
import { createClient } from '../electron/common/rpc';
import type { ServiceEvent } from '../electron/common/service';
import { tempDir } from '../test/support/harness';
import { startNginx } from '../test/support/nginx';
import { connect, startServe } from '../test/support/service';
import { formatBytes, median, prepareQueue } from './support';

const COUNT = 10_000;
const ACTIVE = 32;

async function main(): Promise<void> {
  const dataDir = tempDir('ferry-bench-data-');
  const t0 = performance.now();
  await prepareQueue(dataDir, COUNT);
  process.stdout.write(`prepared ${COUNT} transfers in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  const serve = await startServe(dataDir);
  const ws = await connect(serve, { token: serve.token });
  if (typeof ws === 'number') throw new Error(`refused: ${ws}`);
  let received = 0;
  ws.on('message', (data: Buffer) => (received += data.length));
  const client = createClient(websocketChannel(ws));
  try {
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 5; i++) {
      const before = received;
      const started = performance.now();
      const snap = await client.snapshot();
      times.push(performance.now() - started);
      if (!snap.ok || snap.value.transfers.length !== COUNT) throw new Error('incomplete snapshot');
      bytes = received - before;
    }
    process.stdout.write(`snapshot of ${COUNT} transfers over WebSocket: median ${median(times).toFixed(0)} ms (min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)}), ${formatBytes(bytes)} on the wire\n`);

    const www = tempDir('ferry-bench-www-');
    for (let i = 0; i < ACTIVE; i++) fs.writeFileSync(path.join(www, `m${i}.bin`), Buffer.alloc(2 << 20, i));
    const nginx = await startNginx(www, { limitRate: '128k' });
    try {
      await client.setSettings({ maxActive: ACTIVE, maxPerHost: ACTIVE });
      const batches: number[] = [];
      let batchBytes = 0;
      const onBytes = (data: Buffer): void => void (batchBytes += data.length);
      client.onEvent((e: ServiceEvent) => void (e.type === 'changes' && batches.push(performance.now())));
      const added = await client.addDownloads({ urls: Array.from({ length: ACTIVE }, (_, i) => nginx.url(`m${i}.bin`)), dir: tempDir('ferry-bench-dl-') });
      if (!added.ok) throw new Error(added.error.message);
      await new Promise((r) => setTimeout(r, 1500)); // all of them under way
      const from = batches.length;
      ws.on('message', onBytes);
      const started = performance.now();
      await new Promise((r) => setTimeout(r, 10_000));
      ws.off('message', onBytes);
      const seconds = (performance.now() - started) / 1000;
      const n = batches.length - from;
      process.stdout.write(`${ACTIVE} moving for ${seconds.toFixed(0)} s: ${(n / seconds).toFixed(1)} batches/s, ${formatBytes(batchBytes / seconds)}/s of events\n`);
      await client.cancel({ ids: added.value.ids });
    } finally {
      await nginx.stop();
    }
  } finally {
    client.dispose();
    ws.close();
    await serve.stop();
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
