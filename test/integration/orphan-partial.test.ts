import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FaultServer, randomBytesOf, sha256 } from '../support/fault-server';
import { download, interruptAt, listDir, openEngine, tempDir } from '../support/harness';

const SIZE = 2 << 20;
const CUT = 1_200_000;

let server: FaultServer;
before(async () => {
  server = await new FaultServer().start();
});
after(async () => {
  await server.stop();
});

/** Issue 12's weak case: a damaged ferry.db loses the records, the partials survive. */
describe('a partial whose record was lost', () => {
  test('after a damaged store, the same download adopts its partial and continues it, not NAME (1)', async () => {
    const body = randomBytesOf(SIZE, 50);
    const url = server.serve('/orphan/disk.img', { body, etag: '"o1"' }, [{ stallAfter: CUT }]);
    const dataDir = tempDir();
    const dir = tempDir();
    await interruptAt(openEngine(dataDir, dir), url, CUT);
    const held = fs.statSync(path.join(dir, 'disk.img.ferrypart')).size;
    assert.ok(held > 0);
    // The store is damaged: random bytes where the database was.
    for (const suffix of ['-wal', '-shm']) fs.rmSync(path.join(dataDir, 'ferry.db' + suffix), { force: true });
    fs.writeFileSync(path.join(dataDir, 'ferry.db'), randomBytesOf(64 << 10, 51));
    const before = server.requests('/orphan/disk.img').length;

    const t = openEngine(dataDir, dir);
    assert.ok(t.engine.storeDamage, 'the damage was noticed');
    const record = await download(t, url);
    const history = t.engine.store.history(record.id);
    await t.engine.close();
    assert.equal(record.state, 'completed');
    assert.equal(record.path, path.join(dir, 'disk.img'));
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    assert.deepEqual(listDir(dir), ['disk.img']);
    assert.ok(history.some((h) => h.kind === 'resume' && h.detail.adopted === true));
    const after = server.requests('/orphan/disk.img').slice(before);
    // The first answer (a plain 200) is dropped after its headers; what follows goes by range.
    assert.equal(after.filter((r) => !r.range).length, 1);
    const ranged = after.filter((r) => r.range).reduce((sum, r) => sum + r.bytesSent, 0);
    assert.ok(ranged <= SIZE - held + 5 * (64 << 10), `the held bytes were not fetched again (${ranged} bytes by range for ${SIZE - held} missing)`);
    assert.ok(after.some((r) => r.range?.startsWith(`bytes=${held - (64 << 10)}-`)), 'the resume asked for its overlap');
  });

  test('a partial of the same name that is not this file is left alone; the download takes another name', async () => {
    const body = randomBytesOf(SIZE, 60);
    const url = server.serve('/orphan/other.img', { body, etag: '"o2"' });
    const dir = tempDir();
    const stranger = randomBytesOf(900_000, 61);
    fs.writeFileSync(path.join(dir, 'other.img.ferrypart'), stranger);
    const t = openEngine(undefined, dir);
    const record = await download(t, url);
    await t.engine.close();
    assert.equal(record.state, 'completed');
    assert.equal(record.path, path.join(dir, 'other (1).img'));
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    assert.equal(sha256(fs.readFileSync(path.join(dir, 'other.img.ferrypart'))), sha256(stranger), 'the stranger is untouched');
  });
});
