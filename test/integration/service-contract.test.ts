/**
 * One contract suite, run against both transports: the in-process IPC stand-in (a
 * MessagePort pair, structured clone as Electron's IPC) and a real WebSocket to a `ferry
 * serve` process. Every command and event, against a real engine and real servers.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { PROTOCOL_VERSION } from '../../electron/common/rpc';
import type { TransferSummary } from '../../electron/common/service';
import { FaultServer, randomBytesOf, sha256 } from '../support/fault-server';
import { tempDir, unwritableDir } from '../support/harness';
import { NEEDS_NGINX, type Nginx, startNginx } from '../support/nginx';
import { type ServiceFixture, type TransportKind, fixture, until, value } from '../support/service';
import { type PutServer, type TusTestServer, startPutServer, startTusServer } from '../support/tus-servers';

const root = tempDir('ferry-www-');
const files: Record<string, Buffer> = {};
for (const [name, size] of [['small.bin', 300_000], ['slow.bin', 1 << 20], ['other.bin', 200_000]] as const) {
  files[name] = randomBytesOf(size, name.length);
  fs.writeFileSync(path.join(root, name), files[name]);
}
for (let i = 0; i < 12; i++) fs.writeFileSync(path.join(root, `many-${i}.bin`), randomBytesOf(20_000 + i, i));

let nginx: Nginx;
/** The same files at 256 KiB/s per request, so a transfer stays active long enough to act on. */
let slow: Nginx;
let faults: FaultServer;
let tus: TusTestServer;
let put: PutServer;

before(async () => {
  if (NEEDS_NGINX) return;
  nginx = await startNginx(root);
  slow = await startNginx(root, { limitRate: '256k' });
  faults = await new FaultServer().start();
  tus = await startTusServer('tus-server');
  put = await startPutServer();
});
after(async () => {
  if (NEEDS_NGINX) return;
  await nginx.stop();
  await slow.stop();
  await faults.stop();
  await tus.stop();
  await put.stop();
});

const row = (f: ServiceFixture, id: string): TransferSummary | undefined => f.rows().get(id);
const settledStates = new Set(['completed', 'failed', 'canceled', 'paused']);

async function settle(f: ServiceFixture, ids: string[], timeoutMs = 20_000): Promise<TransferSummary[]> {
  await until(() => ids.every((id) => settledStates.has(row(f, id)?.state ?? '')), `${ids.length} transfer(s) to settle over ${f.kind}`, timeoutMs);
  return ids.map((id) => row(f, id)!);
}

const OVER: Record<TransportKind, string> = { ipc: 'the IPC stand-in', websocket: 'a WebSocket to ferry serve', door: "ferry serve's local door" };

