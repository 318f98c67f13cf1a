import * as fs from 'node:fs';
import * as path from 'node:path';
import { numberedName } from './filename';

const PARTIAL_SUFFIX = '.ferrypart';

/**
 * A name in `dir` that no file, no partial and no other unfinished transfer uses:
 * `name`, else `name (1)`, `name (2)`, ...
 */
export function chooseFreeName(dir: string, name: string, claimed: Set<string>): string {
  for (let n = 0; ; n++) {
    const candidate = numberedName(name, n);
    if (claimed.has(candidate)) continue;
    if (fs.existsSync(path.join(dir, candidate)) || fs.existsSync(path.join(dir, candidate + PARTIAL_SUFFIX))) continue;
    return candidate;
  }
}

/**
 * Gives a finished partial its final name without ever replacing an existing file.
 * link() fails with EEXIST instead of overwriting, which makes "take the name if it is
 * free" atomic; where a file system has no hard links it falls back to a checked rename.
 * Returns the path the file now has.
 */
export function placeWithoutOverwrite(partial: string, dir: string, name: string): string {
  for (let n = 0; ; n++) {
    const target = path.join(dir, numberedName(name, n));
    try {
      fs.linkSync(partial, target);
      fs.unlinkSync(partial);
      return target;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EXDEV' && code !== 'EMLINK') throw error;
      if (fs.existsSync(target)) continue;
      fs.renameSync(partial, target);
      return target;
    }
  }
}
