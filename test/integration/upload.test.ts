import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { randomBytesOf, sha256 } from '../support/fault-server';
import { openEngine, tempDir } from '../support/harness';
import { type TusTestServer, startTusServer } from '../support/tus-servers';

/** Uploads (issue 4): a tus 1.0 client against real tus servers with faults in front. */
function sourceFile(size: number, seed: number, name = `up-${seed}.bin`): { file: string; body: Buffer } {
  const body = randomBytesOf(size, seed);
  const file = path.join(tempDir('src-'), name);
  fs.writeFileSync(file, body);
  return { file, body };
}

for (const kind of ['tus-server', 'uploadx'] as const) {
  describe(`uploads to ${kind === 'tus-server' ? '@tus/server + @tus/file-store' : '@uploadx/core (checksum extension)'}`, () => {
    let server: TusTestServer;
    before(async () => {
      server = await startTusServer(kind);
    });
    after(async () => {
      await server.stop();
    });

    test('a file arrives byte-identical, created once; the verdict says how it was proven', async () => {
      const { file, body } = sourceFile(9 << 20, kind === 'uploadx' ? 1 : 2);
      server.log.length = 0;
      const t = openEngine();
      const { record } = t.engine.addUpload({ source: file, url: server.endpoint });
      const done = await t.engine.run(record.id);
      await t.engine.close();
      assert.equal(done.state, 'completed', JSON.stringify(done.error));
      assert.equal(done.sha256, sha256(body));
      assert.ok(server.storedDigests().includes(sha256(body)));
      assert.equal(server.log.filter((r) => r.method === 'POST').length, 1);
      if (kind === 'uploadx') {
        assert.deepEqual(done.integrity, { status: 'verified', algorithm: 'sha256', expected: null, actual: null, source: 'tus-checksum' });
        assert.ok(server.log.filter((r) => r.method === 'PATCH').every((r) => r.checksum?.startsWith('sha256 ')));
      } else {
        assert.deepEqual(done.integrity, { status: 'unverified', algorithm: 'sha256', expected: null, actual: sha256(body), source: null });
      }
    });
  });
}
