import * as fs from 'node:fs';

export const PARTIAL_SUFFIX = '.ferrypart';

/**
 * Opens a file off the event loop: creating a file can wait on the file system's journal
 * while other transfers fsync, and a queue of small files creates one every few milliseconds.
 */
export function openFd(path: string, flags: 'w+' | 'r+'): Promise<number> {
  return new Promise((resolve, reject) => fs.open(path, flags, (error, fd) => (error ? reject(error) : resolve(fd))));
}

/**
 * An open `<name>.ferrypart`: the descriptor, and the identity of the file it was opened
 * as, so a partial deleted or replaced behind our back is noticed (rule 7).
 */
export class PartialFile {
  private readonly ino: number;

  constructor(
    readonly path: string,
    readonly fd: number,
  ) {
    this.ino = fs.fstatSync(fd).ino;
  }

  /** The file at our path is still the one we hold open and at least `size` long. */
  stillOurs(size: number): boolean {
    try {
      const st = fs.statSync(this.path);
      return st.ino === this.ino && st.size >= size;
    } catch {
      return false;
    }
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

  async write(bytes: Buffer, position: number): Promise<void> {
    await new Promise<void>((resolve, reject) => fs.write(this.fd, bytes, 0, bytes.length, position, (e) => (e ? reject(e) : resolve())));
  }

  protected closeFd(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed by a failure path
    }
  }
}
