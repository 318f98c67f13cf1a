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
  /** Interrupts a download, then damages the store: the partial outlives its record. */
  async function orphanAfterDamage(file: string, body: Buffer, extra: { checksum?: { algorithm: 'sha256'; hex: string; source: 'user' } } = {}) {
    const url = server.serve(`/orphan/${file}`, { body, etag: `"${file}"` }, [{ stallAfter: CUT }]);
    const dataDir = tempDir();
    const dir = tempDir();
    await interruptAt(openEngine(dataDir, dir), url, CUT, extra);
    const held = fs.statSync(path.join(dir, `${file}.ferrypart`)).size;
    assert.ok(held > 0);
    // The store is damaged: random bytes where the database was.
    for (const suffix of ['-wal', '-shm']) fs.rmSync(path.join(dataDir, 'ferry.db' + suffix), { force: true });
    fs.writeFileSync(path.join(dataDir, 'ferry.db'), randomBytesOf(64 << 10, 51));
    const before = server.requests(`/orphan/${file}`).length;
    const t = openEngine(dataDir, dir);
    assert.ok(t.engine.storeDamage, 'the damage was noticed');
    const record = await download(t, url, extra);
    const history = t.engine.store.history(record.id);
    await t.engine.close();
    return { record, history, dir, held, requests: server.requests(`/orphan/${file}`).slice(before) };
  }

  test('after a damaged store, the same download with a checksum adopts its partial and continues it, not NAME (1)', async () => {
    const body = randomBytesOf(SIZE, 50);
    const checksum = { algorithm: 'sha256' as const, hex: sha256(body), source: 'user' as const };
    const { record, history, dir, held, requests } = await orphanAfterDamage('disk.img', body, { checksum });
    assert.equal(record.state, 'completed');
    assert.equal(record.integrity.status, 'verified');
    assert.equal(record.path, path.join(dir, 'disk.img'));
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    assert.deepEqual(listDir(dir), ['disk.img']);
    assert.ok(history.some((h) => h.kind === 'resume' && h.detail.adopted === true));
    // The first answer (a plain 200) is dropped after its headers; what follows goes by range.
    assert.equal(requests.filter((r) => !r.range).length, 1);
    const ranged = requests.filter((r) => r.range).reduce((sum, r) => sum + r.bytesSent, 0);
    assert.ok(ranged <= SIZE - held + 5 * (64 << 10), `the held bytes were not fetched again (${ranged} bytes by range for ${SIZE - held} missing)`);
    assert.ok(requests.some((r) => r.range?.startsWith(`bytes=${held - (64 << 10)}-`)), 'the resume asked for its overlap');
  });

  test('without a reference to prove its bytes, the partial is not continued: the download starts from 0 under its name, not NAME (1)', async () => {
    const body = randomBytesOf(SIZE, 52);
    const { record, history, dir } = await orphanAfterDamage('plain.img', body);
    assert.equal(record.state, 'completed');
    assert.equal(record.path, path.join(dir, 'plain.img'));
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    assert.deepEqual(listDir(dir), ['plain.img']);
    assert.ok(!history.some((h) => h.detail.adopted === true), 'nothing unprovable was kept');
    assert.ok(history.some((h) => h.kind === 'restart' && /nothing can prove the rest/.test(String(h.detail.reason))));
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
