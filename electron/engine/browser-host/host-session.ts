/**
 * The native-messaging host (DESIGN.md section 11), run by `ferry native-host` and by the
 * desktop app started as `--native-host`: the program the browser starts for Ferry's
 * extension. It reads the browser's framing on stdin, checks every message against the
 * host's schemas (electron/common/browser-capture.ts), and relays the two commands the
 * extension has (a capture, the popup's status) to the Ferry running on the data directory
 * through its local door. It never chooses a folder, never touches settings or files, and
 * never logs a message's content: cookies are secrets.
 *
 * stdout carries frames and nothing else; what a person may need to read goes to stderr
 * (Chromium shows a host's stderr in its own log).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CHROMIUM_EXTENSION_ORIGIN,
  type CapturedDownload,
  FIREFOX_EXTENSION_ID,
  type HostArgument,
  type HostError,
  type HostReply,
  type HostRequest,
  type HostValues,
  MAX_REPLY_BYTES,
  MAX_REQUEST_BYTES,
  checkHostRequest,
  popupRows,
} from '../../common/browser-capture';
import { type Result, err, ok } from '../../common/result';
import type { TransferService } from '../../common/service';
import { defaultDataDir } from '../data-dir';
import { connectLocalDoor } from '../door/local-door';
import { ferryVersion } from '../version';
import { FrameReader, encodeFrame } from './framing';

/** What the host needs of the running Ferry: the two commands it relays. */
export type HostService = Pick<TransferService, 'addDownloads' | 'snapshot'>;

/** Who started the host, as the browser says on the command line. */
export interface Caller {
  browser: 'chromium' | 'firefox' | null;
  /** The extension's origin (Chromium) or id (Firefox); null when none was given. */
  who: string | null;
  allowed: boolean;
}

/**
 * Chromium passes the caller's origin (`chrome-extension://<id>/`; on Windows also
 * `--parent-window=<n>`); Firefox passes the manifest's path and the extension's id. Only
 * Ferry's own extension is admitted; the manifests already say so, and this is the second lock.
 */
export function callerOf(args: readonly string[]): Caller {
  const origin = args.find((a) => a.startsWith('chrome-extension://') || a.startsWith('moz-extension://'));
  if (origin?.startsWith('chrome-extension://')) return { browser: 'chromium', who: origin, allowed: origin === CHROMIUM_EXTENSION_ORIGIN };
  // Firefox: [path to the manifest, extension id].
  const id = args.length >= 2 && args[0]!.endsWith('.json') ? args[1]! : null;
  if (id !== null) return { browser: 'firefox', who: id, allowed: id === FIREFOX_EXTENSION_ID };
  return { browser: null, who: origin ?? null, allowed: false };
}

type Door = HostService & { dispose?(): void };

export interface HostSessionOptions {
  caller: Caller;
  /**
   * Opens the running Ferry's door; null when none runs. `mayStart`: a capture may start
   * Ferry (where the host can), a look at the queue never does.
   */
  connect(mayStart: boolean): Promise<Door | null>;
  /** Starts Ferry, or brings its window forward when it runs (the desktop app); null where the host cannot. */
  start?: (() => void) | null;
  /** Writes one frame to the browser. */
  write(frame: Buffer): void;
  /** Says something on stderr. Never given a message's content. */
  log(message: string): void;
  /** Where `ferry serve` keeps its window's address, for the popup's Open button. */
  dataDir?: string;
}

export interface HostSession {
  feed(chunk: Buffer): void;
  /** The browser closed stdin: waits for the answers in progress, then lets the door go. */
  end(): Promise<void>;
  /** True once the stream cannot be read any further (a frame over the limit). */
  readonly broken: boolean;
}

const NOT_RUNNING: HostError = {
  code: 'not-running',
  message: 'Ferry is not running: start Ferry (or ferry serve) and try again; the browser keeps this download.',
};

