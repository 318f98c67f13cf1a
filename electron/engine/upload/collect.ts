import * as fs from 'node:fs';
import * as path from 'node:path';

/** A file to upload and the path the server is told it has (folder name included). */
export interface FoundFile {
  path: string;
  relativePath: string;
}

/** Something in a dropped folder that is not uploaded, and why. */
export interface SkippedPath {
  path: string;
  reason: string;
}

/**
 * The files behind what a person dropped or named: files as they are, folders walked
 * recursively with their relative paths kept. Links are followed only to files inside the
 * folder they were found in (never out of it, never into a loop). Whatever cannot be read
 * is reported one by one while the rest goes on.
 */
export async function collectFiles(inputs: string[]): Promise<{ files: FoundFile[]; skipped: SkippedPath[] }> {
  const files: FoundFile[] = [];
  const skipped: SkippedPath[] = [];
  // Thousands of paths from one drop: each asked about on the event loop, in the order
  // given. A stat only reads metadata and takes a few microseconds; through the thread pool
  // each cost several times that (issue 13: 10,000 paths, 280-360 -> 80-110 ms of CPU).
  for (const absolute of inputs.map((input) => path.resolve(input))) {
    const st = statOrError(absolute);
    if (st instanceof Error) {
      skipped.push({ path: absolute, reason: describe(st) });
      continue;
    }
    if (st.isFile()) files.push({ path: absolute, relativePath: path.basename(absolute) });
    else if (st.isDirectory()) await walk(absolute, await fs.promises.realpath(absolute), path.basename(absolute), files, skipped);
    else skipped.push({ path: absolute, reason: 'not a file or a folder' });
  }
  return { files, skipped };
}

function statOrError(p: string): fs.Stats | Error {
  try {
    return fs.statSync(p);
  } catch (error) {
    return error as Error;
  }
}

async function walk(dir: string, root: string, relative: string, files: FoundFile[], skipped: SkippedPath[]): Promise<void> {
  let entries: fs.Dirent[];
  try {
    entries = await fs.promises.readdir(dir, { withFileTypes: true });
  } catch (error) {
    skipped.push({ path: dir, reason: describe(error) });
    return;
  }
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    const rel = `${relative}/${entry.name}`;
    if (entry.isDirectory()) await walk(full, root, rel, files, skipped);
    else if (entry.isFile()) files.push({ path: full, relativePath: rel });
    else if (entry.isSymbolicLink()) {
      let target: string;
      try {
        target = await fs.promises.realpath(full);
      } catch (error) {
        skipped.push({ path: full, reason: `a link that leads nowhere (${describe(error)})` });
        continue;
      }
      if (!insideFolder(target, root)) {
        skipped.push({ path: full, reason: 'a link to outside the folder; Ferry does not follow it' });
        continue;
      }
      const st = await fs.promises.stat(target).catch(() => null);
      if (st?.isFile()) files.push({ path: full, relativePath: rel });
      else skipped.push({ path: full, reason: 'a link to a folder; its files are uploaded from where they are' });
    } else {
      skipped.push({ path: full, reason: 'not a regular file' });
    }
  }
}

/** Whether a real path (links resolved) lies inside a folder's real path. */
export function insideFolder(realPath: string, realFolder: string): boolean {
  return realPath.startsWith(realFolder.endsWith(path.sep) ? realFolder : realFolder + path.sep);
}

/**
 * The folder a member of a dropped folder was collected from, so every attempt can apply
 * the folder's link rule again (upload/source.ts): a member is recorded as its path inside
 * the folder as found (`source`) and that path relative to the folder's parent
 * (`relativePath`, the folder's own name first), so the folder is the source's ancestor
 * that `relativePath` names first. Null for a file named by itself (its relativePath is
 * its bare name) and for a record whose two paths do not fit that shape (one added
 * through the engine's API with a relativePath of its own choosing).
 */
export function memberFolder(source: string, relativePath: string | null): { folder: string; inside: string[] } | null {
  if (!relativePath?.includes('/')) return null;
  const parts = relativePath.split('/');
  let folder = path.normalize(source);
  for (let i = 1; i < parts.length; i++) folder = path.dirname(folder);
  const inside = parts.slice(1);
  if (path.basename(folder) !== parts[0] || path.join(folder, ...inside) !== path.normalize(source)) return null;
  return { folder, inside };
}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'it does not exist';
  if (code === 'EACCES' || code === 'EPERM') return `it cannot be read (${code})`;
  return code ?? (error instanceof Error ? error.message : String(error));
}

/**
 * Where one file goes: a tus endpoint takes every file; a plain PUT to a folder URL (ending
 * in "/") puts each file at its relative path under it.
 */
export function uploadTarget(to: string, protocol: 'tus' | 'put', relativePath: string): string {
  return protocol === 'put' && to.endsWith('/') ? new URL(relativePath.split('/').map(encodeURIComponent).join('/'), to).href : to;
}

/** Several files to one PUT URL would overwrite each other: say so before anything is sent. */
export const PUT_NEEDS_FOLDER_URL = 'a plain PUT of several files needs a folder URL ending in "/" (each file goes to that URL + its relative path)';
