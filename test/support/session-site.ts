/**
 * The web site the browser-capture tests click in (Chromium through Playwright, Firefox
 * through BiDi): a page that sets a session cookie, and files served only with that cookie.
 * It records every request: who made it (a browser says what a request is for with
 * Sec-Fetch-Mode; Ferry's own requests carry none), its cookie and referrer, and whether its
 * whole body was sent.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  path: string;
  cookie: string | undefined;
  referer: string | undefined;
  fromBrowser: boolean;
  /** Whether the whole body was sent (false: the client went away first). */
  finished: boolean;
  /** Whether the exchange is over, finished or not. */
  closed: boolean;
}

export interface SessionSite {
  origin: string;
  seen: SeenRequest[];
  close(): void;
}

export interface SessionSiteOptions {
  /** The `Cookie` a file needs, also set by /page.html. */
  session: string;
  /** /page.html. */
  page: () => string;
  /** Served under /files/NAME. */
  files: ReadonlyMap<string, Buffer>;
  /**
   * Whether to send this response slowly (its first 64 KiB, the rest 5 s later), as a real
   * download is: a local 1 MiB file would otherwise finish before the extension holds it.
   */
  slow: (name: string, req: http.IncomingMessage) => boolean;
}

export async function startSessionSite(options: SessionSiteOptions): Promise<SessionSite> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const entry: SeenRequest = { path: url.pathname, cookie: req.headers.cookie, referer: req.headers.referer, fromBrowser: req.headers['sec-fetch-mode'] !== undefined, finished: false, closed: false };
    seen.push(entry);
    res.once('finish', () => (entry.finished = true));
    res.once('close', () => (entry.closed = true));
    if (url.pathname === '/page.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'set-cookie': `${options.session}; Path=/; HttpOnly` }).end(options.page());
      return;
    }
    const name = url.pathname.replace('/files/', '');
    const body = options.files.get(name);
    if (!body) return void res.writeHead(404, { 'content-length': '0' }).end();
    if (req.headers.cookie !== options.session) return void res.writeHead(403, { 'content-length': '0' }).end();
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-disposition': 'attachment', 'content-length': String(body.length) });
    if (options.slow(name, req)) {
      res.write(body.subarray(0, 65536));
      const rest = setTimeout(() => res.end(body.subarray(65536)), 5000);
      res.once('close', () => clearTimeout(rest));
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => server.close() };
}
