import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureDir } from './fs/ensure-dir';

/**
 * The desktop app's app.getPath('userData') for a product named Ferry, computed the same
 * way so the CLI and the app share one store (DESIGN.md section 6).
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.FERRY_DATA_DIR) return path.resolve(env.FERRY_DATA_DIR);
  const home = os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Ferry');
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Ferry');
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'Ferry');
}

/** The user's Downloads folder (XDG user-dirs on Linux when configured). */
export function defaultDownloadDir(env: NodeJS.ProcessEnv = process.env): string {
  const home = os.homedir();
  const xdg = env.XDG_DOWNLOAD_DIR;
  return xdg ? path.resolve(xdg.replace(/^\$HOME/, home)) : path.join(home, 'Downloads');
}

/** The data directory holds secrets (the key file, sealed headers): its owner's alone. */
const PRIVATE_DIR_MODE = 0o700;
const PRIVATE_FILE_MODE = 0o600;
/** POSIX modes mean nothing on Windows, where a profile folder is private already. */
const HAS_POSIX_MODES = process.platform !== 'win32';

/**
 * Makes the data directory private before the store opens: created 0700 when missing, or
 * tightened to 0700 when an older Ferry (or a `mkdir` under the default umask) left it
 * readable by others. `storeFile` and its SQLite companions (`-wal`, `-shm`) become 0600;
 * the store file is created empty at 0600 when missing, because SQLite creates its WAL
 * with the mode of the database file and would otherwise make both 0644.
 */
export function prepareDataDir(dir: string, storeFile: string): void {
  ensureDir(dir);
  if (!HAS_POSIX_MODES) return;
  // A folder we do not own (a shared --data-dir) cannot be tightened; it still works, and
  // the files below are private either way.
  if ((fs.statSync(dir).mode & 0o077) !== 0) tryChmod(dir, PRIVATE_DIR_MODE);
  fs.closeSync(fs.openSync(storeFile, 'a', PRIVATE_FILE_MODE));
  for (const file of [storeFile, `${storeFile}-wal`, `${storeFile}-shm`]) restrictFile(file);
}

/** Writes a file only its owner can read (0600), also when it exists with wider bits. */
export function writePrivateFile(file: string, data: string | Buffer): void {
  fs.writeFileSync(file, data, { mode: PRIVATE_FILE_MODE });
  restrictFile(file);
}

/** chmod 0600 when the file exists with any group or other bit. */
export function restrictFile(file: string): void {
  if (!HAS_POSIX_MODES) return;
  let mode: number;
  try {
    mode = fs.statSync(file).mode;
  } catch {
    return; // not there (yet): nothing to restrict
  }
  if ((mode & 0o077) !== 0) tryChmod(file, PRIVATE_FILE_MODE);
}

function tryChmod(target: string, mode: number): void {
  try {
    fs.chmodSync(target, mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
  }
}
