import * as fs from 'node:fs';
import * as path from 'node:path';
import { TransferFailure, transferError } from '../../common/errors';
import type { SourceFingerprint } from '../../common/transfer';
import { insideFolder, memberFolder } from './collect';
import { formatExactBytes } from '../../common/format';
import { READ_ON_LOOP, loopReads } from '../fs/loop-reads';

/**
 * The file an upload reads, opened once per attempt (first run, `ferry resume`, the app
 * resuming by itself: all go through UploadTask). `ferry put` applies the folder's link
 * rule when it collects a folder (collect.ts); a resume never collects, so the rule is
 * applied again here, every time, before a byte is read:
 *
 * - the last part of the path is looked at with lstat and opened with O_NOFOLLOW where the
 *   platform has it, and the opened descriptor is what gets read (fstat, reads, and the
 *   hashing threads through a descriptor path): a check on the path followed by a read
 *   of the path would be a race;
 * - a member of a dropped folder must really lie inside that folder: no folder on its
 *   way may have become a link, and a member that is a link must lead inside the folder;
 * - a link (a member, or a single file) must still lead to the file the upload began
 *   with: one that now leads to another file is a changed source that Ferry reports and
 *   does not upload, whatever the file it leads to.
 */
export interface OpenedSource {
  /**
   * A path that opens this same open file, not a lookup of the name, for the hashing
   * threads: the descriptor's own path where the platform has one (Linux, macOS), else
   * the checked path.
   */
  readonly readPath: string;
  /** The opened file as it is now (from fstat). */
  readonly fingerprint: SourceFingerprint;
  /** The person's path, for messages. */
  readonly source: string;
  /** Reads into `buffer` (whole) from `position` of the opened file; the bytes read. */
  read(buffer: Buffer, position: number): Promise<number>;
  /** fstat again: deleted (no name left) throws SourceGone, another version SourceModified. */
  check(): void;
  /** Closes the descriptor; a second call does nothing. */
  close(): void;
}

/** The source refused: a link out of its folder, or to another file. Never retried, never restarted. */
export class SourceRefused extends TransferFailure {
  constructor(message: string) {
    super(transferError('source-changed', message, false));
    this.name = 'SourceRefused';
  }
}

/** The source has no name any more: deleted (or moved away) since the upload began. */
export class SourceGone extends Error {
  constructor(
    readonly source: string,
    /** Seen while its bytes were being sent, rather than before the attempt read any. */
    readonly midway = false,
  ) {
    super(`${source} is gone`);
    this.name = 'SourceGone';
  }
}

/** The source is another version of the file than the one being sent: never splice, start again. */
export class SourceModified extends Error {}

const NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;

/**
 * Where an open descriptor has a path of its own that opens the same file again (Linux
 * /proc, macOS and the BSDs /dev/fd), so the hashing threads read the file this attempt
 * checked, never whatever the name leads to by then. Windows has none (nor O_NOFOLLOW):
 * there the checked path is read, and the lstat checks alone stand.
 */
const DESCRIPTOR_DIR = ['/proc/self/fd', '/dev/fd'].find((dir) => process.platform !== 'win32' && fs.existsSync(dir)) ?? null;

/**
 * Opens and checks the source on the event loop: lstat, open, fstat, stat and close only
 * look at metadata, and each hop to the thread pool cost more than the call (issue 13: six
 * of them a file were a third of a small upload's CPU). Reads go through the pool, except
 * a small one (`read`).
 */
export function openSource(source: string, relativePath: string | null, recorded: SourceFingerprint | null): OpenedSource {
  const last = lstatOrGone(source);
  const member = memberFolder(source, relativePath);
  let realFolder: string | null = null;
  if (member) {
    realFolder = realpathOrGone(member.folder, source);
    checkWayInside(source, member.folder, realFolder, member.inside);
  }
  let openPath = source;
  let linkTarget: string | null = null;
  if (last.isSymbolicLink()) {
    linkTarget = realpathOrNull(source);
    if (!linkTarget) throw new SourceRefused(`${source} is now a link that leads nowhere; put the file back and resume, or remove this upload.`);
    if (member && realFolder && !insideFolder(linkTarget, realFolder)) {
      throw new SourceRefused(
        `${source} is now a link to ${linkTarget}, outside the folder ${member.folder}; Ferry skipped it because it is a link, and never follows a link out of a folder. Put the file back and resume, or remove this upload.`,
      );
    }
    openPath = linkTarget;
  } else if (!last.isFile()) {
    throw new SourceRefused(`${source} is not a file any more; put the file back and resume, or remove this upload.`);
  }

  const fd = openNoFollow(openPath, source);
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new SourceRefused(`${source} is not a file any more; put the file back and resume, or remove this upload.`);
    // The path checked above must still lead to the file opened: anything swapped in
    // between is seen here, and the next attempt looks at the path afresh.
    const now = statOrNull(source);
    if (!now || now.dev !== st.dev || now.ino !== st.ino) {
      throw new TransferFailure(transferError('source-changed', `${source} changed while Ferry opened it.`, true));
    }
    const fingerprint: SourceFingerprint = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
    if (linkTarget && recorded && !sameFile(recorded, fingerprint)) {
      throw new SourceRefused(
        `${source} is now a link to ${linkTarget}, not the file this upload began with; Ferry does not upload what a link leads to unless asked${member ? ' (it skipped it because it is a link)' : ''}. To upload that file, name it in a new upload; to go on with this one, put the original file back and resume.`,
      );
    }
    return opened(fd, source, fingerprint, st.dev);
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
}

