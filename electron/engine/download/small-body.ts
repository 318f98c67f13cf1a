import { INLINE_HASH_MAX_BYTES } from '../hash/hash-pool';

/**
 * Whether a body is small enough (its size known) that its file work runs on the engine's
 * thread: its partial created, written, linked to its final name and unlinked with
 * synchronous calls, as it is hashed there (hash-pool.ts). Each call sent off the loop
 * costs a hop to libuv's thread pool and back, a futex wake, two context switches and a
 * callback, several times the few microseconds the call itself takes on a file this
 * small; thousands of small files were mostly such hops (issue 13: about 26 thread
 * wake-ups a file). Only fsync, which waits for the disk, stays off the loop.
 */
export function isSmallBody(total: number | null): total is number {
  return total !== null && total <= INLINE_HASH_MAX_BYTES;
}
