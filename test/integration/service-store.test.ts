/**
 * The service's side of the store: settings changed by two windows at once, and finished
 * transfers cleared. Against a real engine behind the IPC stand-in, a real SQLite file and
 * a real HTTP server.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { createClient, serveService } from '../../electron/common/rpc';
import type { TransferClient } from '../../electron/common/service';
import { KeyFileSecretBox, type SecretBox } from '../../electron/engine/secrets';
import { openEngineService } from '../../electron/engine/service/open-service';
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
function open(dataDir: string, sealMs = 50): { client: TransferClient; close(): Promise<void> } {
  const { engine, service } = openEngineService({
    dataDir,
    command: 'test',
    host: { kind: 'desktop', version: 'test', defaultDownloadDir: tempDir('ferry-dl-'), secrets: slowBox(dataDir, sealMs), reveal: null, open: null },
  });
  const { port1, port2 } = new MessageChannel();
  serveService(service, portChannel(port1));
  const client = createClient(portChannel(port2));
  return {
    client,
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
