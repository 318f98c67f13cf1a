import { getHeapStatistics, setFlagsFromString } from 'node:v8';
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

/**
 * Bytes read from sockets between two looks at the heap's size (a look costs about 0.3 us).
 * 1 MiB is 64 files of 16 KiB.
 */
export const HEAP_LOOK_BYTES = 1 << 20;

/** Below this much heap in use, V8 is left to decide when to collect the old generation. */
export const OLD_COLLECTION_FLOOR_BYTES = 48 << 20;

/**
 * Whether to start a full collection now: the heap in use has grown past twice what was
 * live after the last one this module started (or past the floor, whichever is more).
 *
 * Why: V8 lets the old generation grow by up to four times what was live before it
 * collects, and picks the larger factors when the program allocates fast and collections
 * are cheap, which a run of thousands of small files is. Measured on `ferry get` of
 * 10,000 x 16 KiB files (issue 13): about 20 MB live, yet 60-130 MB in use before V8's own
 * full collections, and peak RSS grew with the number of files (125 MB at 2,000, 197-218
 * at 10,000, 251 at 20,000), not with the 16 active. The cost, measured with --trace-gc on
 * the same run: 7-8 full collections instead of V8's own 3, each pausing the engine's
 * thread 3-16 ms (15-17 MB live), about 1% of the run's CPU; peak RSS 140-148 MB against
 * 161-181 without (four interleaved pairs).
 */
export function oldCollectionDue(inUse: number, liveAfterLast: number): boolean {
  return inUse >= Math.max(OLD_COLLECTION_FLOOR_BYTES, 2 * liveAfterLast);
}

type Collect = (options: { type: 'minor' } | { type: 'major'; execution: 'async' }) => Promise<void> | undefined;

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

/**
 * When to ask V8 for which collection, from the bytes the engine reads and the heap in use;
 * `inUse` and `collect` are V8's (the process-wide pacer below) or a test's.
 */
export class CollectionPacer {
  private sinceYoung = 0;
  private sinceLook = 0;
  /** Heap in use after the last full collection started here; null while one runs. */
  private liveAfterOld: number | null = 0;

  constructor(
    private readonly inUse: () => number,
    private readonly collect: () => Collect | null,
  ) {}

  /**
   * Starts a full collection if oldCollectionDue. Called every HEAP_LOOK_BYTES read, and by
   * work that makes garbage without reading sockets (adding thousands of transfers).
   */
  look(): void {
    if (this.liveAfterOld === null || !oldCollectionDue(this.inUse(), this.liveAfterOld)) return;
    const running = this.collect()?.({ type: 'major', execution: 'async' });
    if (!running) return;
    this.liveAfterOld = null;
    const measure = (): void => {
      this.liveAfterOld = this.inUse();
    };
    running.then(measure, measure);
  }

  /**
   * Counts `bytes` read from a socket: every YOUNG_COLLECTION_BYTES, collects the young
   * generation; every HEAP_LOOK_BYTES, looks at the heap.
   */
  socketRead(bytes: number): void {
    this.sinceYoung += bytes;
    this.sinceLook += bytes;
    if (this.sinceLook >= HEAP_LOOK_BYTES) {
      this.sinceLook = 0;
      this.look();
    }
    if (this.sinceYoung < YOUNG_COLLECTION_BYTES) return;
    this.sinceYoung = 0;
    void this.collect()?.({ type: 'minor' });
  }
}

const pacer = new CollectionPacer(() => getHeapStatistics().used_heap_size, collector);

/** CollectionPacer.look for this process. */
export function lookAtHeap(): void {
  pacer.look();
}

/** CollectionPacer.socketRead for this process. */
export function readFromSocket(bytes: number): void {
  pacer.socketRead(bytes);
}
