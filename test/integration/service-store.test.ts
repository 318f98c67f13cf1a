/**
 * The service's side of the store: settings changed by two windows at once, and finished
 * transfers cleared. Against a real engine behind the IPC stand-in, a real SQLite file and
 * a real HTTP server.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { createClient, serveService } from '../../electron/common/rpc';
import type { ServiceEvent, TransferClient } from '../../electron/common/service';
import { Engine } from '../../electron/engine/engine';
import { KeyFileSecretBox, type SecretBox } from '../../electron/engine/secrets';
import { openEngineService } from '../../electron/engine/service/open-service';
import { FaultServer, randomBytesOf } from '../support/fault-server';
import { tempDir } from '../support/harness';
import { portChannel, value } from '../support/service';

/**
 * The desktop app seals through the main process (safeStorage), a round trip that takes
 * real time; this box seals for real with a key file and takes that time too.
 */
function slowBox(dataDir: string, ms: number): SecretBox {
  const box = new KeyFileSecretBox(dataDir);
  const later = <T>(value: T): Promise<T> => new Promise((resolve) => setTimeout(() => resolve(value), ms));
  return { kind: 'os-keychain', seal: async (plain) => later(await box.seal(plain)), unseal: async (sealed) => later(await box.unseal(sealed)) };
}

/** A real engine and service behind a MessagePort pair, with a sealing round trip of `sealMs`. */
function open(dataDir: string, sealMs = 50): { client: TransferClient; events: ServiceEvent[]; close(): Promise<void> } {
  const { engine, service } = openEngineService({
    dataDir,
    command: 'test',
    host: { kind: 'desktop', version: 'test', defaultDownloadDir: tempDir('ferry-dl-'), secrets: slowBox(dataDir, sealMs), reveal: null, open: null },
  });
  const { port1, port2 } = new MessageChannel();
  serveService(service, portChannel(port1));
  const client = createClient(portChannel(port2));
  const events: ServiceEvent[] = [];
  client.onEvent((event) => events.push(event));
  return {
    client,
    events,
    async close() {
      client.dispose();
      port1.close();
      service.close();
      await engine.close();
    },
  };
}

describe('settings: concurrent changes are all kept', () => {
  test('two setSettings in flight at once (one sealing a secret) both land, in the answer and in the store', async () => {
    const dataDir = tempDir('ferry-data-');
    const f = open(dataDir);
    try {
      const [withSecret, withLimit] = await Promise.all([
        f.client.setSettings({
          uploadDestinations: [{ name: 'tus', url: 'http://127.0.0.1:9/files/', protocol: 'tus', headers: [{ name: 'Authorization', value: 'Bearer s3cr3t-value', secret: true }] }],
        }),
        f.client.setSettings({ maxActive: 7 }),
      ]);
      value(withSecret);
      value(withLimit);
      const now = value(await f.client.getSettings());
      assert.equal(now.maxActive, 7, 'the limit set while the other call sealed its secret is kept');
      assert.equal(now.uploadDestinations.length, 1, 'the destination set alongside is kept');
      assert.equal(now.uploadDestinations[0]!.headers[0]!.value, null, 'the secret stays sealed');
    } finally {
      await f.close();
    }
    // And both are what the next start reads from the store.
    const again = open(dataDir);
    try {
      const stored = value(await again.client.getSettings());
      assert.equal(stored.maxActive, 7);
      assert.equal(stored.uploadDestinations.length, 1);
    } finally {
      await again.close();
    }
  });

  test('a rejected change between two good ones loses neither good one', async () => {
    const f = open(tempDir('ferry-data-'));
    try {
      const answers = await Promise.all([
        f.client.setSettings({ uploadDestinations: [{ name: 'a', url: 'http://127.0.0.1:9/a/', protocol: 'tus', headers: [{ name: 'X-Key', value: 'k1', secret: true }] }] }),
        f.client.setSettings({ uploadDestinations: [{ name: 'b', url: 'http://127.0.0.1:9/b/', protocol: 'tus', headers: [{ name: 'X-Key', value: null, secret: false }] }] }),
        f.client.setSettings({ maxPerHost: 3 }),
      ]);
      assert.equal(answers[1].ok, false, 'a header without a value is refused');
      const now = value(await f.client.getSettings());
      assert.equal(now.maxPerHost, 3);
      assert.deepEqual(now.uploadDestinations.map((d) => d.name), ['a']);
    } finally {
      await f.close();
    }
  });
});