for (const kind of ['ipc', 'websocket', 'door'] as TransportKind[]) {
  describe(`the TransferService contract over ${OVER[kind]}`, { skip: NEEDS_NGINX }, () => {
    let f: ServiceFixture;
    before(async () => {
      f = await fixture(kind);
    });
    after(async () => {
      await f.close();
    });
    afterEach(async () => {
      // Every test leaves an empty, idle queue behind it.
      const all = [...f.rows().keys()];
      if (all.length > 0) value(await f.client.remove({ ids: all, deleteFiles: false }));
      await until(() => f.rows().size === 0, 'the queue to empty');
    });

    test('snapshot: the queue, the settings and what the host can do', async () => {
      const snap = value(await f.client.snapshot());
      assert.deepEqual(snap.transfers, []);
      assert.equal(snap.settings.downloadDir, f.downloadDir);
      assert.equal(snap.settings.maxActive, 4);
      assert.equal(snap.host.kind, kind === 'ipc' ? 'desktop' : 'serve');
      assert.equal(snap.host.canRevealFiles, kind === 'ipc');
      assert.equal(snap.host.secretStorage, 'key-file');
      assert.equal(path.resolve(snap.host.dataDir), path.resolve(f.dataDir));
    });

    test('addDownloads: a file from nginx completes with its SHA-256, seen through change batches; a checksum makes it verified', async () => {
      const url = `${nginx.url('small.bin')}`;
      const added = value(await f.client.addDownloads({ urls: [url], checksum: `sha256:${sha256(files['small.bin']!)}` }));
      assert.equal(added.ids.length, 1);
      assert.deepEqual(added.existing, []);
      const [done] = await settle(f, added.ids);
      assert.equal(done!.state, 'completed');
      assert.equal(done!.integrity.status, 'verified');
      assert.equal(done!.integrity.source, 'user');
      assert.equal(done!.integrity.actual, sha256(files['small.bin']!));
      assert.equal(done!.bytes, files['small.bin']!.length);
      assert.equal(done!.name, 'small.bin');
      assert.equal(sha256(fs.readFileSync(done!.path!)), sha256(files['small.bin']!));
      // The picture built from batches is the engine's picture.
      const fresh = value(await f.client.snapshot()).transfers.find((t) => t.id === added.ids[0]);
      assert.deepEqual({ ...row(f, added.ids[0]!), speed: 0, eta: null }, { ...fresh, speed: 0, eta: null });
      // Without a checksum: unverified, SHA-256 still recorded.
      const plain = value(await f.client.addDownloads({ urls: [`${nginx.url('other.bin')}`] }));
      const [other] = await settle(f, plain.ids);
      assert.equal(other!.integrity.status, 'unverified');
      assert.equal(other!.integrity.actual, sha256(files['other.bin']!));
      // The same URL to the same folder while unfinished continues it; a finished one is a new download.
      const again = value(await f.client.addDownloads({ urls: [url] }));
      assert.notEqual(again.ids[0], added.ids[0]);
      await settle(f, again.ids);
    });

    test('bad arguments come back as typed errors naming the field, and nothing starts', async () => {
      const cases: Array<[Promise<{ ok: boolean; error?: { code: string; field?: string; message: string } }>, string, string]> = [
        [f.client.addDownloads({ urls: ['ftp://example.com/x'] }), 'invalid-argument', 'urls[0]'],
        [f.client.addDownloads({ urls: [] }), 'invalid-argument', 'urls'],
        [f.client.addDownloads({ urls: [`${nginx.url('a')}`, `${nginx.url('b')}`], name: 'x.bin' }), 'invalid-argument', 'name'],
        [f.client.addDownloads({ urls: [`${nginx.url('a')}`], name: '../escape' }), 'invalid-argument', 'name'],
        [f.client.addDownloads({ urls: [`${nginx.url('a')}`], checksum: 'sha256:abc' }), 'invalid-argument', 'checksum'],
        [f.client.addDownloads({ urls: [`${nginx.url('a')}`], dir: 'relative/folder' }), 'invalid-argument', 'dir'],
        [f.client.addDownloads({ urls: [`${nginx.url('a')}`], headers: [['Range', 'bytes=0-']] }), 'invalid-argument', 'headers[0]'],
        [f.client.addDownloads({ urls: [`${nginx.url('a')}`], dir: unwritableDir() }), 'rejected', ''],
        [f.client.addUploads({ paths: ['/tmp'], destination: 'no-such-destination' }), 'not-found', 'destination'],
        [f.client.pause({ ids: ['no-such-id'] }), 'not-found', 'ids'],
        [f.client.details({ id: 'no-such-id' }), 'not-found', 'id'],
        [f.client.setSettings({ maxActive: 0 }), 'invalid-argument', 'maxActive'],
        [f.client.setSettings({ downloadDir: 'Downloads' }), 'invalid-argument', 'downloadDir'],
        // A misspelt option is an error, not a silent default.
        [f.client.remove({ ids: ['x'], deleteFile: true } as never), 'invalid-argument', 'deleteFile'],
        [f.client.remove({ ids: ['x'] } as never), 'invalid-argument', 'deleteFiles'],
      ];
      for (const [promise, code, field] of cases) {
        const result = await promise;
        assert.equal(result.ok, false);
        assert.equal(result.error!.code, code, result.error!.message);
        if (field) assert.equal(result.error!.field, field, result.error!.message);
        assert.ok(result.error!.message.length > 10);
      }
      assert.equal(value(await f.client.snapshot()).transfers.length, 0);
    });

    test('pause and resume mid-way end with the exact bytes; details show the resume and its overlap check', async () => {
      const { ids } = value(await f.client.addDownloads({ urls: [`${slow.url('slow.bin')}`] }));
      const id = ids[0]!;
      await until(() => (row(f, id)?.bytes ?? 0) >= 128 << 10, 'some bytes to arrive');
      assert.equal(row(f, id)!.state, 'active');
      await until(() => row(f, id)!.speed > 0 && row(f, id)!.eta !== null, 'an active download to show its speed and ETA');
      value(await f.client.pause({ ids }));
      await until(() => row(f, id)?.state === 'paused', 'the pause to show');
      const held = row(f, id)!.bytes;
      assert.ok(held > 0 && held < files['slow.bin']!.length);
      assert.equal(row(f, id)!.speed, 0);
      value(await f.client.resume({ ids }));
      await until(() => row(f, id)!.state !== 'paused', 'the resume to show');
      const [done] = await settle(f, ids);
      assert.equal(done!.state, 'completed');
      assert.equal(sha256(fs.readFileSync(done!.path!)), sha256(files['slow.bin']!));
      assert.equal(done!.resumes, 1);
      const details = value(await f.client.details({ id }));
      assert.equal(details.resumes.length, 1);
      assert.equal(details.resumes[0]!.overlap, 'ok');
      assert.ok(details.resumes[0]!.offset > 0);
      assert.equal(details.resumes[0]!.validator, details.validators.ifRange);
      assert.match(details.validators.etag ?? '', /^"/);
      assert.deepEqual(details.urlChain, [`${slow.url('slow.bin')}`]);
      assert.equal(details.sha256, sha256(files['slow.bin']!));
    });

    test('a failing server: the reason in plain words, a notice, and Retry works', async () => {
      const url = faults.serve(`/flaky-${kind}.bin`, { body: files['other.bin']!, etag: '"v1"' }, [{ status: 404 }]);
      const { ids } = value(await f.client.addDownloads({ urls: [url] }));
      const [failed] = await settle(f, ids);
      assert.equal(failed!.state, 'failed');
      assert.equal(failed!.error!.code, 'http-status');
      assert.match(failed!.error!.message, /HTTP 404 .*check the URL/);
      await until(() => f.events.some((e) => e.type === 'notice' && e.notice.level === 'error' && e.notice.ids.includes(ids[0]!)), 'a failure notice');
      const details = value(await f.client.details({ id: ids[0]! }));
      assert.equal(details.errors.at(-1)!.error.code, 'http-status');
      value(await f.client.retry({ ids }));
      await until(() => row(f, ids[0]!)?.state === 'completed', 'the retry to complete');
      assert.equal(row(f, ids[0]!)!.error, null);
    });

    test('a server that fails for a while: the row says it is retrying and why, until bytes move again', async () => {
      const body = randomBytesOf(300_000, 9);
      const url = faults.serve(`/busy-${kind}.bin`, { body, etag: '"b1"' }, [
        { status: 503, headers: { 'retry-after': '1' } },
        { status: 503, headers: { 'retry-after': '1' } },
      ]);
      const { ids } = value(await f.client.addDownloads({ urls: [url] }));
      const id = ids[0]!;
      await until(() => row(f, id)?.retrying !== null && row(f, id)?.retrying !== undefined, 'the row to say it is retrying');
      const shown = row(f, id)!;
      assert.equal(shown.state, 'active');
      assert.match(shown.retrying!.message, /HTTP 503 .*try again later/);
      assert.ok(shown.retrying!.delayMs >= 1000, 'the server asked for a second');
      const [done] = await settle(f, ids);
      assert.equal(done!.state, 'completed');
      assert.equal(done!.retrying, null);
      assert.equal(sha256(fs.readFileSync(done!.path!)), sha256(body));
    });

    test('cancel stops for good and leaves no partial; remove keeps or deletes finished files as asked', async () => {
      const { ids: [slowId] } = value(await f.client.addDownloads({ urls: [`${slow.url('slow.bin')}`] }));
      await until(() => (row(f, slowId!)?.bytes ?? 0) > 0, 'bytes to arrive');
      value(await f.client.cancel({ ids: [slowId!] }));
      await until(() => row(f, slowId!)?.state === 'canceled', 'the cancel to show');
      assert.deepEqual(fs.readdirSync(f.downloadDir).filter((n) => n.endsWith('.ferrypart')), []);

      const { ids: [keep] } = value(await f.client.addDownloads({ urls: [`${nginx.url('small.bin')}`] }));
      const { ids: [drop] } = value(await f.client.addDownloads({ urls: [`${nginx.url('other.bin')}`] }));
      const [kept, dropped] = await settle(f, [keep!, drop!]);
      value(await f.client.remove({ ids: [keep!], deleteFiles: false }));
      value(await f.client.remove({ ids: [drop!], deleteFiles: true }));
      await until(() => !f.rows().has(keep!) && !f.rows().has(drop!), 'both rows to go');
      assert.ok(f.events.some((e) => e.type === 'changes' && e.removed.includes(keep!)));
      assert.ok(fs.existsSync(kept!.path!), 'a file removed from the list without deleteFiles stays on disk');
      assert.ok(!fs.existsSync(dropped!.path!), 'deleteFiles removes the finished file');
      fs.rmSync(kept!.path!);
    });

    test('setPriority and move reorder the queue; pauseAll and resumeAll', async () => {
      value(await f.client.setSettings({ maxActive: 1 }));
      try {
        const { ids } = value(await f.client.addDownloads({ urls: ['a', 'b', 'c'].map((q) => `${slow.url('slow.bin')}?${q}`) }));
        await until(() => ids.every((id) => row(f, id)), 'rows for all three');
        const order = (): string[] =>
          ids
            .map((id) => row(f, id)!)
            .sort((a, b) => b.priority - a.priority || a.seq - b.seq)
            .map((r) => r.id);
        assert.deepEqual(order(), ids);
        value(await f.client.setPriority({ id: ids[2]!, priority: 5 }));
        await until(() => row(f, ids[2]!)!.priority === 5, 'the priority to show');
        assert.deepEqual(order(), [ids[2], ids[0], ids[1]]);
        value(await f.client.move({ id: ids[1]!, placement: 'top' }));
        await until(() => row(f, ids[1]!)!.seq < row(f, ids[0]!)!.seq, 'the move to show');
        assert.deepEqual(order(), [ids[2], ids[1], ids[0]]);

        value(await f.client.pauseAll());
        await until(() => ids.every((id) => row(f, id)!.state === 'paused'), 'everything paused');
        value(await f.client.resumeAll());
        await until(() => ids.some((id) => row(f, id)!.state === 'active'), 'one to run again');
        // With one at a time, the others wait their turn.
        assert.equal(ids.filter((id) => row(f, id)!.state === 'active').length, 1);
        value(await f.client.cancel({ ids }));
        await settle(f, ids);
      } finally {
        value(await f.client.setSettings({ maxActive: 4 }));
      }
    });

    test('settings: limits apply, secrets are sealed at rest and never come back, an upload destination sends them', async () => {
      const secret = `Bearer ferry-secret-${kind}-0123456789`;
      const set = value(
        await f.client.setSettings({
          maxPerHost: 3,
          bandwidth: 5_000_000,
          stallTimeoutSeconds: 20,
          autoResume: false,
          uploadDestinations: [{ name: 'Backup', url: put.url, protocol: 'put', headers: [{ name: 'Authorization', value: secret, secret: true }] }],
        }),
      );
      assert.equal(set.maxPerHost, 3);
      assert.equal(set.bandwidth, 5_000_000);
      assert.equal(set.autoResume, false);
      const dest = set.uploadDestinations[0]!;
      assert.deepEqual(dest.headers, [{ name: 'Authorization', value: null, secret: true, hint: '…6789' }]);
      assert.deepEqual(value(await f.client.getSettings()), set);
      await until(() => f.events.some((e) => e.type === 'settings' && e.settings.maxPerHost === 3), 'the settings event');
      // Nowhere in the data directory in clear: not the database, not its WAL.
      for (const name of fs.readdirSync(f.dataDir)) {
        const file = path.join(f.dataDir, name);
        if (fs.statSync(file).isFile()) assert.ok(!fs.readFileSync(file).includes(secret), `${name} holds the secret in clear`);
      }
      // Saving the destination again without retyping the secret keeps it.
      value(await f.client.setSettings({ uploadDestinations: [{ ...dest, headers: [{ name: 'Authorization', value: null, secret: true }] }] }));

      const folder = tempDir('ferry-upload-');
      fs.mkdirSync(path.join(folder, 'photos'));
      fs.writeFileSync(path.join(folder, 'photos', 'a.jpg'), randomBytesOf(70_000, 7));
      fs.writeFileSync(path.join(folder, 'photos', 'b.jpg'), randomBytesOf(50_000, 8));
      const before = put.authorizations.length;
      const added = value(await f.client.addUploads({ paths: [path.join(folder, 'photos')], destination: dest.id }));
      assert.equal(added.ids.length, 2);
      const done = await settle(f, added.ids);
      assert.deepEqual(done.map((d) => d.state), ['completed', 'completed']);
      assert.deepEqual(done.map((d) => d.name).sort(), ['photos/a.jpg', 'photos/b.jpg']);
      assert.equal(done[0]!.direction, 'upload');
      assert.deepEqual(put.authorizations.slice(before), [secret, secret]);
      assert.equal(sha256(put.stored.get('/store/photos/a.jpg')!), sha256(fs.readFileSync(path.join(folder, 'photos', 'a.jpg'))));
      // Removing a finished upload with deleteFiles never touches the person's own file.
      value(await f.client.remove({ ids: added.ids, deleteFiles: true }));
      await until(() => added.ids.every((id) => !f.rows().has(id)), 'the uploads to leave the list');
      assert.ok(fs.existsSync(path.join(folder, 'photos', 'a.jpg')) && fs.existsSync(path.join(folder, 'photos', 'b.jpg')));
      value(await f.client.setSettings({ maxPerHost: 6, bandwidth: 0, stallTimeoutSeconds: 30, autoResume: true, uploadDestinations: [] }));
      assert.equal(value(await f.client.getSettings()).bandwidth, null);
    });

    test('hello: the engine opens with its protocol version; a window of another major version gets one clear error and its channel closes', async () => {
      const peer = await f.raw();
      peer.send({ t: 'hello', protocol: '99.0', app: '99.0.0' });
      peer.send({ t: 'call', id: 1, method: 'snapshot', arg: null });
      let closed = false;
      void peer.closed.then(() => (closed = true));
      await until(() => closed, 'the engine to close the refused channel');
      assert.equal(peer.received[0]!.t, 'hello');
      assert.equal(peer.received[0]!.protocol, PROTOCOL_VERSION);
      const faults = peer.received.filter((m) => m.t === 'fault');
      assert.equal(faults.length, 1);
      const error = faults[0]!.error as { code: string; message: string };
      assert.equal(error.code, 'version-mismatch');
      const ours = PROTOCOL_VERSION.replace('.', '\\.');
      assert.match(error.message, new RegExp(`^This window is from Ferry 99\\.0\\.0 \\(protocol 99\\.0\\), the engine is Ferry \\S+ \\(protocol ${ours}\\): reload the window\\.$`));
      assert.ok(!peer.received.some((m) => m.t === 'reply' || m.t === 'event'), 'a refused window is told nothing else');
      value(await f.client.snapshot()); // everyone else is still served
    });

    test('a long call canceled in flight: the engine answers canceled and adds nothing; the client answers at once', async () => {
      const dest = value(await f.client.setSettings({ uploadDestinations: [{ name: 'tus', url: tus.endpoint, protocol: 'tus', headers: [] }] })).uploadDestinations[0]!;
      // A folder that takes the engine a while to walk (hundreds of directory reads).
      const folder = tempDir('ferry-many-');
      for (let d = 0; d < 300; d++) {
        fs.mkdirSync(path.join(folder, `d${d}`));
        for (let i = 0; i < 3; i++) fs.writeFileSync(path.join(folder, `d${d}`, `f${i}.txt`), 'x');
      }
      const peer = await f.raw();
      peer.send({ t: 'hello', protocol: PROTOCOL_VERSION, app: null });
      peer.send({ t: 'call', id: 1, method: 'addUploads', arg: { paths: [folder], destination: dest.id } });
      peer.send({ t: 'cancel', id: 1 });
      await until(() => peer.received.some((m) => m.t === 'reply' && m.id === 1), 'the reply to the canceled call');
      const reply = peer.received.find((m) => m.t === 'reply' && m.id === 1)!;
      assert.deepEqual(reply.result, { ok: false, error: { code: 'canceled', message: 'addUploads was canceled' } });

      const controller = new AbortController();
      const adding = f.client.addUploads({ paths: [folder], destination: dest.id }, { signal: controller.signal });
      controller.abort();
      const answer = await adding;
      assert.ok(!answer.ok && answer.error.code === 'canceled', JSON.stringify(answer));
      // Both walks end without adding a thing (they would have added 900 uploads).
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(value(await f.client.snapshot()).transfers.length, 0);
      value(await f.client.setSettings({ uploadDestinations: [] }));
      peer.close();
    });

    test('addUploads: a folder reaches a tus server intact, relative paths kept', async () => {
      const dest = value(await f.client.setSettings({ uploadDestinations: [{ name: 'tus', url: tus.endpoint, protocol: 'tus', headers: [] }] })).uploadDestinations[0]!;
      const folder = tempDir('ferry-upload-');
      fs.mkdirSync(path.join(folder, 'album', 'inner'), { recursive: true });
      const bodies = [randomBytesOf(2 << 20, 21), randomBytesOf(1000, 22), randomBytesOf(0, 23)];
      const names = ['album/big.raw', 'album/inner/note.txt', 'album/empty.txt'];
      names.forEach((n, i) => fs.writeFileSync(path.join(folder, n), bodies[i]!));
      const added = value(await f.client.addUploads({ paths: [path.join(folder, 'album'), path.join(folder, 'missing.txt')], destination: dest.id }));
      assert.equal(added.ids.length, 3);
      assert.equal(added.skipped.length, 1);
      assert.match(added.skipped[0]!.reason, /does not exist/);
      const done = await settle(f, added.ids, 30_000);
      assert.ok(done.every((d) => d.state === 'completed'), JSON.stringify(done.map((d) => d.error)));
      for (const body of bodies) assert.ok(tus.storedDigests().includes(sha256(body)));
      const relative = tus.metadata().map((m) => m.relativePath);
      for (const n of names) assert.ok(relative.includes(n), `${n} sent as relativePath`);
      value(await f.client.setSettings({ uploadDestinations: [] }));
    });

    test('reveal and openFile: the desktop shows the file; ferry serve says it cannot and where the file is', async () => {
      const { ids } = value(await f.client.addDownloads({ urls: [`${nginx.url('other.bin')}`] }));
      const [done] = await settle(f, ids);
      const revealed = await f.client.reveal({ id: ids[0]! });
      const opened = await f.client.openFile({ id: ids[0]! });
      if (kind === 'ipc') {
        assert.ok(revealed.ok && opened.ok);
        assert.deepEqual(f.shown.splice(0), [
          { action: 'reveal', path: done!.path },
          { action: 'open', path: done!.path },
        ]);
      } else {
        for (const result of [revealed, opened]) {
          assert.equal(result.ok, false);
          assert.equal(!result.ok && result.error.code, 'unsupported');
          assert.ok(!result.ok && result.error.message.includes(done!.path!));
        }
      }
      fs.rmSync(done!.path!);
      const gone = await f.client.openFile({ id: ids[0]! });
      assert.equal(!gone.ok && gone.error.code, kind === 'ipc' ? 'rejected' : 'unsupported');
    });

    test('notices: a burst of endings is one summary', async () => {
      const { ids } = value(await f.client.addDownloads({ urls: Array.from({ length: 12 }, (_, i) => nginx.url(`many-${i}.bin`)) }));
      await settle(f, ids);
      await until(() => {
        const heard = f.events.slice().flatMap((e) => (e.type === 'notice' ? e.notice.ids : []));
        return ids.every((id) => heard.includes(id));
      }, 'notices for all twelve');
      const notices = f.events.filter((e) => e.type === 'notice' && e.notice.ids.some((id) => ids.includes(id)));
      assert.ok(notices.length <= 2, `${notices.length} notices for one burst of 12`);
      const first = notices[0]!;
      assert.ok(first.type === 'notice' && first.notice.level === 'info', JSON.stringify(notices));
      assert.match(first.type === 'notice' ? first.notice.title : '', /^\d+ (downloads|transfers) completed$/);
    });
  });
}
