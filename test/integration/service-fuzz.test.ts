/**
 * Random and malformed input to every command over the WebSocket: each answer is a typed
 * error (or a success, for input that happens to be valid), never an internal failure,
 * never silence; the engine keeps serving and the transfer already queued is not lost.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type WebSocket from 'ws';
import { PROTOCOL_VERSION } from '../../electron/common/rpc';
import { COMMAND_NAMES, type ServiceError } from '../../electron/common/service';
import { randomBytesOf, sha256 } from '../support/fault-server';
import { tempDir } from '../support/harness';
import { NEEDS_NGINX, type Nginx, startNginx } from '../support/nginx';
import { type ServeProcess, connect, startServe } from '../support/service';

/** A small seeded generator, so a failure can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIELD_NAMES = ['ids', 'id', 'urls', 'dir', 'name', 'checksum', 'headers', 'paths', 'destination', 'deleteFiles', 'placement', 'priority', 'maxActive', 'bandwidth', 'downloadDir', 'uploadDestinations', '__proto__', 'constructor', 'toString'];
const STRINGS = ['', 'x', '\0', '../../etc/passwd', 'http://', 'https://127.0.0.1:1/x', 'ftp://a/b', 'sha256:zz', 'md5:' + 'a'.repeat(32), '/', '/proc/self', 'a'.repeat(70_000), '🦀\u202e', '{"t":"call"}', 'NaN', 'top'];
const NUMBERS = [0, -1, 1, 1.5, 2 ** 53, -(2 ** 60), 1e308, 1001, 65];

function randomValue(rand: () => number, depth = 0): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const r = rand();
  if (depth > 3 || r < 0.15) return pick([null, true, false, undefined, ...NUMBERS]);
  if (r < 0.4) return pick(STRINGS);
  if (r < 0.6) return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
  const out: Record<string, unknown> = {};
  for (let i = Math.floor(rand() * 4); i > 0; i--) out[pick(FIELD_NAMES)] = randomValue(rand, depth + 1);
  return out;
}

const EXPECTED_CODES: ReadonlySet<ServiceError['code']> = new Set(['invalid-argument', 'unknown-method', 'not-found', 'rejected', 'unsupported']);

let nginx: Nginx;
let serve: ServeProcess;
let ws: WebSocket;
const root = tempDir('ferry-www-');
const body = randomBytesOf(3 << 20, 99);
fs.writeFileSync(path.join(root, 'keep.bin'), body);

/** Every message the socket receives, in order. */
const inbox: Array<Record<string, unknown>> = [];
let nextId = 1;

function call(method: unknown, arg: unknown): Promise<Record<string, unknown>> {
  const id = nextId++;
  ws.send(JSON.stringify({ t: 'call', id, method, arg }));
  return reply(id);
}

async function reply(id: number, timeoutMs = 10_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = inbox.find((m) => m.t === 'reply' && m.id === id);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no reply to call ${id}; ferry serve said: ${serve.stderr().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

before(async () => {
  if (NEEDS_NGINX) return;
  nginx = await startNginx(root, { limitRate: '1m' });
  serve = await startServe(tempDir('ferry-data-'));
  const socket = await connect(serve, { token: serve.token });
  assert.ok(typeof socket !== 'number');
  ws = socket;
  ws.on('message', (data) => inbox.push(JSON.parse(String(data)) as Record<string, unknown>));
  ws.send(JSON.stringify({ t: 'hello', protocol: PROTOCOL_VERSION, app: null }));
});

after(async () => {
  if (NEEDS_NGINX) return;
  ws.close();
  await serve.stop();
  await nginx.stop();
});

test('fuzz: random and malformed arguments to every command get typed answers; the engine keeps serving; nothing is lost', { skip: NEEDS_NGINX }, async () => {
  const downloads = tempDir('ferry-dl-');
  const added = await call('addDownloads', { urls: [nginx.url('keep.bin')], dir: downloads });
  const id = ((added.result as { value: { ids: string[] } }).value.ids)[0]!;

  const rand = prng(20261123);
  const tally = new Map<string, number>();
  let calls = 0;
  for (const method of [...COMMAND_NAMES, 'constructor', '__proto__', 'hasOwnProperty', 'call', 'engineEvent', 42, null]) {
    for (let i = 0; i < 60; i++) {
      const answer = await call(method, randomValue(rand));
      calls++;
      const result = answer.result as { ok: boolean; error?: ServiceError };
      const key = result.ok ? 'ok' : result.error!.code;
      tally.set(key, (tally.get(key) ?? 0) + 1);
      if (!result.ok) {
        assert.ok(EXPECTED_CODES.has(result.error!.code), `${String(method)}: ${result.error!.code}: ${result.error!.message}`);
        assert.ok(result.error!.message.length > 0);
        assert.ok(result.error!.message.length < 2000, 'an error message stays readable, whatever the input');
      }
    }
  }

  // Frames that are not calls at all: each answered with a fault, the connection kept.
  const faultsBefore = inbox.filter((m) => m.t === 'fault').length;
  const garbage: Array<string | Buffer> = ['not json', '[]', '{}', '{"t":"call"}', '{"t":"call","id":-1,"method":"snapshot"}', '{"t":"call","id":1.5}', '{"t":"reply","id":1}', 'null', '"x"', Buffer.from([0, 1, 2]), '['.repeat(50_000)];
  for (const frame of garbage) ws.send(frame);
  const pong = await call('snapshot', null);
  assert.equal((pong.result as { ok: boolean }).ok, true);
  assert.equal(inbox.filter((m) => m.t === 'fault').length - faultsBefore, garbage.length);

  // A message over the size limit closes that connection only; the next one is served.
  const big = await connect(serve, { token: serve.token });
  assert.ok(typeof big !== 'number');
  const closed = new Promise<number>((resolve) => big.once('close', (code) => resolve(code)));
  big.send('x'.repeat(17 << 20));
  assert.equal(await closed, 1009);

  // The download queued before all this is still there and ends exact (a fuzzed pauseAll may have paused it).
  assert.equal(((await call('resumeAll', null)).result as { ok: boolean }).ok, true);
  const deadline = Date.now() + 30_000;
  let state = '';
  let details: Record<string, unknown> = {};
  while (Date.now() < deadline) {
    const answer = await call('details', { id });
    details = (answer.result as { value: Record<string, unknown> }).value;
    state = (details.summary as { state: string }).state;
    if (state === 'completed' || state === 'failed') break;
    if (state === 'paused' || state === 'canceled') await call('resume', { ids: [id] });
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(state, 'completed', JSON.stringify(details.summary));
  assert.equal(sha256(fs.readFileSync(path.join(downloads, 'keep.bin'))), sha256(body));
  assert.equal(serve.child.exitCode, null, 'ferry serve is still running');
  process.stdout.write(`# ${calls} fuzzed calls: ${[...tally].map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
});
