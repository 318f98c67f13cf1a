import * as fs from 'node:fs';
import * as path from 'node:path';
import { TransferFailure, transferError } from '../../common/errors';

export const PARTIAL_SUFFIX = '.ferrypart';

// O_NOFOLLOW where the platform has it (not Windows, where links need privileges to make):
// a link planted under the partial's name is refused (ELOOP), never written through.
const NO_FOLLOW = fs.constants.O_NOFOLLOW ?? 0;
const OPEN_FLAGS = {
  fresh: fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_TRUNC | NO_FOLLOW,
  existing: fs.constants.O_RDWR | NO_FOLLOW,
} as const;

/**
 * Opens a partial off the event loop (creating a file can wait on the file system's journal
 * while other transfers fsync) without following a link, and refuses anything that is not
 * a regular file: a partial is ours only as a plain file.
 */
export async function openFd(file: string, mode: keyof typeof OPEN_FLAGS): Promise<number> {
  let fd: number;
  try {
    fd = await new Promise<number>((resolve, reject) => fs.open(file, OPEN_FLAGS[mode], 0o644, (error, n) => (error ? reject(error) : resolve(n))));
  } catch (error) {
    throw openFailure(file, error);
  }
  return checkedFd(file, fd);
}

/** openFd on the event loop, for a small body (small-body.ts). */
export function openFdSync(file: string, mode: keyof typeof OPEN_FLAGS): number {
  let fd: number;
  try {
    fd = fs.openSync(file, OPEN_FLAGS[mode], 0o644);
  } catch (error) {
    throw openFailure(file, error);
  }
  return checkedFd(file, fd);
}

function openFailure(file: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') return new TransferFailure(replacedError(file, 'a link'));
  if (code === 'EISDIR') return new TransferFailure(replacedError(file, 'a folder'));
  return error;
}

function checkedFd(file: string, fd: number): number {
  if (!fs.fstatSync(fd).isFile()) {
    fs.closeSync(fd);
    throw new TransferFailure(replacedError(file, 'something that is not a regular file'));
  }
  return fd;
}

/** What stands under the partial's name now, compared with the file we hold open. */
export type PartialIdentity = 'ours' | 'gone' | 'link' | 'folder' | 'other file';

/** The words for a partial's name taken by something else: Ferry leaves that thing alone. */
export function replacedError(file: string, what: string): ReturnType<typeof transferError> {
  return transferError(
    'not-writable',
    `${path.basename(file)} in ${path.dirname(file)} was replaced by ${what} while Ferry was writing it. Ferry left it as it is and placed nothing; move it away, then resume to download again.`,
    false,
  );
}

/**
 * An open `<name>.ferrypart`: the descriptor, and the identity (device and inode) of the
 * file it was opened as, so a partial deleted or replaced behind our back is noticed
 * (rule 7), and a placement can prove that the name it links is the file it hashed.
 */
export class PartialFile {
  readonly dev: number;
  readonly ino: number;

  constructor(
    readonly path: string,
    readonly fd: number,
  ) {
    const st = fs.fstatSync(fd);
    this.dev = st.dev;
    this.ino = st.ino;
  }

  /** What is under our path now, by lstat (a link to our own file is not ours). */
  identity(): PartialIdentity {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(this.path);
    } catch {
      return 'gone';
    }
    if (st.isSymbolicLink()) return 'link';
    if (st.isDirectory()) return 'folder';
    return st.isFile() && st.ino === this.ino && st.dev === this.dev ? 'ours' : 'other file';
  }

  /** The file at our path is still the one we hold open and at least `size` long. */
  stillOurs(size: number): boolean {
    return this.identity() === 'ours' && fs.fstatSync(this.fd).size >= size;
  }

  /**
   * Throws unless our path still names our file: a partial deleted is a restart (the
   * caller's `gone`), anything else under its name is a failure that leaves it alone.
   */
  assertOurs(gone: () => Error): void {
    const identity = this.identity();
    if (identity === 'ours') return;
    if (identity === 'gone') throw gone();
    throw new TransferFailure(replacedError(this.path, identity === 'other file' ? 'another file' : `a ${identity}`));
  }

  async sync(): Promise<void> {
    await new Promise<void>((resolve, reject) => fs.fsync(this.fd, (e) => (e ? reject(e) : resolve())));
  }

  async read(from: number, length: number): Promise<Buffer> {
    const buffer = Buffer.alloc(length);
    let at = 0;
    while (at < length) {
      const bytesRead = await new Promise<number>((resolve, reject) =>
        fs.read(this.fd, buffer, at, length - at, from + at, (e, n) => (e ? reject(e) : resolve(n))),
      );
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    return buffer.subarray(0, at);
  }

  /** Writes all of `bytes` at `position`: a short write goes on where it stopped. */
  async write(bytes: Buffer, position: number): Promise<void> {
    for (let at = 0; at < bytes.length; ) {
      const n = await new Promise<number>((resolve, reject) => fs.write(this.fd, bytes, at, bytes.length - at, position + at, (e, written) => (e ? reject(e) : resolve(written))));
      if (n === 0) throw Object.assign(new Error(`writing ${this.path} made no progress`), { code: 'EIO' });
      at += n;
    }
  }

  protected closeFd(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed by a failure path
    }
  }
}
