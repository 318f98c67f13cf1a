import * as fs from 'node:fs';

/** Someone waiting to act once a commit is on disk. */
export interface CommitWaiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

type Sync = (fd: number, done: (error: NodeJS.ErrnoException | null) => void) => void;

/**
 * Makes the commits that acts wait for (WriteBatch.written) durable before the acts. In WAL
 * mode with synchronous=NORMAL a commit reaches the log without an fsync, so a power cut
 * could keep a file's link or unlink (journaled by the file system) and lose the verdict
 * the link had to follow: the next run fetched the file again and placed a second copy
 * (found in review). synchronous=FULL would fsync the log at every commit, on the engine's
 * thread; here the log is fdatasynced on libuv's thread pool, once for all the commits
 * waited for since the last sync began, and their acts go on after it (a group commit).
 * A sync that fails rejects its waiters: their acts never happen, as for a refused commit.
 */
export class DurableCommits {
  private fd: number | null = null;
  private syncing = false;
  private waiting: CommitWaiter[] = [];
  private closing = false;

  /**
   * `logPath`: the store's write-ahead log (ferry.db-wal), or null for a store with none
   * (in memory). `sync` is fs.fdatasync; tests give their own.
   */
  constructor(
    private readonly logPath: string | null,
    private readonly sync: Sync = fs.fdatasync,
  ) {}

  /** `waiters`' commit is written: each acts once the log holding it is on disk. */
  after(waiters: CommitWaiter[]): void {
    if (waiters.length === 0) return;
    this.waiting.push(...waiters);
    if (!this.syncing) this.next();
  }

  /** The store is closing: the log's descriptor goes once no sync needs it. Safe to call twice. */
  close(): void {
    this.closing = true;
    if (!this.syncing) this.release();
  }

  private next(): void {
    const group = this.waiting;
    this.waiting = [];
    const fd = this.descriptor();
    if (typeof fd !== 'number') {
      // No log (ENOENT: a store SQLite could not put in WAL mode syncs its own commits).
      for (const w of group) {
        if (fd === null) w.resolve();
        else w.reject(fd);
      }
      return;
    }
    this.syncing = true;
    this.sync(fd, (error) => {
      this.syncing = false;
      for (const w of group) {
        if (error) w.reject(error);
        else w.resolve();
      }
      if (this.waiting.length > 0) this.next();
      else if (this.closing) this.release();
    });
  }

  /** The log's descriptor, opened once; null when there is no log, the error when it cannot be opened. */
  private descriptor(): number | null | Error {
    if (this.fd !== null) return this.fd;
    if (this.logPath === null) return null;
    try {
      this.fd = fs.openSync(this.logPath, 'r+');
      return this.fd;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ENOENT' ? null : (error as Error);
    }
  }

  private release(): void {
    if (this.fd === null) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      // already gone
    }
    this.fd = null;
  }
}
