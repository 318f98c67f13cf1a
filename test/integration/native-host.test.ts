/**
 * `ferry native-host` (DESIGN.md section 11): the browser's framing, every message checked
 * against the host's schemas, only Ferry's extension admitted, only capture and status
 * relayed, and a capture landing in the download folder with the page's session sent to
 * its origin only, never logged and never stored in clear.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { CHROMIUM_EXTENSION_ORIGIN, FIREFOX_EXTENSION_ID, type HostReply, MAX_REQUEST_BYTES } from '../../electron/common/browser-capture';
import { ok } from '../../electron/common/result';
import { type HostService, callerOf, hostSession, plainName } from '../../electron/engine/browser-host/host-session';
import { FrameReader, encodeFrame } from '../../electron/engine/browser-host/framing';
import { connectLocalDoor } from '../../electron/engine/door/local-door';
import { CLI } from '../support/cli';
import { tempDir } from '../support/harness';
import { type ServeProcess, startServe, until } from '../support/service';

const SECRET = `session=${crypto.randomBytes(12).toString('hex')}`;
const BODY = crypto.randomBytes(300_000);
const seen: http.IncomingHttpHeaders[] = [];
let site: http.Server;
let origin: string;

before(async () => {
  // A file that needs the page's session cookie.
  site = http.createServer((req, res) => {
    seen.push(req.headers);
    if (req.headers.cookie !== SECRET) {
      res.writeHead(403, { 'content-length': '0' }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(BODY.length) }).end(BODY);
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
});
after(() => site.close());

/** The host run in this process against a stand-in service that counts what reaches it. */
function fakeSession(callerArgs = [CHROMIUM_EXTENSION_ORIGIN]) {
  const calls: string[] = [];
  const replies: HostReply[] = [];
  const reader = new FrameReader(1 << 24);
  const service: HostService = {
    addDownloads: async () => (calls.push('addDownloads'), ok({ ids: ['x'], existing: [], alreadyDone: [] })),
    snapshot: async () => (calls.push('snapshot'), ok({ transfers: [], batch: 0, settings: {} as never, host: { kind: 'serve', canRevealFiles: false, secretStorage: 'key-file', dataDir: '/d', version: 't' } })),
  };
  const logs: string[] = [];
  const session = hostSession({
    caller: callerOf(callerArgs),
    connect: async () => service,
    write: (frame) => {
      for (const f of reader.push(frame)) if (f.ok) replies.push(f.message as HostReply);
    },
    log: (m) => logs.push(m),
  });
  return { session, calls, replies, logs };
}

/** A frame whose length field is `length`, followed by `body`. */
function rawFrame(length: number, body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32LE(length);
  return Buffer.concat([head, body]);
}

