/**
 * What a hashing session does, wherever it runs: on a hashing thread (hash-worker.ts) for
 * big files, or on the engine's own thread for a body small enough that a round trip to a
 * thread costs more than hashing it (hash-pool.ts). Each session keeps whole-file digests,
 * block digests (one per `blockSize` bytes, aligned to offset 0: block-digest.ts), or both.
 */
import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';
import { type BlockHasher, blockHasher } from './block-digest';
import type { FromWorker, SnapshotReply, ToWorker, VerifyReply } from './protocol';

const READ_SIZE = 1 << 20;

export class Session {
  readonly files: Array<[string, Hash]>;
  block: BlockHasher | null;
  /**
   * The file's SHA-256 while it is also block 0's digest: a session that keeps both from
   * offset 0 takes block 0's digest (and its tail) from the file's hash, so a body within
   * one block, a small file, is hashed once instead of twice (issue 13). A SHA-256 block
   * digest is one verify() knows by its length.
   */
  private block0: Hash | null;
  offset = 0;
  completed: Array<[number, string]> = [];

  constructor(
    algorithms: string[],
    readonly blockSize: number,
    start: number,
    readonly buffers: Uint8Array[],
  ) {
    this.offset = start;
    this.files = algorithms.map((a) => [a, createHash(a)]);
    this.block0 = start === 0 && blockSize > 0 ? (this.files.find(([a]) => a === 'sha256')?.[1] ?? null) : null;
    this.block = blockSize > 0 && !this.block0 ? blockHasher() : null;
  }

  feed(bytes: Uint8Array): void {
    if (this.block0) {
      const take = Math.min(this.blockSize - this.offset, bytes.length);
      this.feedFiles(bytes.subarray(0, take));
      if (this.offset < this.blockSize) return;
      this.completed.push([0, this.block0.copy().digest('hex')]);
      this.block0 = null;
      this.block = blockHasher();
      bytes = bytes.subarray(take);
    }
    for (const [, h] of this.files) h.update(bytes);
    if (!this.block) {
      this.offset += bytes.length;
      return;
    }
    let at = 0;
    while (at < bytes.length) {
      const room = this.blockSize - (this.offset % this.blockSize);
      const take = Math.min(room, bytes.length - at);
      this.block.update(bytes.subarray(at, at + take));
      at += take;
      this.offset += take;
      if (this.offset % this.blockSize === 0) {
        this.completed.push([this.offset / this.blockSize - 1, this.block.digest()]);
        this.block = blockHasher();
      }
    }
  }

  /** Checked blocks go on from here (verify): block 0 no longer comes from the file's hash. */
  continueBlock(at: number, block: BlockHasher): void {
    this.offset = at;
    this.block = block;
    this.block0 = null;
  }

  private feedFiles(bytes: Uint8Array): void {
    for (const [, h] of this.files) h.update(bytes);
    this.offset += bytes.length;
  }

  snapshot(): SnapshotReply {
    const atBoundary = this.offset % this.blockSize === 0;
    const open = this.block0 ?? this.block;
    const tail = atBoundary || !open ? null : this.block0 ? this.block0.copy().digest('hex') : this.block!.peek();
    const reply = { offset: this.offset, blocks: this.completed, tail };
    this.completed = [];
    return reply;
  }
}

/**
 * Whether a message may start or check a block digest that is not block 0 taken from the
 * file's SHA-256 (Session.block0): a block-only session, one that starts past 0, a file
 * fed or checked. A session from 0 with SHA-256 needs another only for a body longer than
 * one block: a stream, which says so and waits for XXH3-128 (without it, a stream on the
 * thread of an app whose transport never loaded XXH3-128 gave every block after the first a
 * SHA-256 digest: a second SHA-256 pass, and other digests than a thread's; found in
 * review), or in tests a small body over their small blocks, whose block 1 on gets SHA-256
 * digests on the engine's thread if it has not loaded XXH3-128 yet (block-digest.ts).
 */
export function mayNeedBlockHasher(message: ToWorker): boolean {
  if (message.op === 'open') return message.stream === true || (message.blockSize > 0 && !(message.start === 0 && message.algorithms.includes('sha256')));
  return message.op === 'verify' || message.op === 'feedFile';
}

