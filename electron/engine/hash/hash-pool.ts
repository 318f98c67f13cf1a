import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DigestAlgorithm } from '../../common/integrity';
import { blockDigestsLoaded } from './block-digest';
import { type Session, handleHashMessage, mayNeedBlockHasher } from './hash-core';
import type { FromWorker, SnapshotReply, ToWorker, VerifyReply } from './protocol';

/**
 * A body this small is hashed on the engine's thread: at most about 0.16 ms a pass of
 * SHA-256 on the 2-core machine this was measured on, which the event loop can spare,
 * against two postMessages and two wake-ups per update to a hashing thread (issue 13).
 */
export const INLINE_HASH_MAX_BYTES = 256 << 10;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/** Where sessions run, and the bookkeeping of what it still owes us. */
abstract class HashHost {
  sessions = 0;
  /** Sessions of a stream larger than INLINE_HASH_MAX_BYTES (HashPool.takesStreamInline). */
  streams = 0;
  readonly requests = new Map<number, Pending>();
  readonly acks = new Map<number, (buffer: number) => void>();
  readonly failures = new Map<number, (error: Error) => void>();

  abstract send(message: ToWorker): void;
  /** Something is owed (a thread must keep the process alive until it answers). */
  abstract begin(): void;
  abstract end(): void;

  protected receive(message: FromWorker): void {
    if (message.op === 'ack') {
      this.acks.get(message.sid)?.(message.buffer);
      return;
    }
    const req = message.req;
    if (req === null) {
      this.failures.get(message.sid)?.(message.op === 'fail' ? workerError(message) : new Error('unexpected reply'));
      return;
    }
    const pending = this.requests.get(req);
    if (!pending) return;
    this.requests.delete(req);
    this.end();
    if (message.op === 'reply') pending.resolve(message.value);
    else pending.reject(workerError(message));
  }

  protected failAll(error: Error): void {
    for (const pending of this.requests.values()) pending.reject(error);
    this.requests.clear();
    for (const fail of this.failures.values()) fail(error);
  }
}

/** One hashing thread. */
class HashWorker extends HashHost {
  readonly worker: Worker;
  private outstanding = 0;

  constructor(script: string, onExit: (w: HashWorker) => void) {
    super();
    this.worker = new Worker(script);
    // A worker with nothing pending must not keep a finished CLI alive.
    this.worker.unref();
    this.worker.on('message', (message: FromWorker) => this.receive(message));
    this.worker.on('error', (error) => this.failAll(error));
    this.worker.on('exit', (code) => {
      this.failAll(new Error(`hashing thread exited (code ${code})`));
      onExit(this);
    });
  }

  send(message: ToWorker): void {
    this.worker.postMessage(message);
  }

  begin(): void {
    if (this.outstanding++ === 0) this.worker.ref();
  }

  end(): void {
    if (--this.outstanding === 0) this.worker.unref();
  }
}

/**
 * Sessions on the engine's own thread, for bodies so small that the round trip to a thread
 * (two postMessages and their wake-ups per update) costs more than hashing them here, and
 * for one fresh stream at a time (HashPool.takesStreamInline). The answers still arrive
 * asynchronously and in order, as a thread's would.
 */
class InlineHost extends HashHost {
  private readonly local = new Map<number, Session>();
  /**
   * XXH3-128 loads on this thread only for the first message that may start or check a
   * block digest other than a block 0 taken from the file's SHA-256 (hash-core.ts), so a run
   * of small files never loads it; that message and those after it wait, in order, until
   * it has, and get the answers a hashing thread would give.
   */
  private waiting: ToWorker[] | null = null;
  private loaded = false;
  send(message: ToWorker): void {
    if (this.waiting) this.waiting.push(message);
    else if (!this.loaded && mayNeedBlockHasher(message)) this.loadThen(message);
    else this.handle(message);
  }

