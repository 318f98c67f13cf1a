import * as fs from 'node:fs';
import type { DigestAlgorithm } from '../../common/integrity';
import type { HashPool, HashSession } from '../hash/hash-pool';
import { PartialWriter, allocateBuffers } from './partial-writer';

export const PARTIAL_SUFFIX = '.ferrypart';

/**
 * A partial file this process holds open, with its hashing sessions fed exactly up to
 * the writer's position: whole-file digests on one thread, block digests on another.
 */
export class LivePartial {
  private closed = false;

  private constructor(
    readonly path: string,
    readonly fd: number,
    private readonly ino: number,
    readonly fileHash: HashSession,
    readonly blockHash: HashSession,
    readonly writer: PartialWriter,
  ) {}

  get position(): number {
    return this.writer.position;
  }

  /** An empty partial (created, or truncated if a previous attempt left bytes). */
  static fresh(pool: HashPool, path: string, algorithms: DigestAlgorithm[], blockSize: number, expectedBytes: number | null): LivePartial {
    const fd = fs.openSync(path, 'w+');
    return LivePartial.wrap(pool, path, fd, 0, algorithms, blockSize, expectedBytes);
  }

  /** An existing partial, to be verified by the caller; its sessions start at 0. */
  static open(pool: HashPool, path: string, algorithms: DigestAlgorithm[], blockSize: number, expectedBytes: number | null): LivePartial {
    const fd = fs.openSync(path, 'r+');
    return LivePartial.wrap(pool, path, fd, 0, algorithms, blockSize, expectedBytes);
  }

  private static wrap(
    pool: HashPool,
    path: string,
    fd: number,
    start: number,
    algorithms: DigestAlgorithm[],
    blockSize: number,
    expectedBytes: number | null,
  ): LivePartial {
    const buffers = allocateBuffers(expectedBytes);
    const [fileHash, blockHash] = pool.open(
      [
        { algorithms, blockSize: 0 },
        { algorithms: [], blockSize },
      ],
      buffers,
    ) as [HashSession, HashSession];
    const writer = new PartialWriter(fd, start, buffers, [fileHash, blockHash], blockHash);
    return new LivePartial(path, fd, fs.fstatSync(fd).ino, fileHash, blockHash, writer);
  }

  /** Moves the writer to `offset` after its sessions were fed up to there from disk. */
  seek(offset: number): void {
    this.writer.position = offset;
  }

  /** The file at our path is still the one we hold open (not deleted or replaced). */
  stillOurs(): boolean {
    try {
      const st = fs.statSync(this.path);
      return st.ino === this.ino && st.size >= this.writer.position;
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

  /**
   * Closes the file and ends the hashing sessions; safe to call twice. Pending writes are
   * drained first: a write still queued when its descriptor closes could land in whatever
   * file reuses the descriptor number next.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writer.drain().catch(() => undefined);
    this.fileHash.close();
    this.blockHash.close();
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed by a failure path
    }
  }
}
