import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';

/**
 * A real HTTP server that misbehaves on purpose, one request at a time. Each path holds a
 * file (bytes plus validators); each request on a path consumes the next Fault of that
 * path's plan, and requests past the plan are served correctly (ranges, If-Range and all).
 */
export interface ServedFile {
  body: Buffer;
  etag?: string | null;
  lastModified?: string | null;
  /** Extra headers on every response for this file (digests, Content-Disposition...). */
  headers?: Record<string, string>;
}

export interface Fault {
  /** Answer 200 with the whole file even when a range was asked for. */
  ignoreRange?: boolean;
  /** Rewrite Content-Range of a 206 (null removes it). */
  contentRange?: (start: number, end: number, total: number) => string | null;
  /** Send this many body bytes, then close the connection. */
  cutAfter?: number;
  /** Send this many body bytes, then stop sending but keep the socket open. */
  stallAfter?: number;
  /** Answer with this status and no body (401, 403, 404, 500, 503...). */
  status?: number;
  /** Extra headers on this response only. */
  headers?: Record<string, string>;
  /** gzip the body (and say so in Content-Encoding). */
  gzip?: boolean;
  /** Send Content-Length and Transfer-Encoding: chunked together (a malformed response). */
  lengthAndChunked?: boolean;
  /** Send no Content-Length (chunked), so the client cannot know the size in advance. */
  chunked?: boolean;
  /** Claim this Content-Length (to test a file too big for the disk); sends no body. */
  claimLength?: number;
  /** Send this many body bytes, wait `ms`, then send the rest (time to act mid-body). */
  pauseAfter?: { bytes: number; ms: number };
  /** Send these bytes instead of the file's for the requested range. */
  replaceBody?: (body: Buffer) => Buffer;
}

export interface LoggedRequest {
  path: string;
  range: string | undefined;
  ifRange: string | undefined;
  acceptEncoding: string | undefined;
  authorization: string | undefined;
  /** Every request header as received (lower-case names), for tests that check what was (or was not) sent. */
  headers: http.IncomingHttpHeaders;
  status: number;
  bytesSent: number;
  /** When the request arrived (Date.now()). */
  at: number;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export class FaultServer {
  readonly files = new Map<string, ServedFile>();
  readonly plans = new Map<string, Fault[]>();
  readonly redirects = new Map<string, { to: string; status?: number; uses?: number }>();
  readonly log: LoggedRequest[] = [];
  private readonly server: http.Server;
  private readonly counts = new Map<string, number>();
  port = 0;

  constructor() {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 1000;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  serve(path: string, file: ServedFile, plan: Fault[] = []): string {
    this.files.set(path, file);
    this.plans.set(path, plan);
    this.counts.set(path, 0);
    return this.url(path);
  }

  /** `from` redirects to `to`; after `uses` redirects it answers 403 (an expiring signed link). */
  redirect(from: string, to: string, options: { status?: number; uses?: number } = {}): string {
    this.redirects.set(from, { to, ...options });
    return this.url(from);
  }

  requests(path: string): LoggedRequest[] {
    return this.log.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname + url.search;
    const entry: LoggedRequest = {
      path,
      range: req.headers.range,
      ifRange: req.headers['if-range'] as string | undefined,
      acceptEncoding: req.headers['accept-encoding'] as string | undefined,
      authorization: req.headers.authorization,
      headers: { ...req.headers },
      status: 0,
      bytesSent: 0,
      at: Date.now(),
    };
    this.log.push(entry);

    const redirect = this.redirects.get(path);
    if (redirect) {
      if (redirect.uses !== undefined && redirect.uses <= 0) return this.finish(res, entry, 403);
      if (redirect.uses !== undefined) redirect.uses--;
      entry.status = redirect.status ?? 302;
      res.writeHead(entry.status, { location: redirect.to, 'content-length': '0' });
      res.end();
      return;
    }
    const file = this.files.get(path);
    if (!file) return this.finish(res, entry, 404);
    const n = this.counts.get(path) ?? 0;
    this.counts.set(path, n + 1);
    const fault = this.plans.get(path)?.[n] ?? {};
    if (fault.status) return this.finish(res, entry, fault.status, fault.headers);

    const total = file.body.length;
    const headers: Record<string, string> = { 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream', ...file.headers, ...fault.headers };
    if (file.etag) headers.etag = file.etag;
    if (file.lastModified) headers['last-modified'] = file.lastModified;

    let start = 0;
    let end = total - 1;
    let status = 200;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const ifRange = req.headers['if-range'] as string | undefined;
    const validatorHolds = !ifRange || ifRange === file.etag || (!!file.lastModified && ifRange === file.lastModified && !file.etag);
    if (range && !fault.ignoreRange && validatorHolds) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), total - 1) : total - 1;
      if (start >= total) {
        return this.finish(res, entry, 416, { 'content-range': `bytes */${total}` });
      }
      status = 206;
      const cr = fault.contentRange ? fault.contentRange(start, end, total) : `bytes ${start}-${end}/${total}`;
      if (cr !== null) headers['content-range'] = cr;
    }
    let body = file.body.subarray(start, end + 1);
    if (fault.replaceBody) body = fault.replaceBody(body);
    if (fault.gzip) {
      body = zlib.gzipSync(body);
      headers['content-encoding'] = 'gzip';
    }
    entry.status = status;

    if (fault.lengthAndChunked) {
      const socket = req.socket;
      const head = [`HTTP/1.1 ${status} OK`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), `content-length: ${body.length}`, 'transfer-encoding: chunked', 'connection: close', '', ''].join('\r\n');
      socket.write(head);
      socket.write(`${body.length.toString(16)}\r\n`);
      socket.write(body);
      socket.end('\r\n0\r\n\r\n');
      entry.bytesSent = body.length;
      return;
    }

    if (fault.claimLength !== undefined) {
      res.writeHead(status, { ...headers, 'content-length': String(fault.claimLength) });
      res.flushHeaders();
      return;
    }
    if (!fault.chunked) headers['content-length'] = String(body.length);
    res.writeHead(status, headers);
    if (fault.pauseAfter) {
      const at = Math.min(fault.pauseAfter.bytes, body.length);
      res.write(body.subarray(0, at));
      entry.bytesSent = at;
      setTimeout(() => {
        res.end(body.subarray(at));
        entry.bytesSent = body.length;
      }, fault.pauseAfter.ms);
      return;
    }
    const limit = fault.cutAfter ?? fault.stallAfter;
    if (limit === undefined) {
      res.end(body);
      entry.bytesSent = body.length;
      return;
    }
    const part = body.subarray(0, Math.min(limit, body.length));
    entry.bytesSent = part.length;
    res.write(part, () => {
      if (fault.cutAfter !== undefined) setTimeout(() => req.socket.destroy(), 20);
      // stallAfter: nothing more is sent; the socket stays open until the client gives up.
    });
  }

  private finish(res: http.ServerResponse, entry: LoggedRequest, status: number, headers: Record<string, string> = {}): void {
    entry.status = status;
    res.writeHead(status, { 'content-length': '0', ...headers });
    res.end();
  }
}

export function randomBytesOf(size: number, seed = 1): Buffer {
  // Deterministic, incompressible-enough bytes without spending entropy on big buffers.
  const out = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeUInt32LE(x >>> 0, Math.min(i, size - 4));
  }
  return out;
}
