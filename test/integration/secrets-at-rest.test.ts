import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PENDING_INTEGRITY } from '../../electron/common/integrity';
import { FaultServer, randomBytesOf, sha256 } from '../support/fault-server';
import { resultOf, runCli, startCli } from '../support/cli';
import { tempDir } from '../support/harness';
import { type TransportKind, fixture, until, value } from '../support/service';
import { startPutServer } from '../support/tus-servers';

/**
 * Secrets a person gives for a transfer (--header values, the service's headers, a URL's
 * user:pass@) against a real server and a real SQLite file: sealed while the transfer may
 * still need them, gone from the file's bytes once it ends for good, never printed.
 */

let server: FaultServer;
before(async () => {
  server = await new FaultServer().start();
});
after(async () => {
  await server.stop();
});

// As long as a real JWT, so forgetting it shrinks the row by more than a kilobyte (see the service tests).
const BEARER = `Bearer s3cret-XYZ.${'b'.repeat(1500)}`;
const API_KEY = 'k3y-XYZ';
const SECRET_HEADERS = ['--header', `Authorization: ${BEARER}`, '--header', `X-Api-Key: ${API_KEY}`];
/** What every sealed value starts with (engine/secrets.ts). */
const SEALED = 'ferry-sealed:';
const POSIX = process.platform !== 'win32';

/** The store as it lies on disk: the database and its WAL companions, byte for byte. */
function storeBytes(dataDir: string): Buffer {
  const files = ['ferry.db', 'ferry.db-wal', 'ferry.db-shm'].map((name) => path.join(dataDir, name)).filter((file) => fs.existsSync(file));
  assert.ok(files.length > 0, `no store in ${dataDir}`);
  return Buffer.concat(files.map((file) => fs.readFileSync(file)));
}

function assertAbsent(bytes: Buffer | string, needles: string[], where: string): void {
  for (const needle of needles) assert.ok(!bytes.includes(needle), `${where} holds "${needle}"`);
}

const modeOf = (file: string): string => (fs.statSync(file).mode & 0o777).toString(8);

/** Waits for the server to have seen a request for `pathname`. */
async function requested(pathname: string, count = 1): Promise<void> {
  await until(() => server.requests(pathname).length >= count, `a request for ${pathname}`);
}