/** The host's conversation with one browser, independent of stdin and stdout so tests (and a fuzzer) drive it directly. */
export function hostSession(options: HostSessionOptions): HostSession {
  const reader = new FrameReader(MAX_REQUEST_BYTES);
  let door: Promise<Door | null> | null = null;
  let work: Promise<void> = Promise.resolve();
  let refusedLogged = false;

  const reply = (answer: HostReply): void => {
    let frame = encodeFrame(answer);
    if (frame.length - 4 > MAX_REPLY_BYTES) {
      frame = encodeFrame({ id: answer.id, ok: false, error: { code: 'internal', message: 'the answer is too large for the browser' } } satisfies HostReply);
    }
    options.write(frame);
  };
  const fail = (id: number | null, error: HostError): void => reply({ id, ok: false, error });

  const handle = async (message: unknown): Promise<void> => {
    const checked = checkHostRequest(message);
    if (!checked.ok) {
      options.log(`native host: refused a message: ${checked.error.error.message}`);
      return fail(checked.error.id, checked.error.error);
    }
    const request = checked.value;
    if (!options.caller.allowed) {
      if (!refusedLogged) options.log(`native host: refused ${options.caller.who ?? 'a caller that named no extension'}: only Ferry's extension may use this host`);
      refusedLogged = true;
      return fail(request.id, { code: 'forbidden', message: 'this host answers Ferry\'s own extension only' });
    }
    if (request.method === 'open' && options.start) {
      options.start(); // a second launch: the running app shows its window, or the app starts
      return reply({ id: request.id, ok: true, value: { url: null } });
    }
    const reached = door ? await door : null;
    if (!reached) {
      door = options.connect(request.method === 'capture').catch((error: unknown) => {
        options.log(`native host: cannot reach Ferry: ${(error as Error).message}`);
        return null;
      });
    }
    const service = reached ?? (await door);
    if (!service) return fail(request.id, NOT_RUNNING);
    const answer = await relay(service, request, options.dataDir ?? null);
    if (answer.ok) reply({ id: request.id, ok: true, value: answer.value });
    else fail(request.id, answer.error);
  };

  return {
    feed(chunk) {
      for (const frame of reader.push(chunk)) {
        if (!frame.ok) {
          options.log(`native host: refused a frame: ${frame.reason}`);
          fail(null, { code: 'invalid-message', message: frame.reason });
          continue;
        }
        // One at a time, in order: a browser's requests are few, and the answers come back in the order asked.
        work = work.then(() => handle(frame.message)).catch((error: unknown) => {
          options.log(`native host: a request failed: ${(error as Error).message}`);
        });
      }
    },
    async end() {
      await work;
      if (reader.leftover > 0) options.log(`native host: the browser closed the stream ${reader.leftover} bytes into a message`);
      const opened = await door;
      opened?.dispose?.();
    },
    get broken() {
      return reader.broken !== null;
    },
  };
}

type HostResult<K extends HostRequest['method']> = Result<HostValues[K], HostError>;

/** The window of `ferry serve` on this data directory, from the token and port it keeps there; null when unknown. */
export function serveWindow(dataDir: string): string | null {
  try {
    const saved = JSON.parse(fs.readFileSync(path.join(dataDir, 'serve.json'), 'utf8')) as { token?: unknown; port?: unknown };
    if (typeof saved.token !== 'string' || !/^[A-Za-z0-9_-]{32,}$/.test(saved.token) || !Number.isInteger(saved.port)) return null;
    return `http://127.0.0.1:${saved.port as number}/#token=${saved.token}`;
  } catch {
    return null;
  }
}

async function relay(service: HostService, request: HostRequest, dataDir: string | null): Promise<HostResult<HostRequest['method']>> {
  if (request.method === 'open') {
    const snapshot = await service.snapshot();
    if (!snapshot.ok) return snapshot;
    const url = snapshot.value.host.kind === 'serve' && dataDir ? serveWindow(dataDir) : null;
    if (url) return ok({ url });
    return err({ code: 'not-running', message: 'Ferry runs here without a window this browser can open: bring the desktop app forward from its tray icon.' });
  }
  if (request.method === 'status') {
    const snapshot = await service.snapshot();
    if (!snapshot.ok) return snapshot;
    const { rows, more } = popupRows(snapshot.value.transfers);
    const host = snapshot.value.host;
    const open = host.kind === 'serve' && dataDir ? serveWindow(dataDir) : null;
    return ok({ transfers: rows, more, host: { kind: host.kind, version: host.version }, open });
  }
  return capture(service, request.arg);
}

/** A suggested name, as a plain file name (the folder is Ferry's), or null. */
export function plainName(name: string | null): string | null {
  if (name === null) return null;
  const base = name.split(/[\\/]/).pop()!.trim();
  // eslint-disable-next-line no-control-regex -- control characters are what is refused here
  if (base === '' || base === '.' || base === '..' || /[\u0000-\u001f\u007f]/.test(base)) return null;
  return base;
}

/** The request headers that carry the browser's session to the download's origin (the engine sends them nowhere else). */
export function sessionHeaders(download: CapturedDownload, userAgent: string | null): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  if (download.cookies) headers.push(['Cookie', download.cookies]);
  if (download.referrer) headers.push(['Referer', download.referrer]);
  if (userAgent) headers.push(['User-Agent', userAgent]);
  return headers;
}

