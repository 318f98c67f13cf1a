/**
 * Change batches under load: 32 downloads moving at once over a WebSocket to `ferry serve`
 * produce at most ten batches a second, each carrying only the fields that changed.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { ServiceEvent, TransferChange } from '../../electron/common/service';
import { randomBytesOf, sha256 } from '../support/fault-server';
import { tempDir } from '../support/harness';
import { NEEDS_NGINX, type Nginx, startNginx } from '../support/nginx';
import { type ServiceFixture, until, value, websocketFixture } from '../support/service';

const COUNT = 32;
const SIZE = 1 << 20;
const root = tempDir('ferry-www-');
const bodies = Array.from({ length: COUNT }, (_, i) => randomBytesOf(SIZE, 500 + i));
bodies.forEach((b, i) => fs.writeFileSync(path.join(root, `f${i}.bin`), b));

let nginx: Nginx;
let f: ServiceFixture;
before(async () => {
  if (NEEDS_NGINX) return;
  // 256 KiB/s per request: every download runs for about four seconds.
  nginx = await startNginx(root, { limitRate: '256k' });
  f = await websocketFixture();
});
after(async () => {
  if (NEEDS_NGINX) return;
  await f.close();
  await nginx.stop();
});

test(`${COUNT} active transfers: at most 10 change batches a second, each with only the changed fields`, { skip: NEEDS_NGINX }, async () => {
  value(await f.client.setSettings({ maxActive: COUNT, maxPerHost: COUNT }));
  const arrivals: Array<{ at: number; event: Extract<ServiceEvent, { type: 'changes' }> }> = [];
  f.client.onEvent((event) => {
    if (event.type === 'changes') arrivals.push({ at: performance.now(), event });
  });
  const { ids } = value(await f.client.addDownloads({ urls: bodies.map((_, i) => nginx.url(`f${i}.bin`)) }));
  await until(() => ids.every((id) => f.rows().get(id)?.state === 'active'), `all ${COUNT} to be active`);
  const steadyFrom = arrivals.length;
  const steadyStart = performance.now();
  await until(() => performance.now() - steadyStart > 2500 || ids.some((id) => f.rows().get(id)?.state !== 'active'), 'a steady stretch', 10_000);
  const steady = arrivals.slice(steadyFrom);
  await until(() => ids.every((id) => f.rows().get(id)?.state === 'completed'), 'every download to complete', 30_000);

  // Exactness first: every file whole.
  for (const [i, id] of ids.entries()) assert.equal(sha256(fs.readFileSync(f.rows().get(id)!.path!)), sha256(bodies[i]!));

  // At most 10 in any one-second window, over the whole run (arrival times, as the window sees them).
  let worst = 0;
  for (let i = 0; i < arrivals.length; i++) {
    let j = i;
    while (j < arrivals.length && arrivals[j]!.at - arrivals[i]!.at < 1000) j++;
    worst = Math.max(worst, j - i);
  }
  assert.ok(worst <= 10, `${worst} batches arrived within one second`);
  // And they do flow: a batch about every 100 ms while everything moves.
  const seconds = (steady.at(-1)!.at - steady[0]!.at) / 1000;
  assert.ok(steady.length >= 15 && seconds > 1.5, `${steady.length} batches in ${seconds.toFixed(2)} s while ${COUNT} transfers moved`);

  // While moving, a row's change is its progress: bytes, speed, ETA; never the unchanged fields.
  const fields = new Set<string>();
  let changes = 0;
  for (const { event } of steady) {
    assert.ok(event.changes.length <= COUNT);
    for (const change of event.changes) {
      // A row whose verdict lands in the stretch (its SHA-256, integrity and path, its state
      // still active until the file is placed) is ending, not moving: on a loaded machine
      // the first downloads can reach it before the stretch is over.
      if ('sha256' in change) continue;
      changes++;
      for (const key of Object.keys(change) as Array<keyof TransferChange>) fields.add(key);
    }
  }
  for (const unchanged of ['url', 'name', 'dir', 'direction', 'createdAt', 'integrity']) assert.ok(!fields.has(unchanged as keyof TransferChange), `${unchanged} was resent while moving`);
  process.stdout.write(
    `# ${COUNT} active: worst ${worst} batches in a second; ${(steady.length / seconds).toFixed(1)} batches/s, ${(changes / steady.length).toFixed(1)} rows per batch; fields sent: ${[...fields].join(', ')}\n`,
  );
});
