import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { tempDir } from './harness';

/**
 * Real tus servers for upload tests: @tus/server with @tus/file-store (no checksum
 * extension) and @uploadx/core (tus with the checksum extension), each behind a small
 * fault injector that sees every request first. The log records every request, so tests
 * can count creations and see what was resent.
 */
export interface LoggedTusRequest {
  method: string;
  url: string;
  status: number;
  offset: number | null;
  checksum: string | null;
  /** When the request arrived (Date.now()). */
  at: number;
}

/** What the injector does to one request; null lets it through to the real server. */
export type TusFault =
  /** Answer with this status (and headers) without passing the request on (its body is drained). */
  | { status: number; headers?: Record<string, string> }
  /** Pass it on, but cut the connection once this many body bytes have arrived. */
  | { dropAfterBytes: number }
  /** Never answer, keep the socket open (a server that stalls). */
  | { stall: true };

export interface TusTestServer {
  kind: 'tus-server' | 'uploadx';
  /** The creation endpoint. */
  endpoint: string;
  log: LoggedTusRequest[];
  /** Requests being answered now, and the most ever at once. */
  inFlight: number;
  maxInFlight: number;
  /**
   * When requests came and went (performance.now() ms): the first arrival, the last
   * answer, and the time in between with no request at all, which is where a client left
   * the server idle (bench/upload).
   */
  activity: { firstAt: number | null; lastEndAt: number | null; idleMs: number };
  /**
   * Sets what the injector does: `decide` gets each request's method and how many of that
   * method came before it since this call.
   */
  inject(decide: (method: string, nth: number) => TusFault | null): void;
  /** SHA-256 of every completed file the server stored. */
  storedDigests(): string[];
  /** The Upload-Metadata of every upload @tus/file-store recorded (its `<id>.json` files). */
  metadata(): Array<Record<string, string>>;
  /** Whether the server's store still holds the upload at this URL (@tus/file-store only). */
  holds(uploadUrl: string): boolean;
  /**
   * Watches every byte that reaches the server on connections opened from now on, for
   * `marker`; the answer says whether it ever arrived (in a body, a header, anywhere).
   */
  watchFor(marker: Buffer): { seen: () => boolean };
  stop(): Promise<void>;
}