describe('the native host, in process', () => {
  test('a fuzz of the framing neither throws nor reaches the engine', async () => {
    const random = crypto.createHash('sha256');
    let seed = 0;
    const bytes = (n: number): Buffer => {
      const out = Buffer.alloc(n);
      for (let i = 0; i < n; i += 32) {
        random.update(String(seed++));
        random.copy().digest().copy(out, i);
      }
      return out;
    };
    const valid = encodeFrame({ id: 1, method: 'capture', arg: { downloads: [{ url: 'https://example.com/a.bin' }] } });
    for (let round = 0; round < 400; round++) {
      const { session, calls } = fakeSession();
      const r = bytes(4)[0]!;
      let input: Buffer;
      if (round % 4 === 0) input = bytes(1 + (r % 200)); // noise
      else if (round % 4 === 1) input = rawFrame(r % 64, bytes(r % 64)); // right length, noise body
      else if (round % 4 === 2) {
        // A valid frame with bytes of its body flipped.
        input = Buffer.from(valid);
        for (let k = 0; k < 1 + (r % 4); k++) {
          const at = 4 + (bytes(1)[0]! % (input.length - 4));
          input[at] = input[at]! ^ (1 + (bytes(1)[0]! % 255));
        }
      } else input = rawFrame(MAX_REQUEST_BYTES + 1 + r, bytes(10)); // over the limit
      // Fed in pieces of every size, as a pipe delivers them.
      for (let at = 0; at < input.length; ) {
        const step = 1 + (bytes(1)[0]! % 17);
        session.feed(input.subarray(at, at + step));
        at += step;
      }
      await session.end();
      // A flipped byte can still leave a well-formed capture (a changed letter in the URL's path): that is a valid request.
      if (round % 4 !== 2) assert.deepEqual(calls, [], `round ${round} reached the engine`);
    }
  });

  test('malformed frames and messages each get an error naming the problem; the host keeps reading after them', async () => {
    const { session, calls, replies } = fakeSession();
    session.feed(rawFrame(5, Buffer.from('{nope')));
    session.feed(rawFrame(2, Buffer.from([0xff, 0xfe])));
    session.feed(encodeFrame({ id: 7, method: 'setSettings', arg: { downloadDir: '/etc' } }));
    session.feed(encodeFrame({ id: 8, method: 'capture', arg: { downloads: [{ url: 'file:///etc/passwd' }] } }));
    session.feed(encodeFrame({ id: 9, method: 'capture', arg: { downloads: [{ url: 'https://e.com/a', dir: '/tmp' }] } }));
    session.feed(encodeFrame([1, 2]));
    session.feed(encodeFrame({ id: 10, method: 'status' }));
    await session.end();
    assert.deepEqual(calls, ['snapshot']);
    assert.deepEqual(
      replies.map((r) => [r.id, r.ok ? 'ok' : r.error.code]),
      [[null, 'invalid-message'], [null, 'invalid-message'], [7, 'invalid-message'], [8, 'invalid-message'], [9, 'invalid-message'], [null, 'invalid-message'], [10, 'ok']],
    );
    const errors = replies.flatMap((r) => (r.ok ? [] : [r.error.message]));
    assert.match(errors[0]!, /not JSON/);
    assert.match(errors[1]!, /not UTF-8/);
    assert.match(errors[2]!, /no command "setSettings"; it has capture, status/);
    assert.match(errors[4]!, /has no field "dir"/);
  });

  test('a frame over the limit is refused and the host stops reading', async () => {
    const { session, replies, calls } = fakeSession();
    session.feed(rawFrame(MAX_REQUEST_BYTES + 1, Buffer.alloc(0)));
    session.feed(encodeFrame({ id: 1, method: 'status' }));
    await session.end();
    assert.ok(session.broken);
    assert.equal(replies.length, 1);
    assert.deepEqual(calls, []);
  });

  test('only Ferry\'s extension is answered: another origin or extension id is forbidden before anything reaches the engine', async () => {
    for (const args of [['chrome-extension://abcdefghijklmnopabcdefghijklmnop/'], ['/path/app.ferry.host.json', 'other@example.org'], []]) {
      const { session, replies, calls, logs } = fakeSession(args);
      session.feed(encodeFrame({ id: 1, method: 'status' }));
      await session.end();
      assert.deepEqual(calls, [], String(args));
      assert.deepEqual(replies, [{ id: 1, ok: false, error: { code: 'forbidden', message: "this host answers Ferry's own extension only" } }]);
      assert.equal(logs.length, 1);
    }
    assert.equal(callerOf(['/x/app.ferry.host.json', FIREFOX_EXTENSION_ID]).allowed, true);
    assert.equal(callerOf([CHROMIUM_EXTENSION_ORIGIN, '--parent-window=0']).allowed, true);
  });

  test('a suggested name is a plain file name or nothing', () => {
    assert.equal(plainName('report.pdf'), 'report.pdf');
    assert.equal(plainName('/home/a/Downloads/report.pdf'), 'report.pdf');
    assert.equal(plainName('..\\..\\evil.exe'), 'evil.exe');
    assert.equal(plainName('..'), null);
    assert.equal(plainName('a\nb'), null);
    assert.equal(plainName(null), null);
  });
});

/** `ferry native-host` as the browser runs it: frames in, frames out. */
function runHost(dataDir: string, input: Buffer, callerArgs = [CHROMIUM_EXTENSION_ORIGIN]): Promise<{ code: number | null; replies: HostReply[]; stderr: string }> {
  const child = spawn(process.execPath, [CLI, 'native-host', '--data-dir', dataDir, ...callerArgs], { stdio: ['pipe', 'pipe', 'pipe'] });
  const reader = new FrameReader(1 << 24);
  const replies: HostReply[] = [];
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    for (const f of reader.push(chunk)) replies.push(f.ok ? (f.message as HostReply) : ({ id: null, ok: false, error: { code: 'internal', message: `bad frame from the host: ${f.reason}` } } as HostReply));
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.on('error', () => undefined);
  child.stdin.end(input);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, replies, stderr })));
}

