import { type ChildProcess, spawn } from 'node:child_process';
import * as net from 'node:net';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import WebSocket from 'ws';
import { ok } from '../../electron/common/result';
import { followQueue } from '../../electron/common/follow';
import { type Channel, createClient, serveService } from '../../electron/common/rpc';
import type { ServiceEvent, TransferClient, TransferSummary } from '../../electron/common/service';
import { KeyFileSecretBox } from '../../electron/engine/secrets';
import { connectLocalDoor } from '../../electron/engine/door/local-door';
import { doorAddress } from '../../electron/engine/door/socket-channel';
import { openEngineService } from '../../electron/engine/service/open-service';
import { websocketChannel } from '../../electron/cli/serve';
import { CLI } from './cli';
import { tempDir } from './harness';

export type TransportKind = 'ipc' | 'websocket' | 'door';

/** A client connected to a real engine over one transport, and what it has heard. */
export interface ServiceFixture {
  kind: TransportKind;
  client: TransferClient;
  events: ServiceEvent[];
  dataDir: string;
  downloadDir: string;
  /** Desktop host only: the files the service asked the OS to reveal or open. */
  shown: Array<{ action: 'reveal' | 'open'; path: string }>;
  /** The queue as the client knows it: the snapshot with every batch applied. */
  rows(): Map<string, TransferSummary>;
  /** Another connection to the same service, spoken to by hand (no client, no hello of its own). */
  raw(): Promise<RawPeer>;
  close(): Promise<void>;
}

/** One end of a connection as a test drives it: what it received, and when the service closed it. */
export interface RawPeer {
  received: Array<Record<string, unknown>>;
  send(message: unknown): void;
  closed: Promise<void>;
  close(): void;
}

function rawPort(port: MessagePort): RawPeer {
  const received: Array<Record<string, unknown>> = [];
  port.on('message', (message: Record<string, unknown>) => received.push(message));
  return { received, send: (message) => port.postMessage(message), closed: new Promise((resolve) => port.once('close', () => resolve())), close: () => port.close() };
}

function rawSocket(ws: WebSocket): RawPeer {
  const received: Array<Record<string, unknown>> = [];
  ws.on('message', (data) => received.push(JSON.parse(String(data)) as Record<string, unknown>));
  return { received, send: (message) => ws.send(JSON.stringify(message)), closed: new Promise((resolve) => ws.once('close', () => resolve())), close: () => ws.close() };
}

/** A Channel over a worker_threads MessagePort: structured clone, as Electron's IPC does. */
export function portChannel(port: MessagePort): Channel {
  return {
    send: (message) => port.postMessage(message),
    onMessage(listener) {
      const handler = (message: unknown): void => listener(message);
      port.on('message', handler);
      return () => port.off('message', handler);
    },
    onClose(listener) {
      port.once('close', listener);
      return () => port.off('close', listener);
    },
    close: () => port.close(),
  };
}

/** Keeps the client's picture of the queue, the way the window's store does. */
function tracker(client: TransferClient, events: ServiceEvent[]): { rows: Map<string, TransferSummary>; ready: Promise<unknown> } {
  const rows = new Map<string, TransferSummary>();
  client.onEvent((event) => events.push(event));
  const ready = followQueue(client, {
    snapshot: (snap) => {
      for (const row of snap.transfers) rows.set(row.id, row);
    },
    changes: (event) => {
      for (const id of event.removed) rows.delete(id);
      for (const change of event.changes) rows.set(change.id, { ...rows.get(change.id), ...change } as TransferSummary);
    },
  });
  return { rows, ready };
}

/** A fixture over a connected client, once it holds the queue's snapshot. */
async function following(
  kind: TransportKind,
  client: TransferClient,
  places: Pick<ServiceFixture, 'dataDir' | 'downloadDir' | 'shown' | 'raw'>,
  close: () => Promise<void>,
): Promise<ServiceFixture> {
  const events: ServiceEvent[] = [];
  const { rows, ready } = tracker(client, events);
  await ready;
  return { kind, client, events, ...places, rows: () => rows, close };
}

/** The engine in this process behind a MessagePort pair: the stand-in for Electron IPC. */
export async function ipcFixture(dataDir = tempDir('ferry-data-')): Promise<ServiceFixture> {
  const downloadDir = tempDir('ferry-dl-');
  const shown: ServiceFixture['shown'] = [];
  const { engine, service } = openEngineService({
    dataDir,
    command: 'test',
    host: {
      kind: 'desktop',
      version: 'test',
      defaultDownloadDir: downloadDir,
      secrets: new KeyFileSecretBox(dataDir),
      // The OS side of the desktop host (shell.showItemInFolder / openPath) is Electron's.
      reveal: async (file) => (shown.push({ action: 'reveal', path: file }), ok(null)),
      open: async (file) => (shown.push({ action: 'open', path: file }), ok(null)),
    },
  });
  service.autoResume();
  const { port1, port2 } = new MessageChannel();
  serveService(service, portChannel(port1), () => undefined, 'test');
  const client = createClient(portChannel(port2), { app: 'test' });
  const peers: RawPeer[] = [];
  const raw = async (): Promise<RawPeer> => {
    const pair = new MessageChannel();
    serveService(service, portChannel(pair.port1), () => undefined, 'test');
    peers.push(rawPort(pair.port2));
    return peers.at(-1)!;
  };
  return following('ipc', client, { dataDir, downloadDir, shown, raw }, async () => {
    for (const peer of peers) peer.close(); // an open port would keep the test process alive
    client.dispose();
    port1.close();
    service.close();
    await engine.close();
  });
}

