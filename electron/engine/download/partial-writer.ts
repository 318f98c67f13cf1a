import * as fs from 'node:fs';
import type { HashSession } from '../hash/hash-pool';
import type { SnapshotReply } from '../hash/protocol';
import { DiskError } from '../core/failure';
import { takeBuffer } from './buffer-pool';

export const WRITE_BUFFER_SIZE = 1 << 20;
const BUFFER_COUNT = 4;

/** A transfer's write buffers: shared memory when a hashing thread reads them, plain memory when its hashing runs inline. */
export type WriteBuffers = SharedArrayBuffer[] | ArrayBuffer[];

/**
 * Where a transfer's buffers come from:
 *  - `shared`: a hashing thread reads them (HashPool.open without `inline`), so they must be
 *    shared memory;
 *  - `pooled`: a small body hashed on this thread (small-body.ts), in plain memory from the
 *    pool, which the partial gives them back to once closed (shared memory from thousands
 *    of small files waited for full collections: 50 MB of a 10,000-file run's peak; issue 13);
 *  - `plain`: a large stream hashed on this thread (HashPool.takesStreamInline), in plain
 *    memory left to the collector: four 1 MiB buffers would fill the pool's whole cap.
 */
export type BufferKind = 'shared' | 'pooled' | 'plain';

/**
 * Buffers for one transfer: the same memory is written to disk and hashed. `bufferBytes`
 * caps each buffer's size; `bodyBytes` is how much will pass through them, when known.
 */
export function allocateBuffers(bufferBytes: number | null, bodyBytes: number | null = bufferBytes, kind: BufferKind = 'shared'): WriteBuffers {
  // A small file does not need four megabytes of buffers.
  const size = bufferBytes !== null && bufferBytes < WRITE_BUFFER_SIZE ? Math.max(bufferBytes, 4096) : WRITE_BUFFER_SIZE;
  // Nor four buffers, when its whole body fits in one: memory that thousands of small files
  // would otherwise leave for the collector (64 KB each at 16 KiB a file; bench:many-small, issue 13).
  const count = bodyBytes !== null && bodyBytes <= size ? 1 : BUFFER_COUNT;
  if (kind === 'shared') return Array.from({ length: count }, () => new SharedArrayBuffer(size));
  return Array.from({ length: count }, () => (kind === 'pooled' ? takeBuffer(size) : new ArrayBuffer(size)));
}

/** What a retired writer throws: one error for all (a stack captured per file cost about 10 us). */
const RETIRED = new Error('the partial file was closed');

/**
 * Appends a response body to the partial file at `position`, in large buffers so each
 * byte costs one copy, one pwrite and one pass of each hasher. Memory is constant: when
 * every buffer is still being written or hashed, write() waits, which stops reading the
 * socket (backpressure).
 */
export class PartialWriter {
  private readonly views: Buffer[];
  private readonly free: number[];
  private readonly waiters: Array<() => void> = [];
  /** Writes on their way, each settling to its own failure (null: written and hashed). */
  private readonly inflight = new Set<Promise<Error | null>>();
  private current = -1;
  private fill = 0;
  private failure: Error | null = null;
  /** Bytes accepted so far, counted from the start of the file. */
  position: number;

  constructor(
    private readonly fd: number,
    start: number,
    buffers: WriteBuffers,
    private readonly hashers: HashSession[],
    private readonly blockHasher: HashSession,
    /** Write on this thread, not through the thread pool: a small body (small-body.ts). */
    private readonly syncWrites = false,
  ) {
    this.position = start;
    this.views = buffers.map((b) => Buffer.from(b));
    this.free = buffers.map((_, i) => i);
  }

  /**
   * Drained, the writer takes no more bytes, so its buffers may serve another file
   * (buffer-pool.ts): a write after this throws instead of touching them.
   */
  retire(): void {
    this.failure ??= RETIRED;
    this.current = -1;
    this.fill = 0;
  }