function opened(fd: number, source: string, fingerprint: SourceFingerprint, dev: number): OpenedSource {
  const readPath = DESCRIPTOR_DIR ? `${DESCRIPTOR_DIR}/${fd}` : source;
  let closed = false;
  return {
    readPath,
    fingerprint,
    source,
    read: (buffer, position) => {
      // Small reads on the event loop while they come from the page cache (fs/loop-reads.ts).
      if (buffer.length <= READ_ON_LOOP && !loopReads.isSlow(dev)) return Promise.resolve(loopReads.timed(dev, () => fs.readSync(fd, buffer, 0, buffer.length, position)));
      return new Promise((resolve, reject) => fs.read(fd, buffer, 0, buffer.length, position, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead))));
    },
    check: () => {
      const st = fs.fstatSync(fd);
      if (st.nlink === 0) {
        // Its last name is gone: deleted, or replaced by another file under the same name.
        if (!lstatOrNull(source)) throw new SourceGone(source, true);
        throw new SourceModified(`${source} was replaced by another file while it was being uploaded`);
      }
      if (!sameFile(fingerprint, { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino })) throw new SourceModified(`${source} changed while it was being uploaded`);
    },
    close: () => {
      // The number may belong to another file once closed: never closed twice.
      if (closed) return;
      closed = true;
      fs.closeSync(fd);
    },
  };
}

/**
 * Every folder between the member's folder and the member is still a real folder inside
 * it: `ferry put` walks real folders only, so a real path that differs means a folder on
 * the way was swapped for a link.
 */
function checkWayInside(source: string, folder: string, realFolder: string, inside: string[]): void {
  const expected = path.join(realFolder, ...inside.slice(0, -1));
  const realParent = realpathOrGone(path.dirname(source), source);
  if (realParent === expected) return;
  const where = insideFolder(realParent, realFolder) ? 'elsewhere inside the folder' : `outside the folder ${folder}`;
  throw new SourceRefused(
    `${source} now lies in ${realParent}, ${where}: a folder on its way was replaced by a link. Ferry skipped it because it is reached through a link, and never follows a link out of or around a folder. Put the folder back and resume, or remove this upload.`,
  );
}

function lstatOrGone(source: string): fs.Stats {
  try {
    return fs.lstatSync(source);
  } catch (error) {
    throw unreadable(error, source);
  }
}

/** Whatever the path leads to, or null for any failure to look (no exception built for a missing name). */
function statOrNull(p: string): fs.Stats | null {
  try {
    return fs.statSync(p, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}

function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}

/** The kernel's realpath, as fs.promises.realpath asks it (not Node's own walk of lstats). */
function realpathOrGone(p: string, source: string): string {
  try {
    return fs.realpathSync.native(p);
  } catch (error) {
    throw unreadable(error, source);
  }
}

function realpathOrNull(p: string): string | null {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return null;
  }
}

function openNoFollow(openPath: string, source: string): number {
  try {
    return fs.openSync(openPath, fs.constants.O_RDONLY | NOFOLLOW);
  } catch (error) {
    // A link appeared between the look and the open: the next attempt looks again.
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new TransferFailure(transferError('source-changed', `${source} changed while Ferry opened it.`, true));
    throw unreadable(error, source);
  }
}

function unreadable(error: unknown, source: string): Error {
  const code = (error as NodeJS.ErrnoException).code ?? 'error';
  if (code === 'ENOENT' || code === 'ENOTDIR') return new SourceGone(source);
  return new TransferFailure(transferError('source-changed', `${source} cannot be read (${code}); fix its permissions, then resume.`, false));
}

/**
 * Modification times agree within a millisecond: file systems and tools keep them at
 * different precisions (a copy that preserves times may round them). A change inside that
 * millisecond is still caught by the block digests of what was sent.
 */
export function sameFile(a: SourceFingerprint, b: SourceFingerprint): boolean {
  return a.size === b.size && Math.abs(a.mtimeMs - b.mtimeMs) < 1 && a.ino === b.ino;
}

export function describeChange(was: SourceFingerprint, now: SourceFingerprint): string {
  if (was.ino !== now.ino) return 'it was replaced by another file';
  if (was.size !== now.size) return `its size went from ${formatExactBytes(was.size)} to ${formatExactBytes(now.size)}`;
  return 'it was modified';
}
