import * as fs from 'node:fs';

/** How long what statfs said of a folder stands in for asking again. */
export const FREE_SPACE_FRESH_MS = 1000;

/**
 * The free space a download checks before it writes (a file that cannot fit fails at once
 * as disk-full, rather than part-way). One statfs a file was one of the calls a small file
 * made (issue 13: 10,000 files, 117 ms of the engine's thread); so what statfs said of a
 * folder stands for a second, less what the files checked since will take. A file the
 * known space would not hold asks statfs again before it is refused: only a fresh answer
 * refuses one. (A disk that fills between is still met by the write's own ENOSPC.)
 */
export class FreeSpace {
  private readonly known = new Map<string, { free: number; at: number }>();

  constructor(
    private readonly statfs: (dir: string) => number = (dir) => {
      const st = fs.statfsSync(dir);
      return st.bavail * st.bsize;
    },
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * The bytes free under `dir` for a file of `bytes` about to be written there (taken from
   * what is known); null when the file system cannot say.
   */
  forFile(dir: string, bytes: number): number | null {
    const known = this.known.get(dir);
    if (known && this.now() - known.at < FREE_SPACE_FRESH_MS && known.free >= bytes) {
      const free = known.free;
      known.free -= bytes;
      return free;
    }
    let free: number;
    try {
      free = this.statfs(dir);
    } catch {
      this.known.delete(dir);
      return null;
    }
    // Folders come and go in a long-running app: what was known of them is cheap to ask again.
    if (this.known.size >= 64) this.known.clear();
    this.known.set(dir, { free: Math.max(0, free - bytes), at: this.now() });
    return free;
  }
}

/** The engine's one FreeSpace. */
export const freeSpace = new FreeSpace();