/** One read buffer per thread, made at the first read (the engine's thread may never need it). */
let scratch: Buffer | null = null;

function readRange(path: string, from: number, to: number, each: (bytes: Buffer) => void): boolean {
  scratch ??= Buffer.allocUnsafe(READ_SIZE);
  const buffer = scratch;
  const fd = fs.openSync(path, 'r');
  try {
    let pos = from;
    while (pos < to) {
      const n = fs.readSync(fd, buffer, 0, Math.min(READ_SIZE, to - pos), pos);
      if (n === 0) return false;
      each(buffer.subarray(0, n));
      pos += n;
    }
    return true;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Re-hashes the complete blocks and the tail of a partial and compares them with the
 * recorded digests, each with the algorithm it was recorded with. The block session is
 * left positioned at `upTo` when everything is intact, so new bytes continue the same
 * block digests.
 */
export function verify(session: Session, path: string, from: number, upTo: number, expected: Array<string | null>, tail: string | null): VerifyReply {
  const size = session.blockSize;
  const bad: number[] = [];
  const first = Math.floor(from / size);
  let index = first;
  const complete = Math.floor(upTo / size);
  const hasherFor = (i: number): BlockHasher => blockHasher(i < complete ? (expected[i - first] ?? null) : tail);
  let hash = hasherFor(index);
  let inBlock = 0;
  const whole = readRange(path, from, upTo, (bytes) => {
    let at = 0;
    while (at < bytes.length) {
      const take = Math.min(size - inBlock, bytes.length - at);
      hash.update(bytes.subarray(at, at + take));
      at += take;
      inBlock += take;
      if (inBlock === size) {
        if (hash.digest() !== expected[index - first]) bad.push(index);
        index++;
        inBlock = 0;
        hash = hasherFor(index);
      }
    }
  });
  if (!whole) return { bad, short: true };
  if (upTo % size !== 0 && hash.peek() !== tail) bad.push(complete);
  session.completed = [];
  if (bad.length === 0) session.continueBlock(upTo, hash);
  return { bad, short: false };
}

/**
 * Carries out one message for `sessions`; answers what goes back (null: nothing, as for
 * open and close). Never throws: a failure is a `fail` answer with its errno code.
 */
export function handleHashMessage(sessions: Map<number, Session>, message: ToWorker): FromWorker | null {
  const req = 'req' in message ? message.req : null;
  try {
    if (message.op === 'open') {
      sessions.set(message.sid, new Session(message.algorithms, message.blockSize, message.start, message.buffers.map((b) => new Uint8Array(b))));
      return null;
    }
    const session = sessions.get(message.sid);
    if (!session) throw new Error(`no hashing session ${message.sid}`);
    switch (message.op) {
      case 'update':
        session.feed(session.buffers[message.buffer]!.subarray(0, message.length));
        return { op: 'ack', sid: message.sid, buffer: message.buffer };
      case 'snapshot':
        return { op: 'reply', sid: message.sid, req: message.req, value: session.snapshot() };
      case 'feedFile': {
        if (session.offset !== message.from) throw new Error(`feed from ${message.from} but the session is at ${session.offset}`);
        const whole = readRange(message.path, message.from, message.to, (bytes) => session.feed(bytes));
        if (!whole) throw new Error(`the partial file ended before byte ${message.to}`);
        return { op: 'reply', sid: message.sid, req: message.req, value: session.snapshot() };
      }
      case 'verify':
        return { op: 'reply', sid: message.sid, req: message.req, value: verify(session, message.path, message.from, message.upTo, message.expected, message.tail) };
      case 'final': {
        const digests: Record<string, string> = {};
        for (const [algorithm, h] of session.files) digests[algorithm] = h.digest('hex');
        sessions.delete(message.sid);
        return { op: 'reply', sid: message.sid, req: message.req, value: digests };
      }
      case 'close':
        sessions.delete(message.sid);
        return null;
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | null)?.code;
    return { op: 'fail', sid: message.sid, req, message: error instanceof Error ? error.message : String(error), ...(typeof code === 'string' ? { code } : {}) };
  }
}
