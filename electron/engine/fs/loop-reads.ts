/** Reads up to this size may be made on the event loop (an upload's source). */
export const READ_ON_LOOP = 64 << 10;

/** A read on the loop slower than this waited on the device, not on the page cache. */
export const SLOW_READ_MS = 0.25;

/** How long a device whose read was slow gets its reads through the thread pool. */
export const SLOW_FOR_MS = 5000;

/** Slow reads in a row that prove a device slow: one alone may be the thread preempted. */
export const SLOW_STREAK = 3;

/**
 * Whether an upload's small reads are made on the event loop. From the page cache a read
 * takes microseconds, less than the thread pool's round trip and back (issue 13: six round
 * trips a small upload cost more than the calls). From the device it waits, and the loop,
 * with every transfer on it, waits too: 2,000 sources of 16 KiB not in the cache, on this
 * project's machine's virtio disk, blocked the loop 0.48 ms a read, 960 ms in all, one at
 * a time where the pool makes four at once. So SLOW_STREAK reads in a row on the loop that
 * prove slow send the reads of that device to the pool for SLOW_FOR_MS; then the loop tries
 * again. In a row: with the client and a server sharing two cores, one read in about a
 * hundred measured slow because the thread was preempted during it, and a rule of one sent
 * 10,000 uploads' reads to the pool for nearly the whole run (each hop a wake-up, and the
 * loop preempted again by the thread it woke).
 *
 * A small download's create, link and unlink stay on the loop whatever they take: where
 * creating a file was slow (1 ms each, ext4 without a journal after thousands of deletes),
 * the creates sent to the pool held the folder's lock there, and the loop's next lstat in
 * that folder waited for it instead (the loop's time in open 1,061 -> 305 ms, in lstat
 * 88 -> 544 ms, for 2,000 files).
 */
export class LoopReads {
  /** Devices (st_dev) whose reads go to the pool, until when (ms on `now`'s clock). */
  private readonly slowUntil = new Map<number, number>();
  /** Devices whose latest reads on the loop were slow, and how many in a row. */
  private readonly streaks = new Map<number, number>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Whether reads of device `dev` go to the pool now (its recent reads on the loop were slow). */
  isSlow(dev: number): boolean {
    const until = this.slowUntil.get(dev);
    if (until === undefined) return false;
    if (this.now() < until) return true;
    this.slowUntil.delete(dev);
    return false;
  }

  /** A read on the loop from device `dev` took `ms`. */
  took(dev: number, ms: number): void {
    if (ms <= SLOW_READ_MS) {
      this.streaks.delete(dev);
      return;
    }
    const streak = (this.streaks.get(dev) ?? 0) + 1;
    if (streak < SLOW_STREAK) {
      this.streaks.set(dev, streak);
      return;
    }
    this.streaks.delete(dev);
    this.slowUntil.set(dev, this.now() + SLOW_FOR_MS);
  }

  /** A read on the loop, timed for `took` (also one that throws). */
  timed<T>(dev: number, call: () => T): T {
    const started = this.now();
    try {
      return call();
    } finally {
      this.took(dev, this.now() - started);
    }
  }
}

/** The engine's one LoopReads: what one read learns about a device holds for every file on it. */
export const loopReads = new LoopReads();
