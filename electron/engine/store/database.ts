import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { prepareDataDir, writePrivateFile } from '../data-dir';
import { MIGRATIONS } from './migrations';

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

export interface OpenedDatabase {
  db: Database.Database;
  /** Set when a corrupt database had to be moved aside; the path it was moved to. */
  movedAside: string | null;
}

/**
 * Opens the store of a data directory and takes its lock for the life of the connection.
 *
 * The lock is SQLite's own: EXCLUSIVE locking mode holds the file lock until the connection
 * closes, and the operating system drops it when the process dies, even by kill -9, so a
 * crash never leaves a stale lock behind. A small JSON file names the holder for the error
 * message only; it is never what decides.
 */
export function openDatabase(dataDir: string, command: string, nativeBinding?: string): OpenedDatabase {
  const file = path.join(dataDir, DATABASE_FILE);
  prepareDataDir(dataDir, file);
  let movedAside: string | null = null;
  let db: Database.Database;
  try {
    db = lockAndMigrate(file, dataDir, nativeBinding);
  } catch (error) {
    if (!isCorruption(error)) throw error;
    // A store we cannot read is kept for inspection, never deleted, and a fresh one starts.
    movedAside = `${file}.corrupt-${Date.now()}`;
    for (const suffix of ['', '-wal', '-shm']) {
      if (fs.existsSync(file + suffix)) fs.renameSync(file + suffix, movedAside + suffix);
    }
    db = lockAndMigrate(file, dataDir, nativeBinding);
  }
  const holder: LockHolder = { pid: process.pid, host: os.hostname(), command, startedAt: new Date().toISOString() };
  writePrivateFile(path.join(dataDir, HOLDER_FILE), JSON.stringify(holder));
  return { db, movedAside };
}

/**
 * `nativeBinding`: better-sqlite3 built for another runtime's ABI (Electron's, during
 * development; a packaged app has it rebuilt in place by electron-builder).
 */
function lockAndMigrate(file: string, dataDir: string, nativeBinding?: string): Database.Database {
  const db = new Database(file, nativeBinding ? { timeout: 0, nativeBinding } : { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode can lose the last commits to a power cut but never to a process
    // crash. Losing a checkpoint only moves resume back: the file stays >= the checkpoint.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.exec('BEGIN EXCLUSIVE; COMMIT');
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    if (isBusy(error)) throw new DataDirLockedError(dataDir, readHolder(dataDir));
    throw error;
  }
}

function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `The store was written by a newer Ferry (schema ${current}, this one knows ${MIGRATIONS.length}). Update Ferry or use another --data-dir.`,
    );
  }
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
const isCorruption = (error: unknown): boolean => ['SQLITE_CORRUPT', 'SQLITE_NOTADB'].includes(sqliteCode(error));