  private loadThen(message: ToWorker): void {
    this.waiting = [message];
    void blockDigestsLoaded().then(() => {
      this.loaded = true;
      const queued = this.waiting ?? [];
      this.waiting = null;
      for (const m of queued) this.handle(m);
    });
  }

  private handle(message: ToWorker): void {
    const answer = handleHashMessage(this.local, message);
    if (answer) queueMicrotask(() => this.receive(answer));
  }

  begin(): void {}

  end(): void {}
}

let nextSession = 1;
let nextRequest = 1;

/**
 * A running digest computation on a hashing thread. Buffers are shared memory: the engine
 * fills buffer i, writes it to disk and calls update(i); the buffer may be reused once the
 * returned promise resolves.
 */
export class HashSession {
  readonly sid = nextSession++;
  /** Updates the thread has not acknowledged yet, per buffer, in order. */
  private readonly waitingAcks = new Map<number, Pending[]>();
  private broken: Error | null = null;
  private closed = false;

  constructor(
    private readonly host: HashHost,
    algorithms: DigestAlgorithm[],
    blockSize: number,
    start: number,
    buffers: SharedArrayBuffer[] | ArrayBuffer[],
    private readonly stream = false,
  ) {
    host.sessions++;
    if (stream) host.streams++;
    host.acks.set(this.sid, (buffer) => {
      const queue = this.waitingAcks.get(buffer);
      const done = queue?.shift();
      host.end();
      done?.resolve(undefined);
    });
    host.failures.set(this.sid, (error) => this.break(error));
    host.send({ op: 'open', sid: this.sid, algorithms, blockSize, start, buffers, ...(stream ? { stream: true as const } : {}) });
  }

  update(buffer: number, length: number): Promise<void> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      const queue = this.waitingAcks.get(buffer) ?? [];
      queue.push({ resolve: () => resolve(), reject });
      this.waitingAcks.set(buffer, queue);
      this.host.begin();
      this.host.send({ op: 'update', sid: this.sid, buffer, length });
    });
  }

  snapshot(): Promise<SnapshotReply> {
    return this.request<SnapshotReply>((req) => ({ op: 'snapshot', sid: this.sid, req }));
  }

  /** Feeds bytes [from, to) of a file, as if they had arrived; returns the blocks they completed. */
  feedFile(file: string, from: number, to: number): Promise<SnapshotReply> {
    return this.request<SnapshotReply>((req) => ({ op: 'feedFile', sid: this.sid, req, path: file, from, to }));
  }

  verify(file: string, from: number, upTo: number, expected: Array<string | null>, tail: string | null): Promise<VerifyReply> {
    return this.request<VerifyReply>((req) => ({ op: 'verify', sid: this.sid, req, path: file, from, upTo, expected, tail }));
  }

  /** The whole-file digests, by algorithm; ends the session. */
  async final(): Promise<Partial<Record<DigestAlgorithm, string>>> {
    const digests = await this.request<Partial<Record<DigestAlgorithm, string>>>((req) => ({ op: 'final', sid: this.sid, req }));
    this.release();
    return digests;
  }

  close(): void {
    if (this.closed) return;
    this.host.send({ op: 'close', sid: this.sid });
    this.release();
  }

  private release(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.sessions--;
    if (this.stream) this.host.streams--;
    this.host.acks.delete(this.sid);
    this.host.failures.delete(this.sid);
  }

  private break(error: Error): void {
    this.broken = error;
    for (const queue of this.waitingAcks.values()) for (const pending of queue) pending.reject(error);
    this.waitingAcks.clear();
  }

  private request<T>(build: (req: number) => ToWorker): Promise<T> {
    if (this.broken) return Promise.reject(this.broken);
    const req = nextRequest++;
    return new Promise<T>((resolve, reject) => {
      this.host.requests.set(req, { resolve: resolve as (v: unknown) => void, reject });
      this.host.begin();
      this.host.send(build(req));
    });
  }
}

