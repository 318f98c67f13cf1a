import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FaultServer, randomBytesOf, sha256 } from '../support/fault-server';
import { interruptAt, openEngine, tempDir } from '../support/harness';

/**
 * Rules 7 and 8: before resuming, the partial must still be there, at least as long as the
 * checkpoint, and hold the bytes we wrote, block by block (64 KiB blocks in tests).
 */
const SIZE = 1 << 20;
const BLOCK = 64 << 10;
const HELD = 700_000; // 10 complete blocks and a tail

let server: FaultServer;
before(async () => {
  server = await new FaultServer().start();
});
after(async () => {
  await server.stop();
});

let n = 0;
async function tamperAndResume(tamper: (partial: string) => void, file: { etag?: string } = { etag: '"t"' }, extraFor: (body: Buffer) => object = () => ({})) {
  const body = randomBytesOf(SIZE, 100 + ++n);
  const extra = extraFor(body);
  const p = `/tamper/${n}/data.bin`;
  const url = server.serve(p, { body, ...file }, [{ stallAfter: HELD }]);
  const dataDir = tempDir();
  const dir = tempDir();
  const id = await interruptAt(openEngine(dataDir, dir), url, HELD, extra);
  const partial = path.join(dir, 'data.bin.ferrypart');
  assert.ok(fs.statSync(partial).size >= HELD, 'the quit left the partial at least as long as the checkpoint');
  tamper(partial);
  const t = openEngine(dataDir, dir);
  const record = await t.engine.run(id);
  const history = t.engine.store.history(id);
  await t.engine.close();
  return { record, body, history, requests: server.requests(p).slice(1), dir };
}

describe('a tampered partial is detected on resume and the result is exact', () => {
  test('deleted: the download starts again from 0', async () => {
    const { record, body, requests } = await tamperAndResume((f) => fs.rmSync(f));
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    assert.equal(record.restarts, 1);
    assert.equal(requests[0]!.range, undefined);
  });

  test('truncated below the checkpoint: the download starts again from 0', async () => {
    const { record, body, history } = await tamperAndResume((f) => fs.truncateSync(f, 100_000));
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    assert.match(String(history.find((h) => h.kind === 'restart')?.detail.reason), /shorter/);
  });

  test('extended with junk: the bytes past the checkpoint are cut and the download resumes', async () => {
    const { record, body, requests } = await tamperAndResume((f) => fs.appendFileSync(f, Buffer.alloc(50_000, 0xee)));
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    assert.equal(record.restarts, 0);
    assert.equal(record.resumes, 1);
    assert.match(requests[0]!.range!, /^bytes=\d+-$/);
  });

  test('one byte flipped inside an early block: only that block is fetched again', async () => {
    const flipAt = 2 * BLOCK + 1234;
    const { record, body, requests, history } = await tamperAndResume((f) => {
      const fd = fs.openSync(f, 'r+');
      const byte = Buffer.alloc(1);
      fs.readSync(fd, byte, 0, 1, flipAt);
      byte[0] = byte[0]! ^ 0xff;
      fs.writeSync(fd, byte, 0, 1, flipAt);
      fs.closeSync(fd);
    });
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    assert.equal(record.restarts, 0);
    assert.equal(requests[0]!.range, `bytes=${2 * BLOCK}-${3 * BLOCK - 1}`, 'the repair asks for exactly the bad block');
    assert.equal(requests[0]!.ifRange, '"t"');
    assert.match(requests[1]!.range!, /^bytes=\d+-$/, 'then the download resumes');
    assert.equal(requests.length, 2);
    assert.deepEqual(history.find((h) => h.kind === 'repair')?.detail.blocks, [2]);
  });

  test('a byte flipped in the tail past the last whole block is caught by the tail digest', async () => {
    const { record, body, requests } = await tamperAndResume((f) => {
      const fd = fs.openSync(f, 'r+');
      fs.writeSync(fd, Buffer.from([0]), 0, 1, 10 * BLOCK + 5);
      fs.writeSync(fd, Buffer.from([1]), 0, 1, 10 * BLOCK + 6);
      fs.closeSync(fd);
    });
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    assert.match(requests[0]!.range!, new RegExp(`^bytes=${10 * BLOCK}-\\d+$`));
  });

  test('without a strong validator a bad block is not repaired by range: the good prefix is kept', async () => {
    const { record, body, requests } = await tamperAndResume(
      (f) => {
        const fd = fs.openSync(f, 'r+');
        fs.writeSync(fd, Buffer.from('XYZ'), 0, 3, 3 * BLOCK + 7);
        fs.closeSync(fd);
      },
      { etag: 'W/"weak"' },
      (b) => ({ checksum: { algorithm: 'sha256', hex: sha256(b), source: 'user' } }),
    );
    assert.equal(record.state, 'completed');
    assert.equal(sha256(fs.readFileSync(record.path!)), sha256(body));
    assert.equal(record.integrity.status, 'verified');
    assert.equal(requests[0]!.range, `bytes=${3 * BLOCK - 65536}-`, 'resumes from the start of the bad block, overlap-checked');
    assert.equal(requests[0]!.ifRange, undefined);
  });
});
