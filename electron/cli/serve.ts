/**
 * `ferry serve`: the same engine and the same service contract as the desktop app, over a
 * WebSocket, with the window served as a web page. It is how the window runs in any browser
 * (and how it is tested where no Electron binary exists), and a headless mode for a home
 * server. Anyone who can reach the port could move files as this user, so: loopback unless
 * told otherwise, a random token in the printed URL checked on every connection, the Host
 * header checked (DNS rebinding), the Origin checked, and a strict CSP on the page.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { type WebSocket, WebSocketServer } from 'ws';
import { type Channel, serveService } from '../common/rpc';
import { WINDOW_CSP, WINDOW_MIME_TYPES } from '../common/window-assets';
import { type Engine, type EngineService, ferryVersion } from '../engine';

/** The page's CSP: the window's own, as the desktop app sends it. */
export const SERVE_CSP = WINDOW_CSP;

/** A client this far behind on events is disconnected; it reconnects and takes a fresh snapshot. */
const MAX_BUFFERED_BYTES = 32 << 20;
const MAX_MESSAGE_BYTES = 16 << 20;

const MIME = WINDOW_MIME_TYPES;

export interface ServeOptions {
  host: string;
  port: number;
  engine: Engine;
  service: EngineService;
  /** The built window (index.html and assets); null serves a page that says how to build it. */
  rendererDir: string | null;
  log: (message: string) => void;
  /** The access token; a new random one when not given. */
  token?: string;
}

export interface RunningServer {
  url: string;
  /** Every address a browser can use (several when bound to every interface). */
  urls: string[];
  token: string;
  port: number;
  close(): Promise<void>;
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const token = options.token ?? crypto.randomBytes(24).toString('base64url');
  const expected = Buffer.from(token);
  // Host headers this server answers to; known once it listens (the port may be chosen then).
  let allowed = new Set<string>();
  const allowedHosts = (): Set<string> => allowed;

