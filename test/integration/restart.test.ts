import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Engine } from '../../electron/engine/engine';
import { resultOf, runCli, startCli } from '../support/cli';
import { randomBytesOf, sha256 } from '../support/fault-server';
import { tempDir } from '../support/harness';
import { NGINX_BINARY, type Nginx, startNginx } from '../support/nginx';

/**
 * Issue 3: kill -9 during a queue of 200 mixed downloads (some segmented); `ferry resume`
 * finishes all of them exact, and nothing that had progress on record starts over.
 */
const COUNT = 200;
const LARGE = 12 << 20; // segmented with --connections 4 (at least two 4 MiB segments)

describe('kill -9 during a queue of 200 mixed downloads', { skip: NGINX_BINARY ? false : 'nginx is not installed (bash .ci/run installs it)' }, () => {
  let nginx: Nginx;
  const bodies = new Map<string, Buffer>();
  before(async () => {
    const root = tempDir('restart-root-');
    for (let i = 0; i < COUNT; i++) {
      const name = `f${i}.bin`;
      const size = i % 20 === 0 ? LARGE : 10_000 + ((i * 7919) % 300_000);
      const body = randomBytesOf(size, 500 + i);
      bodies.set(name, body);
      fs.writeFileSync(path.join(root, name), body);
    }
    // Slow enough per connection that the kill lands with the queue part done.
    nginx = await startNginx(root, { limitRate: '2m' });
  });
  after(async () => {
    await nginx?.stop();
  });

  test('ferry resume finishes every one exact; nothing with progress on record is fetched whole again', async () => {
    const dir = tempDir('restart-dl-');
    const data = tempDir('restart-data-');
    const names = [...bodies.keys()];
    const common = ['--data-dir', data, '--json', '--connections', '4', '--max-active', '8', '--max-per-host', '16'];
    const first = startCli(['get', ...names.map((n) => nginx.url(n)), '--dir', dir, ...common]);
    const killAfter = 700 + Math.floor(Math.random() * 700);
    await new Promise((r) => setTimeout(r, killAfter));
    first.child.kill('SIGKILL');
    const killed = await first.done;
    assert.equal(killed.signal, 'SIGKILL', 'the queue was still running at the kill');

    // What the store held at the kill: finished transfers, and the bytes each unfinished one had on record.
    const listed = await runCli(['list', '--data-dir', data, '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    const atKill = new Map(listed.events.map((e) => [path.basename(new URL(String(e.url)).pathname), e]));
    assert.equal(atKill.size, COUNT, 'every URL was queued before the kill');
    const done = [...atKill.values()].filter((e) => e.state === 'completed').length;
    const withProgress = [...atKill.entries()].filter(([, e]) => e.state !== 'completed' && Number(e.bytes) > 0).map(([name]) => name);
    const servedBefore = nginx.log().length;

    const resumed = await runCli(['resume', ...common]);
    assert.equal(resumed.code, 0, resumed.stderr.slice(-2000));
    const results = resumed.events.filter((e) => e.type === 'result');
    assert.equal(results.length, COUNT - done, 'every unfinished transfer ran to its end');

    // Every file exactly once, exact, and nothing else in the folder (no partials, no " (1)" copies).
    assert.deepEqual(fs.readdirSync(dir).sort(), [...names].sort());
    for (const [name, body] of bodies) assert.equal(sha256(fs.readFileSync(path.join(dir, name))), sha256(body), name);

    const after = nginx.log().slice(servedBefore);
    for (const name of withProgress) {
      const asked = after.filter((l) => l.uri === `/${name}`);
      if (!asked.every((l) => l.range !== '')) {
        const engine = Engine.open({ dataDir: data });
        const history = engine.store.history(String(atKill.get(name)!.id));
        await engine.close();
        assert.fail(`${name} had ${String(atKill.get(name)!.bytes)} bytes on record and was asked for whole: ${JSON.stringify(asked)}; history ${JSON.stringify(history)}`);
      }
    }
    for (const [name, e] of atKill) {
      if (e.state === 'completed') assert.equal(after.filter((l) => l.uri === `/${name}`).length, 0, `${name} was finished before the kill`);
    }
    const total = [...bodies.values()].reduce((sum, b) => sum + b.length, 0);
    const served = nginx.log().reduce((sum, l) => sum + l.bytes, 0);
    process.stderr.write(
      `  kill -9 after ${killAfter} ms: ${done} of ${COUNT} finished, ${withProgress.length} resumed from their checkpoints; ` +
        `nginx served ${(served / 2 ** 20).toFixed(1)} MiB for ${(total / 2 ** 20).toFixed(1)} MiB (${(served / total).toFixed(3)}x)\n`,
    );
    assert.ok(served / total <= 1.3, `served ${(served / total).toFixed(3)}x the bytes`);
    assert.ok(results.every((r) => r.state === 'completed' && resultOf({ ...resumed, events: [r] }).sha256 === sha256(bodies.get(path.basename(String(r.path)))!)));
  });
});
