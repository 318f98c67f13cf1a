import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DamagedStore, type StoreDamage, asideName, diagnoseDatabase, diagnoseWal } from './damage';
import { prepareDataDir, writePrivateFile } from '../data-dir';
import { MIGRATIONS } from './migrations';

export type { StoreDamage } from './damage';

export const DATABASE_FILE = 'ferry.db';
const HOLDER_FILE = 'ferry.lock.json';

/** Who holds a data directory, as recorded by the holder when it took the lock. */
export interface LockHolder {
  pid: number;
  host: string;
  command: string;
  startedAt: string;
}

/** Another engine holds the data directory (CLI exit code 4). */
export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder | null,
  ) {
    const who = holder
      ? `Ferry (pid ${holder.pid} on ${holder.host}, "${holder.command}", since ${holder.startedAt})`
      : 'another Ferry process';
    super(`${who} is using the data directory ${dataDir}. Wait for it to finish or stop it, or pass another --data-dir.`);
    this.name = 'DataDirLockedError';
  }
}

/** The store was written by a newer Ferry: not damage, so it is refused and left as it is. */
export class StoreTooNewError extends Error {
  constructor(
    readonly file: string,
    readonly version: number,
  ) {
    super(`The store ${file} was written by a newer Ferry (schema ${version}, this one knows ${MIGRATIONS.length}). Update Ferry or use another --data-dir.`);
    this.name = 'StoreTooNewError';
  }
}

export interface OpenedDatabase {
  db: Database.Database;
  /** Set when the store was damaged: what was kept aside, why, and whether a fresh store began. */
  damage: StoreDamage | null;
}

/**
 * Opens the store of a data directory and takes its lock for the life of the connection.
 *
 * The lock is SQLite's own: EXCLUSIVE locking mode holds the file lock until the connection
 * closes, and the operating system drops it when the process dies, even by kill -9, so a
 * crash never leaves a stale lock behind. A small JSON file names the holder for the error
 * message only; it is never what decides.
 *
 * A damaged store (truncated, not a database, malformed inside, a garbage write-ahead log)
 * is never deleted and never half-trusted: the damaged files are kept aside under a
 * timestamped name, and the engine goes on with a store that passes SQLite's check.
 */
export function openDatabase(dataDir: string, command: string, nativeBinding?: string): OpenedDatabase {
  const file = path.join(dataDir, DATABASE_FILE);
  const existed = fs.existsSync(file);
  prepareDataDir(dataDir, file);
  // SQLite drops a log whose header does not check out and overwrites it with its next
  // write, so a garbage log is copied aside before SQLite sees it. A copy, not a move:
  // no lock is held yet, and a log is never taken from under a running engine.
  const walReason = diagnoseWal(file + WAL);
  let walKept = walReason === null ? null : asideName(file + WAL);
  if (walKept) fs.copyFileSync(file + WAL, walKept);
  let db: Database.Database;
  let damage: StoreDamage | null = null;
  try {
    db = lockAndCheck(file, dataDir, existed, nativeBinding);
    if (walReason && walKept) {
      const message = `Ferry's store ${file} is damaged: ${walReason}. The log is kept as ${walKept} for inspection; the store goes on from its last checkpoint (what only that log held is lost).`;
      damage = { file: file + WAL, keptAs: walKept, reason: walReason, freshStore: false, message };
    }
  } catch (error) {
    if (!(error instanceof DamagedStore)) {
      if (walKept) fs.rmSync(walKept, { force: true }); // not ours to keep: the store was never opened
      throw error;
    }
    const keptAs = asideName(file);
    if (walKept) {
      // The untouched copy goes beside its database; the log SQLite may have rewritten goes.
      fs.renameSync(walKept, keptAs + WAL);
      fs.rmSync(file + WAL, { force: true });
      walKept = keptAs + WAL;
    }
    for (const suffix of ['', WAL, SHM]) {
      if (fs.existsSync(file + suffix)) fs.renameSync(file + suffix, keptAs + suffix);
    }
    prepareDataDir(dataDir, file);
    db = lockAndCheck(file, dataDir, false, nativeBinding);
    const message = `Ferry's store ${file} is damaged: ${error.reason}. It is kept as ${keptAs} for inspection; a new, empty store took its place.`;
    damage = { file, keptAs, reason: error.reason, freshStore: true, message };
  }
  const holder: LockHolder = { pid: process.pid, host: os.hostname(), command, startedAt: new Date().toISOString() };
  writePrivateFile(path.join(dataDir, HOLDER_FILE), JSON.stringify(holder));
  return { db, damage };
}

