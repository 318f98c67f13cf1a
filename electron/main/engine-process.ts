/**
 * The engine's own process (Electron utilityProcess): the transfer engine, SQLite and the
 * hashing threads run here, off the main process, whose event loop also drives every
 * window, menu and tray. bench/engine-host.ts measures why: a download at full speed
 * delays the loop it runs on by up to tens of milliseconds.
 *
 * HTTP goes through Electron's net.fetch: Chromium's network stack, with the system proxy
 * and the OS certificate store.
 */
import { net } from 'electron';
import { type Result, err } from '../common/result';
import { serveService } from '../common/rpc';
import type { ServiceError } from '../common/service';
import { DataDirLockedError, type Engine, type EngineService, FetchTransport, KeyFileSecretBox, type LocalDoor, type SecretBox, openEngineService, openLocalDoor, registerAtStart } from '../engine';
import type { FromEngine, HostRequest, ToEngine } from './engine-protocol';
import { mainPortChannel } from './port-channel';

const parent = process.parentPort;
const send = (message: FromEngine): void => parent.postMessage(message);
const log = (message: string): void => void process.stderr.write(`ferry engine: ${message}\n`);

// The engine turns its own failures into failed transfers or engine errors (scheduler.ts).
// A rejection that still escapes leaves no state half-changed, so it is logged and the
// engine stays up; an uncaught exception may have, so it ends the process as Node does,
// and the app's host restarts the engine from its last checkpoints (engine-supervisor.ts).
process.on('unhandledRejection', (reason) => log(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`));

let nextId = 1;
const waiting = new Map<number, (result: Result<string | null, ServiceError>) => void>();

/** Asks the main process for something only it can do (safeStorage, shell). */
function ask(request: HostRequest): Promise<Result<string | null, ServiceError>> {
  const id = nextId++;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    send({ type: 'request', id, ...request });
  });
}

/** Secrets sealed by the OS keychain, through the main process's safeStorage. */
const keychain: SecretBox = {
  kind: 'os-keychain',
  async seal(plain) {
    const result = await ask({ kind: 'seal', text: plain });
    if (!result.ok || result.value === null) throw new Error(result.ok ? 'sealing returned nothing' : result.error.message);
    return result.value;
  },
  async unseal(sealed) {
    const result = await ask({ kind: 'unseal', text: sealed });
    if (!result.ok || result.value === null) throw new Error(result.ok ? 'unsealing returned nothing' : result.error.message);
    return result.value;
  },
};

const fileAction = (kind: 'reveal' | 'open') => async (file: string): Promise<Result<null, ServiceError>> => {
  const result = await ask({ kind, text: file });
  return result.ok ? { ok: true, value: null } : err(result.error);
};

/** At the first start, Ferry's extension host is registered with every browser found; later, its launcher follows the app. Never fatal. */
function registerBrowserHosts(dataDir: string, command: string[]): void {
  try {
    const registered = registerAtStart(dataDir, command);
    if (registered.length > 0) log(`the browser extension can reach Ferry from ${registered.join(', ')}`);
  } catch (error) {
    log(`the browsers could not be set up to reach Ferry (${(error as Error).message}); Settings offers it again`);
  }
}

let opened: { engine: Engine; service: EngineService; version: string } | null = null;
/** The local door (DESIGN.md section 9): `ferry get` while the app runs hands its work over here. */
let door: Promise<LocalDoor | null> = Promise.resolve(null);

parent.on('message', (event: Electron.MessageEvent) => {
  const message = event.data as ToEngine;
  switch (message.type) {
    case 'init': {
      try {
        const { engine, service } = openEngineService({
          dataDir: message.dataDir,
          command: 'Ferry (desktop app)',
          onEngineError: (error) => log(`engine error: ${error.message}`),
          // Development: `npm start` builds better-sqlite3 for Electron's ABI next to the Node one.
          sqliteBinding: process.env.FERRY_SQLITE_BINDING || undefined,
          transport: new FetchTransport((input, init) => net.fetch(input, init as RequestInit)),
          host: {
            kind: 'desktop',
            version: message.version,
            defaultDownloadDir: message.downloadDir,
            secrets: message.secretStorage === 'os-keychain' ? keychain : new KeyFileSecretBox(message.dataDir),
            reveal: fileAction('reveal'),
            open: fileAction('open'),
            log,
            nativeHost: message.nativeHost,
          },
        });
        opened = { engine, service, version: message.version };
        opened.service.autoResume();
        if ('command' in message.nativeHost) registerBrowserHosts(message.dataDir, message.nativeHost.command);
        door = openLocalDoor(message.dataDir, service, { log, app: message.version }).catch((error: unknown) => {
          log(`the local door could not open (${(error as Error).message}); ferry get on this data directory will exit 4`);
          return null;
        });
        send({ type: 'ready' });
      } catch (error) {
        send({ type: 'failed', message: (error as Error).message, locked: error instanceof DataDirLockedError });
      }
      return;
    }
    case 'connect': {
      const port = event.ports[0];
      if (!opened || !port) return;
      serveService(opened.service, mainPortChannel(port), log, opened.version);
      return;
    }
    case 'power': {
      const engine = opened?.engine;
      if (!engine) return;
      const hook = { suspend: () => engine.suspend(), wake: () => engine.wake(), offline: () => engine.offline(), online: () => engine.online() }[message.event];
      void hook().catch((error: unknown) => log(`${message.event} failed: ${String(error)}`));
      return;
    }
    case 'answer': {
      waiting.get(message.id)?.(message.result);
      waiting.delete(message.id);
      return;
    }
    case 'shutdown': {
      // Every transfer checkpoints and stays queued; the next launch resumes it.
      void (async () => {
        await (await door)?.close();
        opened?.service.close();
        await opened?.engine.close();
        send({ type: 'closed' });
        process.exit(0);
      })();
      return;
    }
  }
});
