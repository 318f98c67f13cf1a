import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FaultServer, randomBytesOf, sha256 } from '../support/fault-server';
import { resultOf, runCli } from '../support/cli';
import { listDir, tempDir } from '../support/harness';

let server: FaultServer;
before(async () => {
  server = await new FaultServer().start();
});
after(async () => {
  await server.stop();
});

/** Issue 12's weak case: the same get, run again after it completed. */
describe('ferry get again after it completed', () => {
  test('a file that still verifies is not downloaded twice; --force fetches it again; a changed file is fetched anew', async () => {
    const body = randomBytesOf(200_000, 5);
    const url = server.serve('/again/file.bin', { body, etag: '"a1"' });
    const dir = tempDir('again-dl-');
    const data = tempDir('again-data-');
    const args = ['get', url, '--dir', dir, '--data-dir', data, '--json'];

    const first = await runCli(args);
    assert.equal(first.code, 0, first.stderr);
    const firstResult = resultOf(first);
    assert.equal(server.requests('/again/file.bin').length, 1);

    const again = await runCli(args);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /Already downloaded: .*file\.bin still has the SHA-256/);
    const againResult = resultOf(again);
    assert.equal(againResult.id, firstResult.id);
    assert.equal(againResult.state, 'completed');
    assert.equal(againResult.sha256, sha256(body));
    assert.equal(server.requests('/again/file.bin').length, 1, 'no request: nothing fetched again');
    assert.deepEqual(listDir(dir), ['file.bin']);

    // A checksum given now is checked against the file and becomes its verdict.
    const checked = await runCli([...args, '--checksum', `sha256:${sha256(body)}`]);
    assert.equal(checked.code, 0, checked.stderr);
    assert.deepEqual((resultOf(checked).integrity as { status: string; source: string }).status, 'verified');
    assert.equal(server.requests('/again/file.bin').length, 1);

    const forced = await runCli([...args, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(server.requests('/again/file.bin').length, 2);
    assert.deepEqual(listDir(dir), ['file (1).bin', 'file.bin'], 'the old file is never overwritten');

    // The saved file changed since: it no longer proves anything, so the download runs again.
    fs.writeFileSync(path.join(dir, 'file (1).bin'), 'edited by hand');
    const changed = await runCli(args);
    assert.equal(changed.code, 0, changed.stderr);
    assert.doesNotMatch(changed.stderr, /Already downloaded/);
    assert.equal(server.requests('/again/file.bin').length, 3);
    assert.equal(fs.readFileSync(path.join(dir, 'file (1).bin'), 'utf8'), 'edited by hand', 'the edited file is left alone');
  });
});
