import * as fs from 'node:fs';
import * as path from 'node:path';
import { TransferFailure, transferError } from '../../common/errors';
import { numberedName } from './filename';

const PARTIAL_SUFFIX = '.ferrypart';

/**
 * A name in `dir` that no file, no partial and no other unfinished transfer uses:
 * `name`, else `name (1)`, `name (2)`, ... `claim` takes the name for the transfer when no
 * other transfer holds it (synchronously, so two transfers never take the same one) and
 * says whether it did. The file system is asked off the event loop.
 *
 * Only "no such file" means a name is free. Any other answer (EACCES, ENOTDIR, ESTALE...)
 * says nothing about the name and the same for every candidate, so it ends the search
 * with a TransferFailure (not-writable) instead of counting up forever.
 */
export async function claimFreeName(dir: string, name: string, claim: (candidate: string) => boolean): Promise<string> {
  for (let n = 0; ; n++) {
    const candidate = numberedName(name, n);
    if ((await taken(dir, candidate)) || (await taken(dir, candidate + PARTIAL_SUFFIX))) continue;
    if (claim(candidate)) return candidate;
  }
}

async function taken(dir: string, name: string): Promise<boolean> {
  try {
    await fs.promises.lstat(path.join(dir, name));
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ENOENT') return false;
    if (code === 'EEXIST') return true;
    throw new TransferFailure(
      transferError('not-writable', `Ferry cannot look for a free file name in ${dir} (${code}). Choose another folder with --dir or fix its permissions.`, false),
    );
  }
}

function exists(file: string): Promise<boolean> {
  return new Promise((resolve) => fs.lstat(file, (error) => resolve(!error || error.code !== 'ENOENT')));
}

/**
 * Gives a finished partial its final name without ever replacing an existing file, and
 * leaves the partial in place for the caller to remove once it has recorded the name.
 * link() fails with EEXIST instead of overwriting, which makes "take the name if it is
 * free" atomic; a name that already is a link to the partial is ours, from a placement a
 * crash interrupted, and is taken again rather than doubled as " (1)". Where a file system
 * has no hard links, a checked rename is the fallback, announced first through
 * `beforeRename` so the name is on record if the process dies right after it.
 * Returns the path the file now has.
 */
export async function placeWithoutOverwrite(
  partial: string,
  dir: string,
  name: string,
  beforeRename: (target: string) => void,
): Promise<string> {
  const ours = await fs.promises.stat(partial);
  for (let n = 0; ; n++) {
    const target = path.join(dir, numberedName(name, n));
    try {
      await fs.promises.link(partial, target);
      return target;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        const there = await fs.promises.lstat(target).catch(() => null);
        if (there && there.ino === ours.ino && there.dev === ours.dev) return target;
        continue;
      }
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EXDEV' && code !== 'EMLINK') throw error;
      if (await exists(target)) continue;
      beforeRename(target);
      await fs.promises.rename(partial, target);
      return target;
    }
  }
}
