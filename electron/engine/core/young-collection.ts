import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Bytes read from sockets between two young-generation collections.
 *
 * Why a download asks for collections at all: Node reads a socket into memory it allocates
 * for each read (64 KiB, outside V8's heap, from malloc) and frees it only when the
 * collector finds the read's Buffer dead. A download makes little JavaScript garbage per
 * read, so young collections come rarely, only when V8 notices the outside memory: tens of
 * megabytes of dead reads pile up in between, and malloc keeps its heap at that high-water
 * mark. Measured on a 1 GiB `ferry get` (issue 13): peak RSS 128 MB, of which 35 MB was
 * malloc's heap; with a young collection every few megabytes, 96 MB, and the same CPU
 * (a young collection with almost nothing alive costs well under a millisecond, and fewer
 * full collections run).
 */
export const YOUNG_COLLECTION_BYTES = 4 << 20;

type Collect = (options: { type: 'minor' }) => void;

let collect: Collect | null | undefined;

/**
 * V8's collector, exposed once. Jest does the same to find leaks: a context created after
 * `--expose-gc` is set gets `gc`. Where that is refused, memory behaves as before.
 */
function collector(): Collect | null {
  if (collect !== undefined) return collect;
  try {
    const exposed = (globalThis as { gc?: Collect }).gc;
    if (exposed) collect = exposed;
    else {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as Collect;
    }
  } catch {
    collect = null;
  }
  return collect;
}

let sinceCollection = 0;

/** Counts `bytes` read from a socket; every YOUNG_COLLECTION_BYTES, collects the young generation. */
export function readFromSocket(bytes: number): void {
  sinceCollection += bytes;
  if (sinceCollection < YOUNG_COLLECTION_BYTES) return;
  sinceCollection = 0;
  collector()?.({ type: 'minor' });
}