  async write(chunk: Uint8Array): Promise<void> {
    let at = 0;
    while (at < chunk.length) {
      if (this.failure) throw this.failure;
      if (this.current < 0) this.current = await this.acquire();
      const view = this.views[this.current]!;
      const n = Math.min(view.length - this.fill, chunk.length - at);
      view.set(chunk.subarray(at, at + n), this.fill);
      this.fill += n;
      at += n;
      this.position += n;
      if (this.fill === view.length) this.dispatch();
    }
  }

  /**
   * Sends what is buffered on its way and returns a checkpoint candidate: the position, the
   * block digests up to it, and a promise that settles when every byte below it is written.
   * The snapshot request is queued right behind the updates it describes, so the digests
   * describe exactly the bytes below `offset` even while new bytes keep arriving.
   */
  mark(): { offset: number; written: Promise<void>; blocks: Promise<SnapshotReply> } {
    this.dispatch();
    // A write below the mark that failed fails the checkpoint too: a checkpoint must never
    // record bytes that are not on disk (after a full disk they would be "missing" and thrown
    // away). A write after the mark that fails says nothing about the bytes below it: those
    // are kept (the disk filled up mid-body: the checkpoint before it stands, disk-full.test).
    const failedBefore = this.failure;
    const written = Promise.all([...this.inflight]).then((outcomes) => {
      const failed = failedBefore ?? outcomes.find((outcome) => outcome !== null);
      if (failed) throw failed;
    });
    return { offset: this.position, written, blocks: this.blockHasher.snapshot() };
  }

  /** Everything written and hashed; throws the first disk or hashing failure. */
  async drain(): Promise<void> {
    this.dispatch();
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
    if (this.failure) throw this.failure;
  }

  private dispatch(): void {
    if (this.current < 0 || this.fill === 0) return;
    const index = this.current;
    const length = this.fill;
    const offset = this.position - length;
    this.current = -1;
    this.fill = 0;
    const view = this.views[index]!;
    const written = this.syncWrites
      ? writeAllSync(this.fd, view, length, offset)
      : new Promise<void>((resolve, reject) => {
          writeAll(this.fd, view, length, offset, (error) => (error ? reject(error) : resolve()));
        });
    const hashed = this.hashers.map((h) => h.update(index, length));
    const task: Promise<Error | null> = Promise.all([written, ...hashed]).then(
      () => {
        this.inflight.delete(task);
        this.release(index);
        return null;
      },
      (error: unknown) => {
        this.inflight.delete(task);
        const failure = toDiskError(error);
        this.failure ??= failure;
        this.release(index);
        return failure;
      },
    );
    this.inflight.add(task);
  }

  private acquire(): Promise<number> {
    const index = this.free.pop();
    if (index !== undefined) return Promise.resolve(index);
    return new Promise((resolve) => this.waiters.push(() => resolve(this.free.pop()!)));
  }

  private release(index: number): void {
    this.free.push(index);
    this.waiters.shift()?.();
  }
}

function writeAll(fd: number, buffer: Buffer, length: number, position: number, done: (error: Error | null) => void): void {
  let at = 0;
  const step = (): void => {
    fs.write(fd, buffer, at, length - at, position + at, (error, n) => {
      if (error) return done(error);
      at += n;
      if (at < length) step();
      else done(null);
    });
  };
  step();
}

/** writeAll on this thread; a failure is a rejection, as from the thread pool. */
function writeAllSync(fd: number, buffer: Buffer, length: number, position: number): Promise<void> {
  try {
    for (let at = 0; at < length; ) {
      const n = fs.writeSync(fd, buffer, at, length - at, position + at);
      if (n === 0) throw Object.assign(new Error('a write made no progress'), { code: 'EIO' });
      at += n;
    }
    return Promise.resolve();
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

function toDiskError(error: unknown): Error {
  const code = typeof error === 'object' && error && 'code' in error ? String((error as { code: unknown }).code) : '';
  if (code) return new DiskError(code, error instanceof Error ? error.message : String(error));
  return error instanceof Error ? error : new Error(String(error));
}
