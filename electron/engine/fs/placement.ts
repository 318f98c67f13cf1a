import * as fs from 'node:fs';
import * as path from 'node:path';
import { TransferFailure, transferError } from '../../common/errors';
import { numberedName } from './filename';

const PARTIAL_SUFFIX = '.ferrypart';

/**
 * A name in `dir` that no file, no partial and no other unfinished transfer uses:
 * `name`, else `name (1)`, `name (2)`, ... `claim` takes the name for the transfer when no
 * other transfer holds it (synchronously, so two transfers never take the same one) and
 * says whether it did.
 *
 * The names are looked at on the event loop, with an lstat that answers "no such file"
 * without an exception: a free name is the common answer, and the exception an lstat off
 * the loop builds for it cost ten times the lstat itself (issue 13: about 20 us against
 * 2 us a name on this project's machine). The download's own check for an orphan partial
 * under the same name already asks the same folder the same way a moment before.
 *
 * Only "no such file" means a name is free. Any other answer (EACCES, ENOTDIR, ESTALE...)
 * says nothing about the name and the same for every candidate, so it ends the search
 * with a TransferFailure (not-writable) instead of counting up forever.
 */
export async function claimFreeName(dir: string, name: string, claim: (candidate: string) => boolean, knownAbsent: string | null = null): Promise<string> {
  for (let n = 0; ; n++) {
    const candidate = numberedName(name, n);
    // `knownAbsent`: a partial's path the caller found nothing at a moment ago, in this turn.
    const partialKnownAbsent = knownAbsent !== null && path.join(dir, candidate + PARTIAL_SUFFIX) === knownAbsent;
    if (taken(dir, candidate) || (!partialKnownAbsent && taken(dir, candidate + PARTIAL_SUFFIX))) continue;
    if (claim(candidate)) return candidate;
  }
}

function taken(dir: string, name: string): boolean {
  try {
    return fs.lstatSync(path.join(dir, name), { throwIfNoEntry: false }) !== undefined;
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

/** A file's identity: the device and inode the open descriptor has. */
export interface FileIdentity {
  dev: number;
  ino: number;
}

function sameFile(st: fs.Stats | null, ours: FileIdentity): boolean {
  return !!st && st.isFile() && st.ino === ours.ino && st.dev === ours.dev;
}

/** The partial's name no longer holds the file that was hashed: nothing is placed. */
export class PlacementRefused extends Error {
  constructor(readonly file: string) {
    super(`${path.basename(file)} is no longer the file Ferry wrote and checked`);
    this.name = 'PlacementRefused';
  }
}

/**
 * Gives a finished partial its final name without ever replacing an existing file, and
 * leaves the partial in place for the caller to remove once it has recorded the name.
 * What is placed is proven to be `ours` (the file the caller holds open and hashed): the
 * partial's name is checked by lstat before (a link or a folder is never followed or
 * moved) and the final name after; a name linked to anything else is taken back at once.
 * link() fails with EEXIST instead of overwriting, which makes "take the name if it is
 * free" atomic; a name that already is a link to our file is ours, from a placement a
 * crash interrupted, and is taken again rather than doubled as " (1)". Where a file system
 * has no hard links, a checked rename is the fallback, announced first through
 * `beforeRename` so the name is on record if the process dies right after it.
 * `partialProven`: the caller proved the partial's name by lstat in the same synchronous
 * stretch (no await since), so the first name does not ask again (one lstat a file fewer).
 * `onLoop`: link (and take back) on the event loop, not through the thread pool, for a
 * small file (download/small-body.ts). Returns the path the file now has, and whether it
 * was renamed there (the partial's name is then gone, not a second link).
 */
export async function placeWithoutOverwrite(
  partial: string,
  ours: FileIdentity,
  dir: string,
  name: string,
  beforeRename: (target: string) => void,
  { partialProven = false, onLoop = false }: { partialProven?: boolean; onLoop?: boolean } = {},
): Promise<{ path: string; renamed: boolean }> {
  const link = onLoop ? (from: string, to: string): void => fs.linkSync(from, to) : (from: string, to: string): Promise<void> => fs.promises.link(from, to);
  const unlink = onLoop ? (file: string): void => fs.unlinkSync(file) : (file: string): Promise<void> => fs.promises.unlink(file);
  // On the loop: an lstat only reads, and a hop to the thread pool cost more than it (issue 13).
  const lstatOrNull = (file: string): fs.Stats | null => {
    try {
      return fs.lstatSync(file, { throwIfNoEntry: false }) ?? null;
    } catch {
      return null;
    }
  };
  const prove = async (file: string, undo: () => Promise<void> | void): Promise<void> => {
    if (sameFile(lstatOrNull(file), ours)) return;
    await undo();
    throw new PlacementRefused(partial);
  };
  for (let n = 0; ; n++) {
    const target = path.join(dir, numberedName(name, n));
    if (n > 0 || !partialProven) await prove(partial, async () => undefined);
    try {
      await link(partial, target);
      // Between the check and the link the partial's name could have changed hands.
      await prove(target, () => unlink(target));
      return { path: target, renamed: false };
    } catch (error) {
      if (error instanceof PlacementRefused) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        if (sameFile(lstatOrNull(target), ours)) return { path: target, renamed: false };
        continue;
      }
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EXDEV' && code !== 'EMLINK') throw error;
      if (await exists(target)) continue;
      beforeRename(target);
      await fs.promises.rename(partial, target);
      await prove(target, () => fs.promises.rename(target, partial));
      return { path: target, renamed: true };
    }
  }
}
