/**
 * The local door's wire (DESIGN.md section 9): where its socket lives, and the service
 * contract's messages over it as NDJSON, one JSON value per line.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Socket } from 'node:net';
import type { Channel } from '../../common/rpc';

export const DOOR_FILE = 'ferry.sock';

/** A line longer than this is not a message of the contract: the peer is cut off. */
export const MAX_LINE_BYTES = 16 << 20;
/** A peer this far behind on events is cut off; it reconnects for a fresh snapshot. */
const MAX_BUFFERED_BYTES = 32 << 20;

/**
 * Unix socket paths are limited to about 104 bytes (sun_path: 104 on macOS, 108 on Linux).
 * A data directory deep enough to pass that gets its socket in a private folder of the
 * user's runtime directory instead, named by a hash of the data directory, so every front
 * door still finds it from the data directory alone.
 */
const MAX_SOCKET_PATH = 100;

const hashOf = (dataDir: string): string => crypto.createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16);

/** Where the door of the Ferry on `dataDir` listens: a socket path, or on Windows a named pipe. */
export function doorAddress(dataDir: string): string {
  const resolved = path.resolve(dataDir);
  // The pipe namespace is machine-wide; the name is the data directory's (case-folded, as
  // Windows paths are) hash. Its ACL is Node's default: the creating user has full control.
  if (process.platform === 'win32') return `\\\\.\\pipe\\ferry-${hashOf(resolved.toLowerCase())}`;
  const inside = path.join(resolved, DOOR_FILE);
  if (Buffer.byteLength(inside) <= MAX_SOCKET_PATH) return inside;
  return path.join(privateRuntimeDir(), `${hashOf(resolved)}.sock`);
}

/** `$XDG_RUNTIME_DIR/ferry`, else `<tmp>/ferry-<uid>`: a folder only this user can enter. */
function privateRuntimeDir(): string {
  const uid = process.getuid?.() ?? 0;
  const base = process.env.XDG_RUNTIME_DIR ? path.join(process.env.XDG_RUNTIME_DIR, 'ferry') : path.join(os.tmpdir(), `ferry-${uid}`);
  return base;
}

/**
 * Makes sure the folder the socket goes in is ours alone (the data directory is already
 * 0700; a runtime folder is created 0700 and refused when someone else owns it or can enter it).
 */
export function prepareDoorFolder(address: string): void {
  if (process.platform === 'win32') return;
  const dir = path.dirname(address);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = fs.lstatSync(dir);
  const uid = process.getuid?.();
  if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid) || (stat.mode & 0o077) !== 0) {
    throw new Error(`the folder ${dir} for Ferry's local socket must be a folder of this user's with mode 0700`);
  }
}

/**
 * The contract's messages over a stream socket, one JSON value per line. A line that is not
 * JSON reaches the listener as `undefined`, which the service answers with a fault; a line
 * past MAX_LINE_BYTES ends the connection. Neither can hurt the engine.
 */
export function socketChannel(socket: Socket): Channel {
  const listeners = new Set<(message: unknown) => void>();
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const deliver = (line: Buffer): void => {
    const text = line.toString('utf8').trim();
    if (text === '') return;
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      message = undefined;
    }
    for (const listener of [...listeners]) listener(message);
  };
  socket.on('data', (chunk: Buffer) => {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      const line = pendingBytes > 0 ? Buffer.concat([...pending, piece]) : piece;
      pending = [];
      pendingBytes = 0;
      start = nl + 1;
      deliver(line);
      if (socket.destroyed) return;
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
      if (pendingBytes > MAX_LINE_BYTES) socket.destroy();
    }
  });
  // An error (the peer reset the connection) is followed by 'close'; nothing else to do.
  socket.on('error', () => undefined);
  return {
    send(message) {
      if (socket.destroyed || !socket.writable) return;
      if (socket.writableLength > MAX_BUFFERED_BYTES) {
        socket.destroy();
        return;
      }
      socket.write(`${JSON.stringify(message)}\n`);
    },
    onMessage(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onClose(listener) {
      if (socket.destroyed) {
        queueMicrotask(listener);
        return () => undefined;
      }
      socket.once('close', listener);
      return () => socket.off('close', listener);
    },
    close: () => socket.end(),
  };
}