describe('ferry native-host against ferry serve', () => {
  let serve: ServeProcess;
  let data: string;
  let downloads: string;
  before(async () => {
    data = tempDir('nh-data-');
    downloads = tempDir('nh-dl-');
    serve = await startServe(data, [], { XDG_DOWNLOAD_DIR: downloads });
  });
  after(async () => {
    await serve.stop();
  });

  test('a capture lands in the download folder, sent with the page\'s cookie, referrer and user agent; its details say it came from the browser and from which page', async () => {
    const page = `${origin}/page.html?ticket=abc#top`;
    const url = `${origin}/files/report.bin`;
    const run = await runHost(
      data,
      encodeFrame({ id: 3, method: 'capture', arg: { downloads: [{ url, referrer: page, cookies: SECRET, name: '../report.bin', finalUrl: url }], userAgent: 'TestBrowser/1.0' } }),
    );
    assert.equal(run.code, 0, run.stderr);
    const reply = run.replies[0]!;
    assert.ok(reply.ok, JSON.stringify(reply));
    const id = (reply.value as { ids: string[] }).ids[0]!;
    const file = path.join(downloads, 'report.bin');
    await until(() => fs.existsSync(file), 'the captured file', 20_000);
    assert.ok(BODY.equals(fs.readFileSync(file)));
    const ferrys = seen.filter((h) => h.cookie === SECRET);
    assert.equal(ferrys.length, 1);
    assert.equal(ferrys[0]!.referer, page);
    assert.equal(ferrys[0]!['user-agent'], 'TestBrowser/1.0');

    const client = (await connectLocalDoor(data))!;
    try {
      const details = await client.details({ id });
      assert.ok(details.ok);
      const captured = details.value.history.find((h) => h.kind === 'captured');
      assert.deepEqual(captured?.detail, { from: 'browser', page: `${origin}/page.html`, finalUrl: `${origin}/files/report.bin` });
      assert.equal(details.value.summary.dir, downloads);
    } finally {
      client.dispose();
    }
    // The cookie is a secret: in no log and nowhere in the store in clear.
    assert.ok(!run.stderr.includes(SECRET) && !serve.stderr().includes(SECRET));
    const log = path.join(data, 'ferry.log');
    assert.ok(!fs.existsSync(log) || !fs.readFileSync(log, 'utf8').includes(SECRET), 'not in the engine log');
  });

  test('status answers the popup\'s rows; a wrong origin, garbage and an oversized frame reach nothing', async () => {
    const status = await runHost(data, encodeFrame({ id: 1, method: 'status' }));
    assert.equal(status.code, 0, status.stderr);
    const value = (status.replies[0] as { ok: true; value: { transfers: Array<{ name: string; verdict: string }>; host: { kind: string }; open: string | null } }).value;
    assert.equal(value.host.kind, 'serve');
    assert.equal(value.open, serve.url.href, 'the popup\'s Open Ferry button opens the window of ferry serve');
    assert.ok(value.transfers.some((t) => t.name === 'report.bin'));
    const open = await runHost(data, encodeFrame({ id: 2, method: 'open' }));
    assert.deepEqual(open.replies, [{ id: 2, ok: true, value: { url: serve.url.href } }], 'the Open button opens the window of ferry serve');

    const client = (await connectLocalDoor(data))!;
    const count = async (): Promise<number> => {
      const snapshot = await client.snapshot();
      assert.ok(snapshot.ok);
      return snapshot.value.transfers.length;
    };
    const before = await count();
    const forbidden = await runHost(data, encodeFrame({ id: 1, method: 'capture', arg: { downloads: [{ url: `${origin}/x` }] } }), ['chrome-extension://zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz/']);
    assert.equal((forbidden.replies[0] as { error: { code: string } }).error.code, 'forbidden');
    const garbage = await runHost(data, crypto.randomBytes(5000));
    assert.notEqual(garbage.code, null);
    assert.ok(garbage.replies.every((r) => !r.ok && r.error.code === 'invalid-message'));
    const huge = await runHost(data, rawFrame(0xffffffff, Buffer.alloc(100)));
    assert.equal(huge.code, 1);
    assert.equal(await count(), before);
    client.dispose();
  });

  test('the store holds the cookie sealed, not in clear (read once serve has stopped)', async () => {
    await serve.stop();
    const db = new Database(path.join(data, 'ferry.db'), { readonly: true });
    try {
      const dump = JSON.stringify([db.prepare('SELECT * FROM transfers').all(), db.prepare('SELECT * FROM history').all()]);
      assert.ok(dump.includes('captured'), 'the history is there');
      assert.ok(!dump.includes(SECRET.split('=')[1]!), 'the cookie is sealed in the store');
    } finally {
      db.close();
    }
  });

  test('with no Ferry running the answer is not-running, so the browser keeps its download', async () => {
    const run = await runHost(tempDir('nh-empty-'), encodeFrame({ id: 2, method: 'capture', arg: { downloads: [{ url: `${origin}/x` }] } }));
    assert.equal(run.code, 0);
    assert.deepEqual(run.replies.map((r) => (r.ok ? 'ok' : r.error.code)), ['not-running']);
    // The CLI's host starts nothing: the Open button says why instead.
    const open = await runHost(tempDir('nh-empty-'), encodeFrame({ id: 3, method: 'open' }));
    assert.deepEqual(open.replies.map((r) => (r.ok ? 'ok' : r.error.code)), ['not-running']);
  });
});