describe('clearFinished: finished transfers are forgotten on request, never their files', () => {
  test('completed ones, then failed and canceled ones, each when named; unfinished ones never; files stay, partials go', async () => {
    const server = await new FaultServer().start();
    const body = randomBytesOf(200_000, 5);
    const done = server.serve('/done.bin', { body, etag: '"d"' });
    // Cut after 100 KB, then refused for good: a failed download with a partial on disk.
    const failing = server.serve('/failing.bin', { body, etag: '"f"' }, [{ cutAfter: 100_000 }, ...Array.from({ length: 10 }, () => ({ status: 403 }))]);
    // Stop sending midway and keep the socket open: these stay active until told otherwise.
    const toCancel = server.serve('/cancel.bin', { body, etag: '"c"' }, [{ stallAfter: 50_000 }]);
    const toPause = server.serve('/pause.bin', { body, etag: '"p"' }, [{ stallAfter: 50_000 }]);
    const downloads = tempDir('ferry-dl-');
    const f = open(tempDir('ferry-data-'));
    const settled = async (id: string, states: string[]): Promise<string> => {
      for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
        const state = value(await f.client.details({ id })).summary.state;
        if (states.includes(state)) return state;
      }
      throw new Error(`${id} never reached ${states.join(' or ')}`);
    };
    try {
      const [completedId] = value(await f.client.addDownloads({ urls: [done], dir: downloads })).ids;
      const [failedId] = value(await f.client.addDownloads({ urls: [failing], dir: downloads })).ids;
      assert.equal(await settled(completedId!, ['completed']), 'completed');
      assert.equal(await settled(failedId!, ['failed']), 'failed');
      const partial = path.join(downloads, 'failing.bin.ferrypart');
      assert.ok(fs.existsSync(partial), 'the failed download keeps its partial for a retry');
      const [canceledId, pausedId] = value(await f.client.addDownloads({ urls: [toCancel, toPause], dir: downloads })).ids;
      await settled(canceledId!, ['active']);
      await settled(pausedId!, ['active']);
      value(await f.client.cancel({ ids: [canceledId!] }));
      value(await f.client.pause({ ids: [pausedId!] }));
      assert.equal(await settled(pausedId!, ['paused']), 'paused');

      const first = value(await f.client.clearFinished({ states: ['completed'] }));
      assert.equal(first.removed, 1);
      const left = value(await f.client.snapshot()).transfers.map((t) => t.id).sort();
      assert.deepEqual(left, [failedId!, canceledId!, pausedId!].sort());
      assert.deepEqual(fs.readFileSync(path.join(downloads, 'done.bin')), body, 'the completed file stays where it is');
      for (const deadline = Date.now() + 5000; Date.now() < deadline && !removedIds(f.events).includes(completedId!); ) await new Promise((r) => setTimeout(r, 20));
      assert.ok(removedIds(f.events).includes(completedId!), 'windows hear of the removal in a change batch');

      const second = value(await f.client.clearFinished({ states: ['failed', 'canceled'] }));
      assert.equal(second.removed, 2);
      assert.deepEqual(value(await f.client.snapshot()).transfers.map((t) => t.id), [pausedId!], 'the paused one is not finished and stays');
      assert.equal(fs.existsSync(partial), false, 'nothing can resume a forgotten download: its partial goes');
      assert.deepEqual(fs.readFileSync(path.join(downloads, 'done.bin')), body);
    } finally {
      await f.close();
      await server.stop();
    }
  });

  test('the states are said explicitly: leaving them out or naming an unfinished state is refused', async () => {
    const f = open(tempDir('ferry-data-'));
    try {
      for (const argument of [{}, { states: [] }, { states: ['paused'] }, { states: ['completed', 'active'] }]) {
        const answer = await f.client.clearFinished(argument as never);
        assert.equal(answer.ok, false, JSON.stringify(argument));
        assert.equal(!answer.ok && answer.error.code, 'invalid-argument');
        assert.match(!answer.ok ? answer.error.message : '', /states/);
      }
    } finally {
      await f.close();
    }
  });

  test('thousands of completed transfers are cleared in one go', async () => {
    const dataDir = tempDir('ferry-data-');
    const seed = Engine.open({ dataDir, command: 'test' });
    seed.store.transaction(() => {
      for (let i = 0; i < 3000; i++) {
        const { record } = seed.addDownload({ url: `http://127.0.0.1:9/f-${i}`, dir: dataDir });
        seed.store.update(record.id, { state: 'completed', name: `f-${i}`, completedAt: Date.now() }, Date.now());
        seed.store.addHistory(record.id, 'complete', {}, Date.now());
      }
    });
    await seed.close();
    const f = open(dataDir);
    try {
      assert.equal(value(await f.client.clearFinished({ states: ['completed'] })).removed, 3000);
      assert.deepEqual(value(await f.client.snapshot()).transfers, []);
    } finally {
      await f.close();
    }
  });
});

function removedIds(events: ServiceEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'changes' ? e.removed : []));
}