export interface ServeProcess {
  child: ChildProcess;
  url: URL;
  token: string;
  stderr: () => string;
  stop(): Promise<number | null>;
}

/** Starts `ferry serve --json` and waits for its listening line. */
export async function startServe(dataDir: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', '--data-dir', dataDir, '--json', ...extra], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`ferry serve exited with ${code}: ${stderr}`)));
  });
  const listening = JSON.parse(line) as { type: string; url: string };
  if (listening.type !== 'listening') throw new Error(`unexpected first line ${line}`);
  const url = new URL(listening.url);
  return {
    child,
    url,
    token: new URLSearchParams(url.hash.slice(1)).get('token')!,
    stderr: () => stderr,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}

/** Opens the service's WebSocket; resolves with the socket or the HTTP status that refused it. */
export function connect(serve: Pick<ServeProcess, 'url'>, options: { token?: string | null; origin?: string; host?: string; path?: string } = {}): Promise<WebSocket | number> {
  const query = options.token === null ? '' : `?token=${encodeURIComponent(options.token ?? '')}`;
  const ws = new WebSocket(`ws://${serve.url.host}${options.path ?? '/rpc'}${query}`, {
    headers: { ...(options.origin ? { origin: options.origin } : {}), ...(options.host ? { host: options.host } : {}) },
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', (error) => reject(error));
  });
}

/** `ferry serve` in its own process, and a client over a real WebSocket to it. */
export async function websocketFixture(dataDir = tempDir('ferry-data-')): Promise<ServiceFixture> {
  const downloadDir = tempDir('ferry-dl-');
  const serve = await startServe(dataDir);
  const ws = await connect(serve, { token: serve.token });
  if (typeof ws === 'number') throw new Error(`ferry serve refused the test client with ${ws}`);
  const client = createClient(websocketChannel(ws));
  const set = await client.setSettings({ downloadDir });
  if (!set.ok) throw new Error(set.error.message);
  const raw = async (): Promise<RawPeer> => {
    const socket = await connect(serve, { token: serve.token });
    if (typeof socket === 'number') throw new Error(`ferry serve refused a second connection with ${socket}`);
    return rawSocket(socket);
  };
  return following('websocket', client, { dataDir, downloadDir, shown: [], raw }, async () => {
    client.dispose();
    ws.close();
    const code = await serve.stop();
    if (code !== 143) throw new Error(`ferry serve ended with ${code} instead of 143 after SIGTERM: ${serve.stderr()}`);
  });
}

/** A raw NDJSON connection to the local door of the Ferry on `dataDir`. */
export async function rawDoor(dataDir: string): Promise<RawPeer> {
  const socket = net.connect(doorAddress(dataDir));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const received: Array<Record<string, unknown>> = [];
  let buffered = '';
  socket.on('data', (d: Buffer) => {
    buffered += d.toString();
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      received.push(JSON.parse(buffered.slice(0, nl)) as Record<string, unknown>);
      buffered = buffered.slice(nl + 1);
    }
  });
  socket.on('error', () => undefined);
  return {
    received,
    send: (message) => socket.write(`${typeof message === 'string' ? message : JSON.stringify(message)}\n`),
    closed: new Promise((resolve) => socket.once('close', () => resolve())),
    close: () => socket.destroy(),
  };
}

/** `ferry serve` in its own process, and a client through its local door (DESIGN.md section 9), as the CLI reaches it. */
export async function doorFixture(dataDir = tempDir('ferry-data-')): Promise<ServiceFixture> {
  const downloadDir = tempDir('ferry-dl-');
  const serve = await startServe(dataDir);
  const client = await connectLocalDoor(dataDir, { app: 'test' });
  if (!client) throw new Error(`no local door at ${doorAddress(dataDir)}: ${serve.stderr()}`);
  const set = await client.setSettings({ downloadDir });
  if (!set.ok) throw new Error(set.error.message);
  const peers: RawPeer[] = [];
  const raw = async (): Promise<RawPeer> => {
    peers.push(await rawDoor(dataDir));
    return peers.at(-1)!;
  };
  return following('door', client, { dataDir, downloadDir, shown: [], raw }, async () => {
    for (const peer of peers) peer.close();
    client.dispose();
    const code = await serve.stop();
    if (code !== 143) throw new Error(`ferry serve ended with ${code} instead of 143 after SIGTERM: ${serve.stderr()}`);
  });
}

export function fixture(kind: TransportKind, dataDir?: string): Promise<ServiceFixture> {
  if (kind === 'door') return doorFixture(dataDir);
  return kind === 'ipc' ? ipcFixture(dataDir) : websocketFixture(dataDir);
}

/** Waits until `condition` holds for the client's picture of the queue. */
export async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The value of a Result, or a thrown error naming what failed. */
export function value<T>(result: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }): T {
  if (!result.ok) throw new Error(`expected success, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

