/** Reads up to this size may be made on the event loop (LoopReads). */
export const READ_ON_LOOP = 64 << 10;

/** A read on the loop slower than this came from the device, not the page cache. */
export const SLOW_READ_MS = 0.25;

/** How long a device whose read was slow gets its reads through the thread pool. */
export const SLOW_FOR_MS = 5000;

/**
 * Whether a small read of a local file is made on the event loop. From the page cache it
 * takes microseconds, less than the thread pool's round trip and back (issue 13: six
 * round trips a small upload cost more than the calls). From the device it waits on the
 * disk, and the loop, with every transfer on it, waits too: 2,000 sources of 16 KiB not in
 * the cache, on this project's machine's virtio disk, blocked the loop 0.48 ms a read,
 * 960 ms in all, one read at a time where the pool makes four at once. So a read on the
 * loop that proves slow sends that device's reads to the pool for SLOW_FOR_MS; then the
 * loop tries again.
 */
export class LoopReads {
  /** Devices whose reads go to the pool, until when (ms on `now`'s clock). */
  private readonly slowUntil = new Map<number, number>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Whether to read `size` bytes of a file on device `dev` on the loop. */
  onLoop(dev: number, size: number): boolean {
    if (size > READ_ON_LOOP) return false;
    const until = this.slowUntil.get(dev);
    if (until === undefined) return true;
    if (this.now() < until) return false;
    this.slowUntil.delete(dev);
    return true;
  }

  /** A read on the loop from device `dev` took `ms`. */
  took(dev: number, ms: number): void {
    if (ms > SLOW_READ_MS) this.slowUntil.set(dev, this.now() + SLOW_FOR_MS);
  }

  /** readSync on the loop, timed for `took`. */
  readSync(read: () => number, dev: number): number {
    const started = this.now();
    try {
      return read();
    } finally {
      this.took(dev, this.now() - started);
    }
  }
}

/** The engine's one LoopReads: what one read learns about a device holds for every file on it. */
export const loopReads = new LoopReads();
