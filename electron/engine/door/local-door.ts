/**
 * The local door (DESIGN.md section 9): the running Ferry of a data directory (the app's
 * engine, `ferry serve`) listens on a socket only its user can open, and speaks the window's
 * service contract there, so the CLI and later front doors hand their work to it instead of
 * being turned away by the data directory's lock. Nothing on it listens on TCP.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import { type Channel, createClient, serveService } from '../../common/rpc';
import type { ServiceImplementation, TransferClient } from '../../common/service';
import { doorAddress, prepareDoorFolder, socketChannel } from './socket-channel';

export interface LocalDoor {
  /** The socket path (or pipe name) it listens on. */
  address: string;
  /** Stops listening, ends every connection and removes the socket file. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Opens the door of `dataDir` for `service`. Call it only while holding the data directory's
 * lock: a socket file found there is then a leftover of a Ferry that died, and is replaced.
 */
export async function openLocalDoor(dataDir: string, service: ServiceImplementation, options: { log?: (message: string) => void; app?: string | null } = {}): Promise<LocalDoor> {
  const address = doorAddress(dataDir);
  const log = options.log ?? (() => undefined);
  prepareDoorFolder(address);
  removeStaleSocket(address);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const channel: Channel = socketChannel(socket);
    serveService(service, channel, (message) => log(`local door: ${message}`), options.app ?? null);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => log(`local door: ${error.message}`));
  // The folder is already the user's alone; the socket says so too (0600), for anyone who
  // copies or loosens the folder's mode later.
  if (process.platform !== 'win32') fs.chmodSync(address, 0o600);
  let closing: Promise<void> | null = null;
  return {
    address,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }).then(() => {
        // net.Server removes its socket file on close; a crash leaves it, for the next start to replace.
        if (process.platform !== 'win32') removeStaleSocket(address);
      });
      return closing;
    },
  };
}

/** A socket file left by a Ferry that is gone. Anything else at that path is not ours to remove. */
function removeStaleSocket(address: string): void {
  if (process.platform === 'win32') return;
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(address);
  } catch {
    return;
  }
  if (!stat.isSocket()) throw new Error(`${address} is in the way of Ferry's local socket and is not a socket; move it away`);
  fs.unlinkSync(address);
}

export type DoorClient = TransferClient & { dispose(): void; onClose(listener: () => void): void };

/**
 * Connects to the door of the Ferry running on `dataDir`. Null when there is none to knock
 * on (no socket, or a socket nobody listens on): the data directory is free, or held by a
 * Ferry without a door (another `ferry get`).
 */
export async function connectLocalDoor(dataDir: string, options: { app?: string | null; timeoutMs?: number } = {}): Promise<DoorClient | null> {
  const address = doorAddress(dataDir);
  const socket = await new Promise<net.Socket | null>((resolve) => {
    const s = net.connect(address);
    const timer = setTimeout(() => {
      s.destroy();
      resolve(null);
    }, options.timeoutMs ?? 5000);
    s.once('connect', () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once('error', () => {
      clearTimeout(timer);
      resolve(null);
    });
  });
  if (!socket) return null;
  const channel = socketChannel(socket);
  const client = createClient(channel, { app: options.app ?? null });
  const disposeClient = client.dispose;
  return Object.assign(client, {
    dispose() {
      disposeClient();
      socket.destroy();
    },
    onClose(listener: () => void) {
      channel.onClose(listener);
    },
  });
}
