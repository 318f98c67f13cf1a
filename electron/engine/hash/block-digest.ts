/**
 * Block digests: one per block of a partial (or of an upload's sent prefix), recorded as
 * the bytes become durable and compared when a session resumes, so a block that changed
 * on disk between sessions is noticed and fetched again (DESIGN.md section 3, rule 8).
 *
 * They only have to notice change, not stand up to an adversary: the verdict on the bytes
 * is the whole-file SHA-256 (and a reference, when there is one). So new blocks get
 * XXH3-128, about 0.17 CPU-s a GiB here against SHA-256's 0.6: a second SHA-256 pass over
 * every byte was a quarter of a verified download's CPU (issue 13). Each digest says what
 * it is by its length (32 hex digits: XXH3-128; 64: SHA-256), so partials recorded before
 * keep being checked with SHA-256 and a session can hold both.
 *
 * XXH3-128 comes from hash-wasm's WebAssembly, which loads asynchronously and only when a
 * thread asks (blockDigestsLoaded): a run of small files never needs it (hash-core.ts:
 * their one block's digest is the file's SHA-256).
 * Until it has loaded on a thread, that thread's new blocks get SHA-256 (hashing threads
 * wait for it before their first message, so only the engine's own thread can).
 */
import { type Hash, createHash } from 'node:crypto';
import type { IHasher } from 'hash-wasm';
import { createXXHash128 } from 'hash-wasm/dist/xxhash128.umd.min.js';

/** A running digest of one block. */
export interface BlockHasher {
  update(bytes: Uint8Array): void;
  /** The digest of the bytes so far; the hasher can go on (a tail digest at a checkpoint). */
  peek(): string;
  /** The digest; the hasher is done. */
  digest(): string;
}

const XXH_HEX = 32;
const SHA256_HEX = 64;

/** One XXH3-128 instance per thread; each block keeps its own state and loads it for a turn. */
let xxh: IHasher | null = null;
let loading: Promise<void> | null = null;

/** Loads XXH3-128 on this thread (once); settles when new blocks get it. */
export function blockDigestsLoaded(): Promise<void> {
  loading ??= createXXHash128().then(
    (hasher) => void (xxh = hasher),
    () => undefined, // no WebAssembly: every block gets SHA-256, which is only slower
  );
  return loading;
}

class XxhBlock implements BlockHasher {
  private state: Uint8Array;

  constructor(private readonly h: IHasher) {
    this.state = h.init().save();
  }

  update(bytes: Uint8Array): void {
    this.state = this.h.load(this.state).update(bytes).save();
  }

  peek(): string {
    return this.h.load(this.state).digest('hex');
  }

  digest(): string {
    return this.peek();
  }
}

class ShaBlock implements BlockHasher {
  private readonly h: Hash = createHash('sha256');

  update(bytes: Uint8Array): void {
    this.h.update(bytes);
  }

  peek(): string {
    return this.h.copy().digest('hex');
  }

  digest(): string {
    return this.h.digest('hex');
  }
}

/**
 * A hasher for a new block. `like`: a digest already recorded for it (a block being
 * checked or continued), whose algorithm it must use; null for a block never seen.
 */
export function blockHasher(like: string | null = null): BlockHasher {
  if (like !== null && like.length === SHA256_HEX) return new ShaBlock();
  if (like !== null && like.length === XXH_HEX && !xxh) throw new Error('a block digest is XXH3-128 but XXH3-128 has not loaded on this thread');
  return xxh ? new XxhBlock(xxh) : new ShaBlock();
}

/** The digest of `bytes` as one block, with the algorithm of `like` (a recorded digest). */
export function blockDigestOf(bytes: Uint8Array, like: string): string {
  const h = blockHasher(like);
  h.update(bytes);
  return h.digest();
}