describe('secrets at rest: --header values', () => {
  test('a completed get sent both headers, and neither value (clear or sealed) is left in ferry.db or its WAL; the data directory is private', async () => {
    const dir = tempDir('sec-dl-');
    const data = path.join(tempDir('sec-data-'), 'Ferry'); // Ferry creates it
    const body = randomBytesOf(200_000, 41);
    const url = server.serve('/sec/done.bin', { body, etag: '"done"' });
    const run = await runCli(['get', url, ...SECRET_HEADERS, '--dir', dir, '--data-dir', data, '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(resultOf(run).sha256, sha256(body));
    const seen = server.requests('/sec/done.bin');
    assert.ok(seen.length > 0);
    for (const request of seen) {
      assert.equal(request.headers.authorization, BEARER);
      assert.equal(request.headers['x-api-key'], API_KEY);
    }
    assertAbsent(storeBytes(data), ['s3cret-XYZ', API_KEY, SEALED], 'the store after completion');
    assertAbsent(run.stdout + run.stderr, ['s3cret-XYZ', API_KEY], 'the CLI output');
    if (POSIX) {
      assert.equal(modeOf(data), '700', 'the data directory');
      assert.equal(modeOf(path.join(data, 'ferry.db')), '600', 'ferry.db');
      assert.equal(modeOf(path.join(data, 'ferry.lock.json')), '600', 'the lock file');
      assert.equal(modeOf(path.join(data, 'secret.key')), '600', 'the key file');
    }
  });

  test('an unfinished get keeps its headers sealed (never in clear, WAL included), and a resume after kill -9 still sends them', async () => {
    const dir = tempDir('sec-dl-');
    const data = tempDir('sec-data-');
    const body = randomBytesOf(1 << 20, 42);
    const url = server.serve('/sec/cut.bin', { body, etag: '"cut"' }, [{ stallAfter: 300_000 }]);
    const first = startCli(['get', url, ...SECRET_HEADERS, '--dir', dir, '--data-dir', data, '--json']);
    await requested('/sec/cut.bin');
    await new Promise((r) => setTimeout(r, 300)); // a checkpoint or two
    first.child.kill('SIGKILL');
    const killed = await first.done;
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);

    // kill -9 leaves the WAL as it was: the worst case for what lies on disk.
    const bytes = storeBytes(data);
    assertAbsent(bytes, ['s3cret-XYZ', API_KEY], 'the store of an unfinished transfer');
    assert.ok(bytes.includes(SEALED), 'the headers are kept, sealed, for the resume');
    if (POSIX) {
      assert.equal(modeOf(data), '700');
      for (const name of ['ferry.db', 'ferry.db-wal', 'ferry.lock.json', 'secret.key']) {
        if (fs.existsSync(path.join(data, name))) assert.equal(modeOf(path.join(data, name)), '600', name);
      }
    }

    const again = await runCli(['resume', '--data-dir', data, '--json']);
    assert.equal(again.code, 0, again.stderr);
    const result = resultOf(again);
    assert.equal(result.sha256, sha256(body));
    assert.equal(result.resumes, 1);
    const resumed = server.requests('/sec/cut.bin').slice(1);
    assert.ok(resumed.length > 0);
    for (const request of resumed) {
      assert.equal(request.headers.authorization, BEARER, 'the resume unsealed and sent the header');
      assert.equal(request.headers['x-api-key'], API_KEY);
    }
    assertAbsent(storeBytes(data), ['s3cret-XYZ', API_KEY, SEALED], 'the store after completion');
  });

  test('a key file that cannot be read stops the get before anything is stored or sent, and says which file', async () => {
    const data = tempDir('sec-data-');
    fs.mkdirSync(path.join(data, 'secret.key')); // a folder where the key should be
    const url = server.serve('/sec/no-key.bin', { body: randomBytesOf(10_000, 48), etag: '"k"' });
    const run = await runCli(['get', url, ...SECRET_HEADERS, '--dir', tempDir('sec-dl-'), '--data-dir', data, '--json']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /cannot seal a header value with the key file in the data directory \(cannot read the secret key .*secret\.key.*\); nothing was added/);
    assertAbsent(run.stdout + run.stderr, ['s3cret-XYZ', API_KEY], 'the CLI output');
    assert.equal(server.requests('/sec/no-key.bin').length, 0);
    const list = await runCli(['list', '--data-dir', data, '--json']);
    assert.deepEqual(list.events, []);
  });

  test('a data directory an older Ferry left readable by others (0755, ferry.db 0644) is tightened', { skip: !POSIX && 'POSIX modes' }, async () => {
    const data = tempDir('sec-data-');
    assert.equal((await runCli(['list', '--data-dir', data])).code, 0);
    fs.chmodSync(data, 0o755);
    fs.chmodSync(path.join(data, 'ferry.db'), 0o644);
    fs.chmodSync(path.join(data, 'ferry.lock.json'), 0o644);
    const run = await runCli(['list', '--data-dir', data]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(modeOf(data), '700');
    assert.equal(modeOf(path.join(data, 'ferry.db')), '600');
    assert.equal(modeOf(path.join(data, 'ferry.lock.json')), '600');
  });
});

describe('secrets at rest: user:pass@ in a URL', () => {
  test('the server gets Basic auth; results and ferry list show no password; the same get continues the same transfer', async () => {
    const dir = tempDir('sec-dl-');
    const data = tempDir('sec-data-');
    const body = randomBytesOf(1 << 20, 43);
    const url = server.serve('/sec/basic.bin', { body, etag: '"basic"' }, [{ stallAfter: 300_000 }]);
    // %40 is an @ in the password, as curl reads it.
    const withCredentials = url.replace('http://', 'http://alice:s3cr%40t-XYZ@');
    const basic = `Basic ${Buffer.from('alice:s3cr@t-XYZ').toString('base64')}`;
    const secrets = ['s3cr%40t-XYZ', 's3cr@t-XYZ', basic.slice('Basic '.length)];

    const first = startCli(['get', withCredentials, '--dir', dir, '--data-dir', data, '--json']);
    await requested('/sec/basic.bin');
    await new Promise((r) => setTimeout(r, 700)); // the 300,000 bytes land before the stall
    first.child.kill('SIGINT');
    const stopped = await first.done;
    assert.equal(stopped.code, 130, stopped.stderr);
    assertAbsent(stopped.stdout + stopped.stderr, secrets, 'the interrupted run\'s output');
    const stop = stopped.events.find((e) => e.type === 'stopped')!;
    assert.equal(stop.url, url, 'the URL is kept without its user information');
    assert.equal(stop.bytes, 300_000);
    assertAbsent(storeBytes(data), secrets, 'the store of an unfinished transfer');

    const again = await runCli(['get', withCredentials, '--dir', dir, '--data-dir', data, '--json']);
    assert.equal(again.code, 0, again.stderr);
    assertAbsent(again.stdout + again.stderr, secrets, 'the second run\'s output');
    const result = resultOf(again);
    assert.equal(result.id, stop.id, 'the same transfer continued, no duplicate');
    assert.equal(result.url, url);
    assert.equal(result.resumes, 1);
    assert.equal(result.sha256, sha256(body));
    const seen = server.requests('/sec/basic.bin');
    assert.equal(seen.length, 2);
    for (const request of seen) assert.equal(request.headers.authorization, basic);

    const list = await runCli(['list', '--data-dir', data, '--json']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(list.events.map((e) => [e.id, e.url, e.state]), [[stop.id, url, 'completed']]);
    assertAbsent(list.stdout, secrets, 'ferry list');
    assertAbsent(storeBytes(data), [...secrets, SEALED], 'the store after completion');
  });
});

describe('secrets at rest: user:pass@, more', () => {
  test('an Authorization header given explicitly wins over the URL\'s user information, as with curl', async () => {
    const url = server.serve('/sec/explicit.bin', { body: randomBytesOf(10_000, 46), etag: '"e"' });
    const run = await runCli(['get', url.replace('http://', 'http://alice:pw-XYZ@'), '--header', 'Authorization: Bearer explicit-XYZ', '--dir', tempDir('sec-dl-'), '--data-dir', tempDir('sec-data-'), '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(server.requests('/sec/explicit.bin').map((r) => r.headers.authorization), ['Bearer explicit-XYZ']);
  });

  test('ferry put: user:pass@ in --to is Basic auth for the PUT; the result shows no password', async () => {
    const put = await startPutServer();
    try {
      const file = path.join(tempDir('sec-up-'), 'report.pdf');
      fs.writeFileSync(file, randomBytesOf(50_000, 47));
      const to = `${put.url.replace('http://', 'http://bob:up-XYZ@')}report.pdf`;
      const run = await runCli(['put', file, '--to', to, '--protocol', 'put', '--data-dir', tempDir('sec-data-'), '--json']);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(put.authorizations, [`Basic ${Buffer.from('bob:up-XYZ').toString('base64')}`]);
      assert.equal(resultOf(run).url, `${put.url}report.pdf`);
      assertAbsent(run.stdout + run.stderr, ['up-XYZ'], 'the CLI output');
    } finally {
      await put.stop();
    }
  });
});

describe('secrets at rest: a store an older Ferry wrote', () => {
  test('at the next open, passwords leave its URLs and ended transfers forget their headers', async () => {
    const data = tempDir('sec-data-');
    const dir = tempDir('sec-dl-');
    assert.equal((await runCli(['list', '--data-dir', data])).code, 0);
    // Rows as the old code wrote them: URLs as typed, header values in clear, kept after the end.
    const db = new Database(path.join(data, 'ferry.db'));
    const insert = db.prepare(
      `INSERT INTO transfers (id, direction, state, url, dir, headers, url_chain, block_size, integrity, seq, created_at, updated_at)
       VALUES (?, 'download', ?, ?, ?, ?, ?, 65536, ?, ?, 0, 0)`,
    );
    const old = (name: string): string => `http://alice:old-XYZ@127.0.0.1:9/${name}`;
    const clear = JSON.stringify([['Authorization', 'Bearer legacy-XYZ']]);
    insert.run('done', 'completed', old('done.bin'), dir, clear, JSON.stringify([old('done.bin')]), JSON.stringify(PENDING_INTEGRITY), 1);
    insert.run('waiting', 'paused', old('waiting.bin'), dir, '[]', '[]', JSON.stringify(PENDING_INTEGRITY), 2);
    db.prepare(`INSERT INTO history (transfer_id, at, kind, detail) VALUES ('done', 0, 'start', ?)`).run(JSON.stringify({ url: old('done.bin') }));
    db.close();

    const list = await runCli(['list', '--data-dir', data, '--json']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(list.events.map((e) => [e.id, e.url]), [
      ['done', 'http://127.0.0.1:9/done.bin'],
      ['waiting', 'http://127.0.0.1:9/waiting.bin'],
    ]);
    assertAbsent(storeBytes(data), ['old-XYZ', 'legacy-XYZ'], 'the store after the next open');
  });
});

describe('secrets at rest: the service', () => {
  for (const kind of ['ipc', 'websocket'] as TransportKind[]) {
    test(`${kind}: addDownloads headers are sealed in the store, sent to the server, and gone once canceled`, async () => {
      const f = await fixture(kind);
      try {
        // A token as long as a real JWT: a row that shrinks by a kilobyte or more when it is
        // forgotten leaves old bytes in the page unless SQLite zeroes them (secure_delete).
        const secret = `Bearer svc-${kind}-XYZ.${'j'.repeat(1500)}`;
        const pathname = `/sec/svc-${kind}.bin`;
        const url = server.serve(pathname, { body: randomBytesOf(1 << 20, 44), etag: '"svc"' }, [{ stallAfter: 100_000 }]);
        const added = value(await f.client.addDownloads({ urls: [url], headers: [['Authorization', secret]] }));
        await requested(pathname);
        assert.equal(server.requests(pathname)[0]!.headers.authorization, secret);
        const bytes = storeBytes(f.dataDir);
        assertAbsent(bytes, [`svc-${kind}-XYZ`], 'the store of a running transfer');
        assert.ok(bytes.includes(SEALED), 'the header is kept sealed');

        value(await f.client.cancel({ ids: added.ids }));
        await until(() => !storeBytes(f.dataDir).includes(SEALED), 'the canceled transfer\'s secrets to leave the file');
      } finally {
        await f.close();
      }
    });
  }

  test('a failed transfer keeps its sealed headers for a retry; a removed one forgets them', async () => {
    const f = await fixture('ipc');
    try {
      const secret = `Bearer retry-XYZ.${'r'.repeat(1500)}`;
      const failing = `/sec/fails-once.bin`;
      const body = randomBytesOf(100_000, 45);
      const url = server.serve(failing, { body, etag: '"f"' }, [{ status: 404 }]);
      const added = value(await f.client.addDownloads({ urls: [url], headers: [['Authorization', secret]] }));
      const id = added.ids[0]!;
      await until(() => f.rows().get(id)?.state === 'failed', 'the transfer to fail');
      let bytes = storeBytes(f.dataDir);
      assertAbsent(bytes, ['retry-XYZ'], 'the store of a failed transfer');
      assert.ok(bytes.includes(SEALED), 'a failed transfer keeps its headers, sealed');

      value(await f.client.retry({ ids: [id] }));
      await until(() => f.rows().get(id)?.state === 'completed', 'the retry to complete');
      assert.deepEqual(server.requests(failing).map((r) => r.headers.authorization), [secret, secret]);
      await until(() => !storeBytes(f.dataDir).includes(SEALED), 'the completed transfer\'s secrets to leave the file');

      const stalled = `/sec/removed.bin`;
      const other = value(await f.client.addDownloads({ urls: [server.serve(stalled, { body, etag: '"r"' }, [{ stallAfter: 10_000 }])], headers: [['Authorization', secret]] }));
      await requested(stalled);
      bytes = storeBytes(f.dataDir);
      assert.ok(bytes.includes(SEALED));
      value(await f.client.remove({ ids: other.ids, deleteFiles: true }));
      await until(() => !storeBytes(f.dataDir).includes(SEALED), 'the removed transfer\'s secrets to leave the file');
    } finally {
      await f.close();
    }
  });
});
