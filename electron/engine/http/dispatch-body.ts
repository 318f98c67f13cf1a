import { readFromSocket } from '../core/collections';

/** How undici lets a handler steer its connection: pause and resume reading, or abort the request. */
export interface BodyControl {
  resume: () => void;
  abort: (reason: Error) => void;
}

/**
 * Bytes a body may hold unread before the socket is paused. One socket read is 64 KiB;
 * a few of them let the reader fall briefly behind without stopping the connection, and
 * the memory a slow disk can make a download hold stays that small (issue 13: RSS).
 */
const HIGH_WATER_BYTES = 256 << 10;

type Waiter = { resolve: (result: IteratorResult<Uint8Array>) => void; reject: (error: Error) => void };

const DONE: IteratorResult<Uint8Array> = { done: true, value: undefined };

/**
 * A response body fed straight by undici's dispatch handler, read as an async iterator.
 * It replaces undici.request's Node Readable: that stream's buffering, events and async
 * iterator cost more CPU per chunk than the hashing of it (bench/transport, issue 13).
 * Chunks are the socket's own reads, handed on without a copy.
 *
 * Reading ends in one of three ways: the server's end (`end`), a failure (`fail`), or the
 * reader stopping early (`return`, as a `break` out of for-await does), which aborts the
 * request so an unread body never holds its connection.
 */
export class DispatchBody implements AsyncIterableIterator<Uint8Array> {
  private readonly chunks: Uint8Array[] = [];
  private head = 0;
  private queued = 0;
  private paused = false;
  private ended = false;
  private error: Error | null = null;
  private waiter: Waiter | null = null;
  /** Bytes that arrived after a discard (read to the end so the connection can be reused). */
  private dumped = 0;
  private dumpLimit = -1;
  private dumpTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly releaseHooks: Array<() => void> = [];
  private released = false;

  constructor(private readonly control: BodyControl) {}

  /** Whether the body has ended, failed or been given up. */
  get settled(): boolean {
    return this.ended || this.error !== null;
  }

  /**
   * Runs `hook` once the reader is done with the body: it ended, failed or was discarded
   * (at once if that has happened). A discarded body may still be read to its end in the
   * background; that is the connection's business, not the reader's.
   */
  onReleased(hook: () => void): void {
    if (this.released) hook();
    else this.releaseHooks.push(hook);
  }

  /** A chunk from the socket; false asks undici to pause reading until `resume`. */
  push(chunk: Uint8Array): boolean {
    readFromSocket(chunk.length);
    if (this.settled) return true;
    if (this.dumpLimit >= 0) {
      this.dumped += chunk.length;
      if (this.dumped > this.dumpLimit) this.giveUp(new Error('discarded body is larger than expected'));
      return true;
    }
    if (this.waiter) {
      const { resolve } = this.waiter;
      this.waiter = null;
      resolve({ done: false, value: chunk });
      return true;
    }
    this.chunks.push(chunk);
    this.queued += chunk.length;
    if (this.queued >= HIGH_WATER_BYTES) this.paused = true;
    return !this.paused;
  }

  /** The server sent the whole body. */
  end(): void {
    if (this.settled) return;
    this.ended = true;
    if (this.waiter && this.head === this.chunks.length) {
      const { resolve } = this.waiter;
      this.waiter = null;
      resolve(DONE);
    }
    this.settle();
  }

  /** The request failed (the connection broke, it was aborted). Chunks already queued are dropped. */
  fail(error: Error): void {
    if (this.settled) return;
    this.error = error;
    this.chunks.length = 0;
    this.head = 0;
    this.queued = 0;
    if (this.waiter) {
      const { reject } = this.waiter;
      this.waiter = null;
      reject(error);
    }
    this.settle();
  }

  /**
   * Stops reading. A small remainder of known size (an error page, at most `limit` bytes) is
   * read to its end and dropped, so the connection can carry the next request; anything else
   * aborts the request, which closes its connection.
   */
  discard(limit: number, timeoutMs: number): void {
    if (this.settled || this.dumpLimit >= 0) return;
    this.chunks.length = 0;
    this.head = 0;
    this.queued = 0;
    if (limit < 0) {
      this.giveUp(new Error('response body discarded'));
      return;
    }
    this.dumpLimit = limit;
    // A rest that the server never completes must not hold the connection forever.
    this.dumpTimer = setTimeout(() => this.giveUp(new Error('discarded body did not end')), timeoutMs);
    this.dumpTimer.unref();
    this.release();
    this.wake();
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.head < this.chunks.length) {
      const value = this.chunks[this.head]!;
      this.chunks[this.head++] = EMPTY;
      this.queued -= value.length;
      if (this.head === this.chunks.length) {
        this.chunks.length = 0;
        this.head = 0;
      }
      if (this.paused && this.queued < HIGH_WATER_BYTES / 2) this.wake();
      return Promise.resolve({ done: false, value });
    }
    if (this.error) return Promise.reject(this.error);
    if (this.ended) return Promise.resolve(DONE);
    if (this.waiter) return Promise.reject(new Error('a response body is read by one reader at a time'));
    this.wake();
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** The reader stopped early (break, or an exception in its loop): an unread body aborts its request. */
  return(): Promise<IteratorResult<Uint8Array>> {
    if (!this.settled) this.giveUp(new Error('response body abandoned'));
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private wake(): void {
    if (!this.paused) return;
    this.paused = false;
    this.control.resume();
  }

  /** Ends the body with `reason` and aborts its request (a cancel, a stall, an unread rest). */
  giveUp(reason: Error): void {
    if (this.settled) return;
    this.fail(reason);
    this.control.abort(reason);
  }

  private settle(): void {
    if (this.dumpTimer) clearTimeout(this.dumpTimer);
    this.release();
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    for (const hook of this.releaseHooks.splice(0)) hook();
  }
}

const EMPTY = new Uint8Array(0);
