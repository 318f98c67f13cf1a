/**
 * Uploads against a tus server whose answers a test decides (test/support/mini-tus.ts): the
 * person's headers stay on their origin, a resume proves every byte the server may hold
 * before going on, and the SHA-256 on record is the whole file's.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Added } from '../../electron/engine/engine';
import { sha256 } from '../support/fault-server';
import { openEngine } from '../support/harness';
import { MiniTus, sourceFile } from '../support/mini-tus';

describe('uploads a server may trip up', () => {
  let api: MiniTus;
  let storage: MiniTus;
  before(async () => {
    api = await new MiniTus().start();
    storage = await new MiniTus().start();
    storage.shareFrom(api);
  });
  after(async () => {
    await api.stop();
    await storage.stop();
  });

  test('the person\'s Authorization and Cookie never go to an upload URL a tus server hands out on another origin (found in review)', async () => {
    api.locationBase = storage.base; // the tus endpoint hands out upload URLs on another host:port
    api.patchPlan = () => 'answer';
    storage.patchPlan = () => 'answer';
    api.seen.length = 0;
    storage.seen.length = 0;
    const { file, body } = sourceFile(200_000, 7);
    const t = openEngine();
    const [{ record }] = (await t.engine.addUploads([{ source: file, url: `${api.base}/files`, headers: [['Authorization', 'Bearer UPLOAD-SECRET'], ['Cookie', 'sid=COOKIE-SECRET']] }])) as [Added];
    const done = await t.engine.run(record.id);
    await t.engine.close();
    api.locationBase = null;
    assert.equal(done.state, 'completed', JSON.stringify(done.error));
    assert.ok([...api.uploads.values()].some((u) => sha256(u.data) === sha256(body)));
    const leaked = storage.seen.filter((s) => s.authorization !== undefined || s.cookie !== undefined);
    assert.equal(leaked.length, 0, `${leaked.length} requests to ${storage.base} carried the person's secrets: ${JSON.stringify(leaked)}`);
  });

  test('a resume that finds the server already holding every byte records the whole file\'s SHA-256, not a prefix\'s (found in review)', async () => {
    api.locationBase = null;
    const size = 100_000; // not a multiple of the 64 KiB test block
    const { file, body } = sourceFile(size, 8);
    // The one PATCH is stored whole, but its answer is lost: the retry's HEAD says offset == size.
    api.patchPlan = (nth) => (nth === 0 ? 'drop' : 'answer');
    const t = openEngine();
    const [{ record }] = (await t.engine.addUploads([{ source: file, url: `${api.base}/files` }])) as [Added];
    const done = await t.engine.run(record.id);
    await t.engine.close();
    api.patchPlan = () => 'answer';
    assert.equal(done.state, 'completed', JSON.stringify(done.error));
    assert.equal(done.sha256, sha256(body), 'the SHA-256 on record is the whole file\'s');
  });

  test('bytes changed in place inside a block the server holds only part of (mtime kept) are never spliced: the upload starts over (found in review)', async () => {
    api.locationBase = null;
    const size = 300_000;
    const { file, body } = sourceFile(size, 9);
    const before = fs.statSync(file);
    const KEEP = 100_000; // the server keeps 100,000 bytes of the first PATCH; 64 KiB blocks: block 1 is partly sent
    api.patchPlan = (nth) =>
      nth === 0
        ? {
            keep: KEEP,
            then: () => {
              // The person's tool rewrites byte 80,000 in place and keeps the time (rsync --inplace -t, touch -r ...).
              const fd = fs.openSync(file, 'r+');
              fs.writeSync(fd, Buffer.from([body[80_000]! ^ 0xff]), 0, 1, 80_000);
              fs.closeSync(fd);
              fs.utimesSync(file, before.atime, before.mtime);
            },
          }
        : 'answer';
    const t = openEngine();
    const [{ record }] = (await t.engine.addUploads([{ source: file, url: `${api.base}/files` }])) as [Added];
    const done = await t.engine.run(record.id);
    await t.engine.close();
    api.patchPlan = () => 'answer';
    const now = fs.readFileSync(file);
    const stored = [...api.uploads.values()].filter((u) => u.length === size && u.data.length === size).map((u) => u.data);
    const last = stored.at(-1)!;
    assert.equal(done.state, 'completed');
    assert.equal(done.restarts, 1, 'the changed source was sent again from its first byte');
    assert.ok(last.equals(now), 'the server holds the source as it is now, not a splice of the old and the new');
    assert.equal(done.sha256, sha256(now));
  });
});
