import type { DigestAlgorithm } from '../../common/integrity';
import type { HashPool, HashSession } from '../hash/hash-pool';
import { PartialFile, openFd, openFdSync } from './partial-file';
import { PartialWriter, allocateBuffers } from './partial-writer';
import { isSmallBody } from './small-body';
import { giveBack } from './buffer-pool';

export { PARTIAL_SUFFIX } from './partial-file';

/**
 * A partial file this process holds open for one stream of bytes from 0, with its hashing
 * sessions fed exactly up to the writer's position: the whole-file digests and the block
 * digests. A fresh partial has one session that keeps both (one message per buffer to its
 * thread instead of two); an existing one has two, because its prefix is checked against
 * the recorded blocks and fed to the file digest separately (partial-check.ts).
 */
export class LivePartial extends PartialFile {
  private closed = false;

  private constructor(
    path: string,
    fd: number,
    readonly fileHash: HashSession,
    readonly blockHash: HashSession,
    readonly writer: PartialWriter,
    /** Plain buffers from the pool (a small body's), given back once closed. */
    private readonly pooled: ArrayBuffer[] | null,
  ) {
    super(path, fd);
  }

  get position(): number {
    return this.writer.position;
  }

  /** An empty partial (created, or truncated if a previous attempt left bytes). */
  static async fresh(pool: HashPool, path: string, algorithms: DigestAlgorithm[], blockSize: number, expectedBytes: number | null): Promise<LivePartial> {
    const fd = isSmallBody(expectedBytes) ? openFdSync(path, 'fresh') : await openFd(path, 'fresh');
    return LivePartial.wrap(pool, path, fd, algorithms, blockSize, expectedBytes, true);
  }

  /** An existing partial, to be verified by the caller; its sessions start at 0. */
  static async open(pool: HashPool, path: string, algorithms: DigestAlgorithm[], blockSize: number, expectedBytes: number | null): Promise<LivePartial> {
    const fd = isSmallBody(expectedBytes) ? openFdSync(path, 'existing') : await openFd(path, 'existing');
    return LivePartial.wrap(pool, path, fd, algorithms, blockSize, expectedBytes, false);
  }

  private static wrap(pool: HashPool, path: string, fd: number, algorithms: DigestAlgorithm[], blockSize: number, expectedBytes: number | null, fresh: boolean): LivePartial {
    // A small body is hashed and written on this thread (small-body.ts). So is the hashing
    // of a fresh stream the pool lets hash here (HashPool.takesStreamInline); its writes stay
    // off the loop. An existing partial's check reads the file back: a thread does that.
    const small = isSmallBody(expectedBytes);
    const stream = !small && fresh && pool.takesStreamInline();
    const inline = small || stream;
    const buffers = allocateBuffers(expectedBytes, expectedBytes, small ? 'pooled' : stream ? 'plain' : 'shared');
    const pooled = small ? (buffers as ArrayBuffer[]) : null;
    if (fresh) {
      const [both] = pool.open([{ algorithms, blockSize }], buffers, { inline, stream }) as [HashSession];
      return new LivePartial(path, fd, both, both, new PartialWriter(fd, 0, buffers, [both], both, small), pooled);
    }
    const [fileHash, blockHash] = pool.open(
      [
        { algorithms, blockSize: 0 },
        { algorithms: [], blockSize },
      ],
      buffers,
      { inline },
    ) as [HashSession, HashSession];
    const writer = new PartialWriter(fd, 0, buffers, [fileHash, blockHash], blockHash, small);
    return new LivePartial(path, fd, fileHash, blockHash, writer, pooled);
  }

  /** Moves the writer to `offset` after its sessions were fed up to there from disk. */
  seek(offset: number): void {
    this.writer.position = offset;
  }

  /** Every byte written and fsynced; the whole-file digests by algorithm (ends that session). */
  async finalDigests(): Promise<Partial<Record<DigestAlgorithm, string>>> {
    await this.writer.drain();
    await this.sync();
    return this.fileHash.final();
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
    this.writer.retire();
    this.fileHash.close();
    this.blockHash.close();
    this.closeFd();
    // Nothing writes or hashes them now (drained, retired, sessions closed).
    if (this.pooled) giveBack(this.pooled);
  }
}