  const server = http.createServer((req, res) => {
    if (!allowedHosts().has((req.headers.host ?? '').toLowerCase())) {
      res.writeHead(421, { 'content-type': 'text/plain; charset=utf-8' }).end('This Ferry answers only to its own address (Host header not recognised).\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    serveStatic(req, res, options.rendererDir);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  server.on('upgrade', (req, socket, head) => {
    const refusal = checkUpgrade(req, allowedHosts(), expected);
    if (refusal) {
      options.log(`refused a connection from ${req.socket.remoteAddress}: ${refusal.reason}`);
      socket.end(`HTTP/1.1 ${refusal.status} ${http.STATUS_CODES[refusal.status]}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${refusal.reason}\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      // A protocol error (an oversized or malformed frame) closes that connection only;
      // unhandled, it would end the whole process and every transfer with it.
      ws.on('error', (error) => options.log(`closed a connection: ${error.message}`));
      serveService(options.service, websocketChannel(ws), options.log, ferryVersion());
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  allowed = new Set(hostNames(options.host).map((name) => `${hostForUrl(name)}:${port}`));
  const url = `http://${hostForUrl(isWildcard(options.host) ? '127.0.0.1' : options.host)}:${port}/#token=${token}`;
  return {
    url,
    urls: reachableUrls(options.host, port, token),
    token,
    port,
    close: async () => {
      for (const client of wss.clients) client.close(1001, 'Ferry is shutting down');
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const isWildcard = (host: string): boolean => host === '0.0.0.0' || host === '::';

/**
 * The names a browser may use for this server, as the Host header will carry them: the
 * loopback names always; the bound address; and, bound to every interface (a home server),
 * each address of this machine and its host name, so a browser elsewhere on the network is
 * let in while a page that merely resolves to us (DNS rebinding) is not.
 */
export function hostNames(bound: string): string[] {
  const names = ['127.0.0.1', 'localhost', '::1', bound];
  if (isWildcard(bound)) {
    // 0.0.0.0 listens on IPv4 only; :: on both.
    for (const entries of Object.values(os.networkInterfaces())) {
      for (const entry of entries ?? []) if (bound === '::' || entry.family === 'IPv4') names.push(entry.address);
    }
    names.push(os.hostname(), `${os.hostname()}.local`);
  }
  return [...new Set(names.map((n) => n.toLowerCase()))];
}

/** The URLs to print: loopback, and each network address when bound to every interface. */
export function reachableUrls(bound: string, port: number, token: string): string[] {
  const hosts = isWildcard(bound) ? hostNames(bound).filter((n) => n !== bound && n !== 'localhost' && n !== '::1' && !n.startsWith('fe80')) : [bound];
  return hosts.map((h) => `http://${hostForUrl(h)}:${port}/#token=${token}`);
}

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Why a WebSocket upgrade is refused, or null when it may proceed. */
export function checkUpgrade(req: http.IncomingMessage, allowedHosts: Set<string>, expected: Buffer): { status: number; reason: string } | null {
  const host = (req.headers.host ?? '').toLowerCase();
  if (!allowedHosts.has(host)) return { status: 421, reason: `unknown Host "${host.slice(0, 100)}"` };
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname !== '/rpc') return { status: 404, reason: 'the service is at /rpc' };
  // A browser always sends Origin; it must be this server's own page. Programs (tests,
  // scripts) send none and are held to the token alone.
  const origin = req.headers.origin;
  if (origin !== undefined && !allowedHosts.has(originHost(origin))) return { status: 403, reason: `foreign Origin ${origin.slice(0, 100)}` };
  const given = Buffer.from(url.searchParams.get('token') ?? '');
  if (given.length === 0) return { status: 401, reason: 'no token: open the URL ferry serve printed' };
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return { status: 401, reason: 'wrong token: open the URL ferry serve printed' };
  return null;
}

function originHost(origin: string): string {
  try {
    const u = new URL(origin);
    return u.protocol === 'http:' ? u.host.toLowerCase() : '';
  } catch {
    return '';
  }
}

/**
 * The service's messages as JSON text frames over a `ws` socket, either end (the server here;
 * Node clients in tests and benches). Anything unreadable is delivered as undefined: the
 * server answers it with a typed fault, the client ignores it.
 */
export function websocketChannel(ws: WebSocket): Channel {
  return {
    send(message) {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
        ws.close(1013, 'too far behind on events; reconnect for a fresh snapshot');
        return;
      }
      ws.send(JSON.stringify(message));
    },
    onMessage(listener) {
      const handler = (data: Buffer, isBinary: boolean): void => {
        let message: unknown;
        if (!isBinary) {
          try {
            message = JSON.parse(data.toString('utf8'));
          } catch {
            message = undefined;
          }
        }
        listener(message);
      };
      ws.on('message', handler);
      return () => ws.off('message', handler);
    },
    onClose(listener) {
      ws.once('close', listener);
      return () => ws.off('close', listener);
    },
    close() {
      ws.close(1000);
    },
  };
}

const PLACEHOLDER = `<!doctype html><meta charset="utf-8"><title>Ferry</title>
<p>Ferry's engine is running, but the window has not been built. Run <code>npm run build</code> and reload.</p>`;

function serveStatic(req: http.IncomingMessage, res: http.ServerResponse, root: string | null): void {
  const headers = {
    'content-security-policy': SERVE_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cache-control': 'no-store',
  };
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  } catch {
    res.writeHead(400, headers).end(); // a malformed %-escape
    return;
  }
  if (!root) {
    res.writeHead(pathname === '/' ? 200 : 404, { ...headers, 'content-type': MIME['.html'] }).end(req.method === 'HEAD' ? undefined : PLACEHOLDER);
    return;
  }
  const relative = pathname === '/' ? 'index.html' : pathname.slice(1);
  const file = path.resolve(root, relative);
  // Nothing outside the renderer's folder, whatever the path says.
  if (!file.startsWith(path.resolve(root) + path.sep) || relative.includes('\0')) {
    res.writeHead(404, headers).end();
    return;
  }
  fs.readFile(file, (error, body) => {
    if (error) {
      res.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream' }).end(req.method === 'HEAD' ? undefined : body);
  });
}
