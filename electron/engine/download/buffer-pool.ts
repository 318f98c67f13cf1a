/**
 * Plain write buffers of small bodies (hashed on the engine's thread: small-body.ts), kept
 * for the next file instead of left to the collector. A buffer per file made thousands of
 * short-lived 16 KiB allocations outside the JavaScript heap: the collector freed them
 * late (tens of megabytes waiting at a time) and malloc kept what they fragmented, so a
 * 10,000-file run peaked about 70 MB above a 2,000-file one (issue 13: memory must follow
 * the transfers active, not those queued). Sizes are powers of two so files of similar
 * sizes share them; what is kept is capped, so a burst of large ones does not stay.
 */
const MIN_BYTES = 4096;
const KEPT_MAX_BYTES = 4 << 20;

const kept = new Map<number, ArrayBuffer[]>();
let keptBytes = 0;

/** The size a buffer for `bytes` gets: the next power of two, at least 4 KiB. */
export function pooledSize(bytes: number): number {
  return Math.max(MIN_BYTES, 2 ** Math.ceil(Math.log2(Math.max(1, bytes))));
}

/** A plain buffer of `pooledSize(bytes)`, reused when one was given back. Its old bytes stay: only what is written into it is read. */
export function takeBuffer(bytes: number): ArrayBuffer {
  const size = pooledSize(bytes);
  const reused = kept.get(size)?.pop();
  if (!reused) return new ArrayBuffer(size);
  keptBytes -= size;
  return reused;
}

/** Buffers nothing reads or writes any more (their writer drained and retired). */
export function giveBack(buffers: readonly ArrayBuffer[]): void {
  for (const buffer of buffers) {
    const size = buffer.byteLength;
    if (size !== pooledSize(size) || keptBytes + size > KEPT_MAX_BYTES) continue;
    const list = kept.get(size) ?? [];
    list.push(buffer);
    kept.set(size, list);
    keptBytes += size;
  }
}