/**
 * Each captured download becomes one addDownloads call without a folder: the engine puts
 * it in the download folder of its settings. The first refusal is the answer; those added
 * before it stay added (and are named in the error's message).
 */
async function capture(service: HostService, arg: HostArgument<'capture'>): Promise<HostResult<'capture'>> {
  const ids: string[] = [];
  const existing: string[] = [];
  for (const download of arg.downloads) {
    const added = await service.addDownloads({
      urls: [download.url],
      name: plainName(download.name),
      headers: sessionHeaders(download, arg.userAgent),
      capture: { page: download.referrer, finalUrl: download.finalUrl },
      ifDone: 'download',
    });
    if (!added.ok) {
      const message = ids.length > 0 ? `${added.error.message} (${ids.length} of ${arg.downloads.length} were handed over before this one)` : added.error.message;
      return err({ code: added.error.code, message, ...(added.error.field ? { field: added.error.field } : {}) });
    }
    ids.push(...added.value.ids);
    existing.push(...added.value.existing);
  }
  return ok({ ids, existing });
}

/**
 * `ferry native-host [--data-dir DIR] [--app PATH] <what the browser adds>`. Not parsed
 * strictly: the browser's own arguments follow. `--app`: the desktop app to start when a
 * capture finds no Ferry running (the stand-alone host the Windows app ships, standalone.ts).
 */
export function parseHostArgs(args: readonly string[]): { dataDir: string; app: string | null; caller: string[] } {
  let dataDir: string | null = null;
  let app: string | null = null;
  const caller: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--data-dir' && i + 1 < args.length) dataDir = args[++i]!;
    else if (arg.startsWith('--data-dir=')) dataDir = arg.slice('--data-dir='.length);
    else if (arg === '--app' && i + 1 < args.length) app = args[++i]!;
    else caller.push(arg);
  }
  return { dataDir: dataDir ? path.resolve(dataDir) : defaultDataDir(), app, caller };
}

/**
 * Starts the desktop app (`command`: its executable, then its arguments) on `dataDir`, apart
 * from this process (a second launch shows a running one's window).
 */
export function startApp(command: readonly string[]): (dataDir: string) => void {
  const [file, ...args] = command;
  return (dataDir) => {
    spawn(file!, args, { detached: true, stdio: 'ignore', windowsHide: false, env: { ...process.env, FERRY_DATA_DIR: dataDir } }).unref();
  };
}

/** How long a host that started Ferry waits for its door before answering `not-running`. */
export const START_WAIT_MS = 20_000;

/**
 * The door of the Ferry running on `dataDir`; when none runs and `start` is given (the
 * desktop app starts itself), starts it and waits for its door to open.
 */
export async function reachFerry(dataDir: string, start: (() => void) | null, waitMs = START_WAIT_MS): Promise<Door | null> {
  const open = (): ReturnType<typeof connectLocalDoor> => connectLocalDoor(dataDir, { app: ferryVersion(), timeoutMs: 3000 });
  const first = await open();
  if (first || !start) return first;
  start();
  const until = Date.now() + waitMs;
  while (Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const door = await open();
    if (door) return door;
  }
  return null;
}

/**
 * Runs the host on stdin and stdout until the browser closes the stream. Exit 0, or 1 after
 * a broken stream. `args` are the host's own (`--data-dir`) and the browser's; `startFerry`
 * starts Ferry on the data directory, or brings its window forward when it runs (null:
 * answer `not-running`, and the browser keeps its download).
 */
export async function runNativeHost(args: readonly string[], startFerry: ((dataDir: string) => void) | null = null): Promise<number> {
  const { dataDir, app, caller } = parseHostArgs(args);
  const starter = startFerry ?? (app ? startApp([app]) : null);
  const start = starter ? () => starter(dataDir) : null;
  const log = (message: string): void => void process.stderr.write(`${message}\n`);
  const session = hostSession({
    caller: callerOf(caller),
    dataDir,
    connect: (mayStart) => reachFerry(dataDir, mayStart ? start : null),
    start,
    write: (frame) => void process.stdout.write(frame),
    log,
  });
  await new Promise<void>((resolve) => {
    process.stdin.on('data', (chunk: Buffer) => {
      session.feed(chunk);
      if (session.broken) resolve();
    });
    process.stdin.once('end', resolve);
    process.stdin.once('error', () => resolve());
  });
  process.stdin.pause();
  await session.end();
  return session.broken ? 1 : 0;
}
