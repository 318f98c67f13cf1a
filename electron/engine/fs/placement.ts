import * as fs from 'node:fs';
import * as path from 'node:path';
import { numberedName } from './filename';

const PARTIAL_SUFFIX = '.ferrypart';

/**
 * A name in `dir` that no file, no partial and no other unfinished transfer uses:
 * `name`, else `name (1)`, `name (2)`, ... `claim` takes the name for the transfer when no
 * other transfer holds it (synchronously, so two transfers never take the same one) and
 * says whether it did. The file system is asked off the event loop.
 */
export async function claimFreeName(dir: string, name: string, claim: (candidate: string) => boolean): Promise<string> {
  for (let n = 0; ; n++) {
    const candidate = numberedName(name, n);
    if ((await exists(path.join(dir, candidate))) || (await exists(path.join(dir, candidate + PARTIAL_SUFFIX)))) continue;
    if (claim(candidate)) return candidate;
  }
}

function exists(file: string): Promise<boolean> {
  return new Promise((resolve) => fs.lstat(file, (error) => resolve(!error || error.code !== 'ENOENT')));
}

/**
 * Gives a finished partial its final name without ever replacing an existing file.
 * link() fails with EEXIST instead of overwriting, which makes "take the name if it is
 * free" atomic; where a file system has no hard links it falls back to a checked rename.
 * Returns the path the file now has.
 */
export async function placeWithoutOverwrite(partial: string, dir: string, name: string): Promise<string> {
  for (let n = 0; ; n++) {
    const target = path.join(dir, numberedName(name, n));
    try {
      await fs.promises.link(partial, target);
      await fs.promises.unlink(partial);
      return target;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EXDEV' && code !== 'EMLINK') throw error;
      if (await exists(target)) continue;
      await fs.promises.rename(partial, target);
      return target;
    }
  }
}