const WAL = '-wal';
const SHM = '-shm';

/**
 * Takes the lock, checks the store, then migrates it. Nothing is written before the
 * checks pass, so a store from a newer Ferry is left exactly as it was.
 *
 * `existed`: the file was there before; one without any Ferry schema is then damage.
 * `nativeBinding`: better-sqlite3 built for another runtime's ABI (Electron's, during
 * development; a packaged app has it rebuilt in place by electron-builder).
 */
function lockAndCheck(file: string, dataDir: string, existed: boolean, nativeBinding?: string): Database.Database {
  const db = new Database(file, nativeBinding ? { timeout: 0, nativeBinding } : { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) throw new StoreTooNewError(file, version);
    if (version === 0 && existed) {
      throw new DamagedStore(fs.statSync(file).size === 0 ? 'it is empty (0 bytes)' : 'it holds no Ferry store (no schema version)');
    }
    if (version > 0) {
      // Damage deep inside a file whose header reads fine shows only when a query reaches
      // it; SQLite's quick check walks every page now (tens of ms for a large store).
      const found = (db.pragma('quick_check(10)') as Array<{ quick_check: string }>)
        .flatMap((r) => r.quick_check.split('\n'))
        .filter((line) => line.trim() && !line.startsWith('***'));
      if (found[0] !== 'ok') throw new DamagedStore(`SQLite's check reports "${found[0]}"${found.length > 1 ? ` and ${found.length - 1} more problem(s)` : ''}`);
    }
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode can lose the last commits to a power cut but never to a process
    // crash. Losing a checkpoint only moves resume back: the file stays >= the checkpoint.
    db.pragma('synchronous = NORMAL');
    // A checkpoint fsyncs the log and the database on the engine's thread, holding the
    // event loop for 5-20 ms. SQLite's default of one every 1,000 pages meant one every
    // 250 small files or so (about 4 pages each). At 10,000 pages (a log of up to 40 MB) a
    // run of 2,000 files makes none (closing the store checkpoints), and pages written again
    // and again are copied once per checkpoint instead of once per 1,000. Measured (3 runs
    // each): commits that held the loop over 3 ms, 105-128 -> 45-73 ms for 2,000 files and
    // 655-719 -> 398-461 ms for 10,000 (issue 13).
    db.pragma('wal_autocheckpoint = 10000');
    db.pragma('foreign_keys = ON');
    db.exec('BEGIN EXCLUSIVE; COMMIT');
    migrate(db);
    return db;
  } catch (error) {
    // The reason is read from the file before closing, which may write to it.
    const thrown = isCorruption(error) ? new DamagedStore(diagnoseDatabase(file, (error as Error).message)) : error;
    try {
      db.close();
    } catch {
      // a damaged store may fail to close cleanly; it is kept aside either way
    }
    if (isBusy(error)) throw new DataDirLockedError(dataDir, readHolder(dataDir));
    throw thrown;
  }
}

function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      MIGRATIONS[version]!(db);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}

function readHolder(dataDir: string): LockHolder | null {
  try {
    const parsed = JSON.parse(fs.readFileSync(path.join(dataDir, HOLDER_FILE), 'utf8')) as Partial<LockHolder>;
    return typeof parsed.pid === 'number' ? (parsed as LockHolder) : null;
  } catch {
    return null;
  }
}

function sqliteCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : '';
}

const isBusy = (error: unknown): boolean => sqliteCode(error).startsWith('SQLITE_BUSY') || sqliteCode(error).startsWith('SQLITE_LOCKED');
const isCorruption = (error: unknown): boolean => sqliteCode(error).startsWith('SQLITE_CORRUPT') || sqliteCode(error) === 'SQLITE_NOTADB';
