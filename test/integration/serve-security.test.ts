/**
 * `ferry serve` lets whoever connects move files as this user, so every way in is checked:
 * the token, the Origin (a page on another site), the Host (DNS rebinding), the bind address.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startServer } from '../../electron/cli/serve';
import { headlessHost, openEngineService } from '../../electron/engine/service/open-service';
import { tempDir } from '../support/harness';
import { type ServeProcess, connect, startServe, until } from '../support/service';

function get(port: number, pathname: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathname, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
}

describe('ferry serve: who may connect', () => {
  let serve: ServeProcess;
  before(async () => {
    serve = await startServe(tempDir('ferry-data-'));
  });
  after(async () => {
    assert.equal(await serve.stop(), 143);
  });

  test('binds loopback by default and prints a URL with a long random token', () => {
    assert.equal(serve.url.hostname, '127.0.0.1');
    assert.ok(serve.token.length >= 32, 'the token is long enough not to be guessed');
    assert.match(serve.token, /^[A-Za-z0-9_-]+$/);
  });

  test('the service is not reachable on any other address of this machine', async (t) => {
    const others = Object.values(os.networkInterfaces())
      .flat()
      .filter((a) => a && !a.internal && a.family === 'IPv4')
      .map((a) => a!.address);
    if (others.length === 0) {
      t.skip('this machine has no non-loopback IPv4 address to try');
      return;
    }
    for (const address of others) {
      const refused = await new Promise<boolean>((resolve) => {
        const socket = net.connect({ host: address, port: Number(serve.url.port) });
        socket.once('connect', () => (socket.destroy(), resolve(false)));
        socket.once('error', () => resolve(true));
      });
      assert.ok(refused, `port ${serve.url.port} answered on ${address}`);
    }
  });

  test('no token, a wrong token or a token of another length is refused with 401', async () => {
    assert.equal(await connect(serve, { token: null }), 401);
    assert.equal(await connect(serve, { token: '' }), 401);
    const wrong = serve.token.slice(0, -1) + (serve.token.endsWith('A') ? 'B' : 'A');
    assert.equal(await connect(serve, { token: wrong }), 401);
    assert.equal(await connect(serve, { token: serve.token + 'x' }), 401);
    assert.match(serve.stderr(), /refused a connection .*wrong token/);
  });

  test('a page from another origin is refused even with the token; the page itself is let in', async () => {
    assert.equal(await connect(serve, { token: serve.token, origin: 'https://evil.example' }), 403);
    assert.equal(await connect(serve, { token: serve.token, origin: 'null' }), 403);
    assert.equal(await connect(serve, { token: serve.token, origin: `http://localhost:${Number(serve.url.port) + 1}` }), 403);
    const own = await connect(serve, { token: serve.token, origin: `http://${serve.url.host}` });
    assert.ok(typeof own !== 'number', `its own page was refused with ${String(own)}`);
    own.close();
  });

  test('a foreign Host header (DNS rebinding) is refused for the page and the service', async () => {
    assert.equal(await connect(serve, { token: serve.token, host: `evil.example:${serve.url.port}` }), 421);
    assert.equal((await get(Number(serve.url.port), '/', { host: `evil.example:${serve.url.port}` })).status, 421);
    assert.equal((await get(Number(serve.url.port), '/', { host: `localhost:${serve.url.port}` })).status, 200);
  });

  test('the page carries a strict Content-Security-Policy and no-sniff', async () => {
    const page = await get(Number(serve.url.port), '/');
    assert.equal(page.status, 200);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
  });
});

describe('ferry serve: the files it serves', () => {
  test('only files inside the built window; nothing above it, however the path is spelt', async () => {
    const dataDir = tempDir('ferry-data-');
    const rendererDir = tempDir('ferry-renderer-');
    fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Ferry</title>');
    fs.mkdirSync(path.join(rendererDir, 'assets'));
    fs.writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
    const secret = path.join(path.dirname(rendererDir), `${path.basename(rendererDir)}-secret.txt`);
    fs.writeFileSync(secret, 'do not serve');
    const { engine, service } = openEngineService({
      dataDir,
      command: 'test',
      host: headlessHost(dataDir, dataDir),
    });
    const server = await startServer({ host: '127.0.0.1', port: 0, engine, service, rendererDir, log: () => undefined });
    try {
      const host = { host: `127.0.0.1:${server.port}` };
      assert.equal((await get(server.port, '/', host)).body, '<!doctype html><title>Ferry</title>');
      const js = await get(server.port, '/assets/app.js', host);
      assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
      for (const attempt of [`/../${path.basename(secret)}`, `/%2e%2e/${path.basename(secret)}`, `/assets/..%2f..%2f${path.basename(secret)}`, '/%00', '/assets', '/%E0%A4%A']) {
        const res = await get(server.port, attempt, host);
        assert.ok(res.status === 404 || res.status === 400, `${attempt} answered ${res.status}`);
        assert.ok(!res.body.includes('do not serve'));
      }
    } finally {
      await server.close();
      service.close();
      await engine.close();
    }
  });
});

describe('ferry serve --host 0.0.0.0 (a home server)', () => {
  test('a browser elsewhere on the network, using this machine\'s address, is let in; any other Host is not', async (t) => {
    const lan = Object.values(os.networkInterfaces())
      .flat()
      .find((a) => a && !a.internal && a.family === 'IPv4')?.address;
    if (!lan) {
      t.skip('this machine has no non-loopback IPv4 address');
      return;
    }
    const serve = await startServe(tempDir('ferry-data-'), ['--host', '0.0.0.0']);
    try {
      await until(() => /anyone who can reach this address and has the token/.test(serve.stderr()), 'the warning about a non-loopback address');
      const port = serve.url.port;
      const viaLan = await connect({ url: new URL(`http://${lan}:${port}/`) }, { token: serve.token, origin: `http://${lan}:${port}` });
      assert.ok(typeof viaLan !== 'number', `refused with ${String(viaLan)}`);
      viaLan.close();
      assert.equal(await connect(serve, { token: serve.token, host: `attacker.example:${port}` }), 421);
      assert.equal(await connect({ url: new URL(`http://${lan}:${port}/`) }, { token: 'wrong' }), 401);
      assert.equal((await get(Number(port), '/', { host: `${lan}:${port}` })).status, 200);
    } finally {
      assert.equal(await serve.stop(), 143);
    }
  });
});

describe('ferry serve keeps its address across restarts (DESIGN.md section 7)', () => {
  test('the same data directory gives the same URL; --new-token replaces the token and shuts out the old one; the token file is 0600', async () => {
    const dataDir = tempDir('ferry-data-');
    const first = await startServe(dataDir);
    const firstUrl = first.url.href;
    assert.equal(await first.stop(), 143);
    const second = await startServe(dataDir);
    assert.equal(second.url.href, firstUrl, 'a bookmark still works after a restart');
    const ok = await connect(second, { token: first.token });
    assert.notEqual(typeof ok, 'number');
    (ok as { close(): void }).close();
    await second.stop();
    if (process.platform !== 'win32') assert.equal(fs.statSync(path.join(dataDir, 'serve.json')).mode & 0o777, 0o600);

    const third = await startServe(dataDir, ['--new-token']);
    try {
      assert.equal(third.url.port, first.url.port, 'the port is kept');
      assert.notEqual(third.token, first.token);
      assert.equal(await connect(third, { token: first.token }), 401, 'the old token is refused');
    } finally {
      await third.stop();
    }
  });

  test('a taken port is not fatal when none was asked for: another one is used and remembered', async () => {
    const dataDir = tempDir('ferry-data-');
    const first = await startServe(dataDir);
    const blocker = net.createServer();
    try {
      await first.stop();
      await new Promise<void>((resolve) => blocker.listen(Number(first.url.port), '127.0.0.1', resolve));
      const second = await startServe(dataDir);
      try {
        assert.notEqual(second.url.port, first.url.port);
        assert.match(second.stderr(), /is taken; listening on another one/);
      } finally {
        await second.stop();
      }
    } finally {
      blocker.close();
    }
  });
});
