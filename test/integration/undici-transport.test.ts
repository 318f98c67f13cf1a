/**
 * The Node transport (http/undici-transport.ts) against a real HTTP/1.1 server on loopback:
 * what happens to the connection when a body is read, dropped, abandoned or aborted, and
 * that a slow reader holds back the socket instead of buffering the whole body.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { UndiciTransport } from '../../electron/engine/http/undici-transport';

const BIG = 32 << 20;

class Server {
  connections = 0;
  closed = 0;
  /** Bytes the server managed to hand to the kernel for /big before the client stopped reading. */
  bigWritten = 0;
  /** The connection that carried the last /big. */
  bigSocket: Socket | null = null;
  private readonly http = http.createServer((req, res) => this.answer(req, res));
  private readonly sockets = new Set<Socket>();

  async start(): Promise<string> {
    this.http.on('connection', (socket: Socket) => {
      this.connections++;
      this.sockets.add(socket);
      socket.on('close', () => {
        this.closed++;
        this.sockets.delete(socket);
      });
    });
    await new Promise<void>((r) => this.http.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.http.close(r));
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.url === '/missing') {
      res.writeHead(404, { 'content-type': 'text/html', 'content-length': '9' });
      res.end('not here\n');
    } else if (req.url === '/headers') {
      res.setHeader('link', ['<a>; rel=duplicate', '<b>; rel=duplicate']);
      res.end('ok');
    } else if (req.url === '/big') {
      this.bigSocket = req.socket;
      res.writeHead(200, { 'content-length': String(BIG) });
      const chunk = Buffer.alloc(64 << 10, 7);
      const pump = (): void => {
        while (this.bigWritten < BIG) {
          this.bigWritten += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    } else {
      res.end('ok');
    }
  }
}

let server: Server;
let origin: string;
before(async () => {
  server = new Server();
  origin = await server.start();
});
after(() => server.stop());

const get = (t: UndiciTransport, path: string, signal = new AbortController().signal) => t.request({ url: new URL(path, origin), method: 'GET', headers: {}, signal });
const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Every connection of the tests before has closed (each closes its transport). */
async function quiet(): Promise<void> {
  for (let i = 0; i < 100 && server.closed < server.connections; i++) await tick(10);
  assert.equal(server.closed, server.connections);
}

/** Whether the client closed the connection that carried the last /big within a second. */
async function bigConnectionClosed(): Promise<boolean> {
  for (let i = 0; i < 100 && !server.bigSocket!.destroyed; i++) await tick(10);
  return server.bigSocket!.destroyed;
}

describe('the Node transport', () => {
  test('a small error page that is discarded is read to its end: the next request reuses the connection', async () => {
    await quiet();
    const t = new UndiciTransport();
    const before = server.connections;
    const missing = await get(t, '/missing');
    assert.equal(missing.status, 404);
    let released = false;
    missing.onBodyReleased?.(() => (released = true));
    missing.discard();
    assert.equal(released, true, 'the slot it holds is free at once');
    await tick(50);
    const next = await get(t, '/ok');
    for await (const _ of next.body) void _;
    assert.equal(server.connections - before, 1);
    await t.close();
  });

  test('a large body that is discarded closes its connection rather than read it', async () => {
    const t = new UndiciTransport();
    const big = await get(t, '/big');
    big.discard();
    assert.equal(await bigConnectionClosed(), true);
    await t.close();
  });

  test('a reader that breaks out of the body closes the connection; one that aborts gets the reason', async () => {
    const t = new UndiciTransport();
    const big = await get(t, '/big');
    for await (const c of big.body) {
      assert.ok(c.length > 0);
      break;
    }
    assert.equal(await bigConnectionClosed(), true);

    const controller = new AbortController();
    const again = await get(t, '/big', controller.signal);
    const reason = new Error('the person paused it');
    await assert.rejects(
      (async () => {
        for await (const _ of again.body) controller.abort(reason);
      })(),
      reason,
    );
    await assert.rejects(get(t, '/ok', controller.signal), reason, 'an aborted signal sends nothing');
    await t.close();
  });

  test('a reader that does not read holds the socket back: the server cannot push the whole body', async () => {
    const t = new UndiciTransport();
    server.bigWritten = 0;
    const big = await get(t, '/big');
    await tick(300);
    // Kernel buffers on both sides hold a few MB; the body's own queue 256 KiB.
    assert.ok(server.bigWritten < BIG / 2, `the server wrote ${server.bigWritten} of ${BIG} bytes to a reader that read none`);
    let n = 0;
    for await (const c of big.body) n += c.length;
    assert.equal(n, BIG);
    await t.close();
  });

  test('repeated header fields are joined, and names are found in any case', async () => {
    const t = new UndiciTransport();
    const r = await get(t, '/headers');
    assert.equal(r.headers.get('Link'), '<a>; rel=duplicate, <b>; rel=duplicate');
    for await (const _ of r.body) void _;
    await t.close();
  });
});