/**
 * A few hashing threads shared by every transfer. A transfer's sessions (its whole-file and
 * block digests) share one thread: with block digests in XXH3-128 the thread hashes about
 * 1.5 GB/s, more than one download brings, and a second thread for the same bytes cost a
 * V8 isolate (10-15 MB of a 1 GiB download's peak) and a wake-up per buffer (issue 13).
 * A thread starts when every running one already hashes for another transfer, up to `size`;
 * none starts while what is hashed runs inline (small bodies, one fresh stream).
 */
export class HashPool {
  private workers: HashWorker[] = [];
  /**
   * Worker threads cannot load their script from inside an asar archive; the packaged app
   * keeps this one file unpacked beside it (package.json build.asarUnpack).
   */
  private readonly script = path.join(__dirname, 'hash-worker.js').replace(`app.asar${path.sep}`, `app.asar.unpacked${path.sep}`);
  private closed = false;
  private readonly inline = new InlineHost();

  constructor(private readonly size = 2) {}

  /**
   * Sessions for one transfer, on one thread: an idle one, else a new one while fewer than
   * `size` run, else the least busy; or, with `inline`, on the calling thread: a body of at
   * most INLINE_HASH_MAX_BYTES, or with `stream` the stream takesStreamInline allowed.
   */
  open(
    specs: Array<{ algorithms: DigestAlgorithm[]; blockSize: number; start?: number }>,
    buffers: SharedArrayBuffer[] | ArrayBuffer[],
    options: { inline?: boolean; stream?: boolean } = {},
  ): HashSession[] {
    if (this.closed) throw new Error('the hash pool is closed');
    // A thread given plain memory would hash a copy made at open, never the bytes written later.
    if (!options.inline && buffers.some((b) => !(b instanceof SharedArrayBuffer))) throw new Error('a hashing thread needs shared buffers');
    const host = options.inline ? this.inline : this.thread();
    const stream = options.inline === true && options.stream === true;
    return specs.map((spec) => new HashSession(host, spec.algorithms, spec.blockSize, spec.start ?? 0, buffers, stream));
  }

  /**
   * Whether a fresh stream of bytes larger than INLINE_HASH_MAX_BYTES (hashed as it
   * arrives, never read back from a file) should hash on the calling thread: yes while no
   * other such stream does. SHA-256 and XXH3-128 cost that thread about 0.6 ms a MiB, which
   * one stream's event loop can spare; a hashing thread for it cost a V8 isolate (about 15 MB
   * of a 1 GiB download's peak RSS) and more CPU than the hashing it took over (a
   * postMessage, an acknowledgement and two wake-ups per MiB). A second stream at once goes
   * to the threads, so that several fast downloads still hash in parallel (issue 13).
   * Reading a file back (a resumed partial's check) always goes to a thread: a read of
   * gigabytes must not hold the event loop.
   */
  takesStreamInline(): boolean {
    return !this.closed && this.inline.streams === 0;
  }

  private thread(): HashWorker {
    this.warm();
    const idle = this.workers.find((w) => w.sessions === 0);
    if (idle) return idle;
    if (this.workers.length < this.size) return this.start();
    return [...this.workers].sort((a, b) => a.sessions - b.sessions)[0]!;
  }

  private start(): HashWorker {
    const worker = new HashWorker(this.script, (w) => (this.workers = this.workers.filter((x) => x !== w)));
    this.workers.push(worker);
    return worker;
  }

  /**
   * Starts a thread now rather than at the first transfer: a thread takes tens of
   * milliseconds to boot, which the first request's round trip can hide. Safe to call twice.
   */
  warm(): void {
    if (!this.closed && this.workers.length === 0) this.start();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    this.workers = [];
  }
}

/** A failure from a hashing thread, with its errno code kept (a deleted file is ENOENT, not "internal"). */
function workerError(message: { message: string; code?: string }): Error {
  const error = new Error(message.message) as NodeJS.ErrnoException;
  if (message.code) error.code = message.code;
  return error;
}
