/**
 * Secrets in the links around a download, through the real CLI: headers given with a
 * Metalink's address stay on its origin; a checksum file's or a Metalink's address with a
 * password in it is refused, and the password is neither kept nor printed (found in review).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FaultServer, randomBytesOf, sha256 } from '../support/fault-server';
import { runCli } from '../support/cli';
import { tempDir } from '../support/harness';

let a: FaultServer;
let b: FaultServer;
before(async () => {
  a = await new FaultServer().start();
  b = await new FaultServer().start();
});
after(async () => {
  await a.stop();
  await b.stop();
});

function meta4(name: string, hash: string, urls: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<metalink xmlns="urn:ietf:params:xml:ns:metalink">
  <file name="${name}">
    <hash type="sha-256">${hash}</hash>
${urls.map((u, i) => `    <url priority="${i + 1}">${u}</url>`).join('\n')}
  </file>
</metalink>
`;
}

/** Every file of a data directory, as bytes (the SQLite database, its WAL, the log...). */
function everyByte(dir: string): Buffer {
  const out: Buffer[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile()) out.push(fs.readFileSync(full));
    }
  };
  walk(dir);
  return Buffer.concat(out);
}

describe('secrets in the links around a download', () => {
  test('--header given with a remote Metalink stays on its origin: a mirror on another origin gets none of it', async () => {
    const dir = tempDir('meta-');
    const data = tempDir('meta-data-');
    const body = randomBytesOf(300_000, 501);
    const mirror = b.serve('/mirror/pkg.bin', { body, etag: '"m"' });
    const doc = a.serve('/pkg.bin.meta4', { body: Buffer.from(meta4('pkg.bin', sha256(body), [mirror])) });
    const run = await runCli(['get', doc, '--dir', dir, '--data-dir', data, '--json', '--header', 'Authorization: Bearer META-SECRET']);
    assert.equal(run.code, 0, run.stderr);
    const asked = b.requests('/mirror/pkg.bin');
    assert.ok(asked.length > 0);
    for (const r of asked) assert.equal(r.authorization, undefined, 'a header given with the Metalink went to a mirror on another origin');
    assert.match(run.stderr, /the --header values are not sent to them/);
    assert.equal(sha256(fs.readFileSync(path.join(dir, 'pkg.bin'))), sha256(body));
  });

  test('a --checksum-file address with a password is refused before anything starts, and the password is kept nowhere', async () => {
    const dir = tempDir('sum-');
    const data = tempDir('sum-data-');
    const body = randomBytesOf(2 << 20, 502);
    const file = a.serve('/sum/big.bin', { body, etag: '"s"' });
    const sums = a.url('/private/SHA256SUMS').replace('http://', 'http://alice:SUMS-PASSWORD-XYZ@');
    const run = await runCli(['get', file, '--dir', dir, '--data-dir', data, '--json', '--checksum-file', sums]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /--checksum-file: a checksum file address with a user name or password/);
    assert.equal(a.requests('/sum/big.bin').length, 0, 'nothing started');
    assert.equal(`${run.stdout}${run.stderr}`.includes('SUMS-PASSWORD-XYZ'), false);
    assert.equal(fs.existsSync(data) && everyByte(data).includes(Buffer.from('SUMS-PASSWORD-XYZ')), false);
  });

  test('a Metalink address with a password is refused, and the message does not repeat it', async () => {
    const run = await runCli(['get', 'http://alice:META-PW-123@127.0.0.1:9/x.meta4', '--dir', tempDir('m4-'), '--data-dir', tempDir('m4-data-'), '--json']);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /has a user name or password in its address; Ferry does not fetch a Metalink with them/);
    assert.equal(`${run.stdout}${run.stderr}`.includes('META-PW-123'), false, 'the password was printed');
  });
});