export async function startTusServer(kind: 'tus-server' | 'uploadx'): Promise<TusTestServer> {
  const dir = tempDir(`${kind}-`);
  let handler: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  if (kind === 'tus-server') {
    const { Server } = await import('@tus/server');
    const { FileStore } = await import('@tus/file-store');
    const tus = new Server({ path: '/files', datastore: new FileStore({ directory: dir }) });
    handler = (req, res) => void tus.handle(req, res);
  } else {
    const { tus } = await import('@uploadx/core');
    const handle = tus({ uploadDir: dir });
    handler = (req, res) => void handle(req, res);
  }
  const counts = new Map<string, number>();
  const markers: Array<{ bytes: Buffer; seen: boolean }> = [];
  let fault: (method: string, nth: number) => TusFault | null = () => null;
  const sockets = new Set<import('node:net').Socket>();
  const state: TusTestServer = {
    kind,
    endpoint: '',
    log: [],
    inFlight: 0,
    maxInFlight: 0,
    activity: { firstAt: null, lastEndAt: null, idleMs: 0 },
    inject: (decide) => {
      fault = decide;
      counts.clear();
    },
    storedDigests: () => storedFiles(dir).map((f) => createHash('sha256').update(fs.readFileSync(f)).digest('hex')),
    metadata: () =>
      fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => (JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { metadata?: Record<string, string> }).metadata ?? {}),
    holds: (uploadUrl) => {
      if (kind !== 'tus-server') throw new Error('holds() reads @tus/file-store\'s folder');
      const id = new URL(uploadUrl).pathname.split('/').pop()!;
      return fs.existsSync(path.join(dir, id)) || fs.existsSync(path.join(dir, `${id}.json`));
    },
    watchFor: (marker) => {
      const watched = { bytes: marker, seen: false };
      markers.push(watched);
      return { seen: () => watched.seen };
    },
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    const nth = counts.get(method) ?? 0;
    counts.set(method, nth + 1);
    const entry: LoggedTusRequest = {
      method,
      url: req.url ?? '',
      status: 0,
      offset: req.headers['upload-offset'] === undefined ? null : Number(req.headers['upload-offset']),
      checksum: (req.headers['upload-checksum'] as string | undefined) ?? null,
      at: Date.now(),
    };
    state.log.push(entry);
    const { activity } = state;
    const now = performance.now();
    activity.firstAt ??= now;
    if (state.inFlight === 0 && activity.lastEndAt !== null) activity.idleMs += now - activity.lastEndAt;
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    res.on('close', () => {
      if (--state.inFlight === 0) activity.lastEndAt = performance.now();
    });
    res.on('finish', () => (entry.status = res.statusCode));
    const decided = fault(method, nth);
    if (decided && 'status' in decided) {
      req.resume();
      req.on('end', () => {
        res.writeHead(decided.status, { 'tus-resumable': '1.0.0', 'content-length': '0', ...decided.headers });
        res.end();
      });
      return;
    }
    if (decided && 'stall' in decided) {
      req.resume();
      return;
    }
    if (decided && 'dropAfterBytes' in decided) {
      const start = req.socket.bytesRead;
      const poll = setInterval(() => {
        if (req.socket.bytesRead - start >= decided.dropAfterBytes || req.socket.destroyed) {
          clearInterval(poll);
          req.socket.destroy();
        }
      }, 1);
    }
    handler(req, res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    // Only connections opened after watchFor() are watched: a 'data' listener takes the
    // socket off the HTTP parser's fast path. It only observes; the parser still gets every
    // byte. The tail of each chunk is kept so a marker split across two chunks is seen.
    if (markers.length === 0) return;
    let tail = Buffer.alloc(0);
    s.on('data', (chunk: Buffer) => {
      const window = Buffer.concat([tail, chunk]);
      for (const m of markers) if (!m.seen && window.includes(m.bytes)) m.seen = true;
      const keep = Math.max(...markers.map((m) => m.bytes.length)) - 1;
      tail = window.subarray(Math.max(0, window.length - keep));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/files`;
  return state;
}

/** Files a server stored, leaving out its metadata files. */
function storedFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (!/\.(json|META)$/i.test(entry.name)) out.push(full);
    }
  };
  walk(dir);
  return out;
}

/**
 * A plain PUT server: stores each body under its path, checks the Content-Digest it was
 * sent, and (when `answerDigest`) answers with a Repr-Digest of what it stored.
 */
export interface PutServer {
  url: string;
  stored: Map<string, Buffer>;
  /** Content-Digest headers that did not match their body. */
  badDigests: string[];
  /** The Authorization header of every PUT (null when none came). */
  authorizations: Array<string | null>;
  answerDigest: boolean;
  stop(): Promise<void>;
}

export async function startPutServer(): Promise<PutServer> {
  const state: PutServer = { url: '', stored: new Map(), badDigests: [], authorizations: [], answerDigest: true, stop: async () => undefined };
  const server = http.createServer((req, res) => {
    if (req.method !== 'PUT') {
      res.writeHead(405, { 'content-length': '0' }).end();
      return;
    }
    state.authorizations.push(req.headers.authorization ?? null);
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      const digest = createHash('sha256').update(body).digest('base64');
      const sent = /sha-256=:([^:]+):/.exec(String(req.headers['content-digest'] ?? ''))?.[1];
      if (sent !== digest) state.badDigests.push(String(req.url));
      state.stored.set(decodeURIComponent(req.url ?? ''), body);
      res.writeHead(201, { 'content-length': '0', ...(state.answerDigest ? { 'repr-digest': `sha-256=:${digest}:` } : {}) }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/store/`;
  state.stop = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}
