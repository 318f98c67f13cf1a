import * as fs from 'node:fs';

/**
 * What a damaged store looks like from outside SQLite: why a file is damaged, in words a
 * person can check, and where the damaged files are kept aside. Reading SQLite's own file
 * headers (https://www.sqlite.org/fileformat.html) tells a truncated file from a foreign
 * one, and a garbage write-ahead log from the torn tail a crash normally leaves.
 */

/** A store that was damaged when the engine opened it, and what became of it. */
export interface StoreDamage {
  /** The damaged file: the database, or only its write-ahead log. */
  file: string;
  /** Where the damaged file was kept (its -wal and -shm beside it, with those suffixes). */
  keptAs: string;
  /** Why it counts as damaged, e.g. "truncated to 12288 of 77824 bytes". */
  reason: string;
  /** True when a new, empty store replaced it; false when the database was sound and kept. */
  freshStore: boolean;
  /** The one line to tell a person: which file, why, where it is kept, what happens now. */
  message: string;
}

/** Thrown inside the store when a file is damaged; never leaves database.ts. */
export class DamagedStore extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'DamagedStore';
  }
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/** Why SQLite could not use `file`, from its header and size; `sqliteMessage` when nothing better is known. */
export function diagnoseDatabase(file: string, sqliteMessage: string): string {
  let header: Buffer;
  let size: number;
  try {
    size = fs.statSync(file).size;
    header = readStart(file, 100);
  } catch {
    return sqliteMessage;
  }
  if (size === 0) return 'it is empty (0 bytes)';
  if (header.length < 100 || !header.subarray(0, 16).equals(SQLITE_MAGIC)) return 'it is not an SQLite database (its first bytes are not SQLite\'s)';
  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  // The page count in the header is valid only when the change counter matches "version valid for".
  const pages = header.readUInt32BE(28);
  if (pages > 0 && header.readUInt32BE(24) === header.readUInt32BE(92) && size < pages * pageSize) {
    return `it is truncated (${size} of ${pages * pageSize} bytes)`;
  }
  return `SQLite finds it malformed (${sqliteMessage})`;
}

/**
 * Why the write-ahead log beside a database is garbage, or null when it is absent, empty,
 * or starts with a valid header. A valid header followed by frames that do not check out
 * is the torn tail a crash leaves: SQLite ignores those frames by design, and that is no
 * damage. A header that does not check out means the whole log is unusable.
 */
export function diagnoseWal(wal: string): string | null {
  let size: number;
  try {
    size = fs.statSync(wal).size;
  } catch {
    return null;
  }
  if (size === 0) return null;
  const header = readStart(wal, 32);
  if (header.length < 32) return `its write-ahead log is cut short (${size} bytes, less than its 32-byte header)`;
  const magic = header.readUInt32BE(0);
  if (magic !== 0x377f0682 && magic !== 0x377f0683) return 'its write-ahead log is garbage (no WAL header)';
  const pageSize = header.readUInt32BE(8);
  const validPageSize = pageSize >= 512 && pageSize <= 65536 && (pageSize & (pageSize - 1)) === 0;
  if (header.readUInt32BE(4) !== 3007000 || !validPageSize) return 'its write-ahead log is garbage (an unknown WAL header)';
  const [s0, s1] = walChecksum(header.subarray(0, 24), magic === 0x377f0683);
  if (s0 !== header.readUInt32BE(24) || s1 !== header.readUInt32BE(28)) return 'its write-ahead log is garbage (its header checksum is wrong)';
  return null;
}

/** SQLite's WAL checksum over 32-bit words, big- or little-endian as the magic says. */
function walChecksum(data: Buffer, bigEndian: boolean): [number, number] {
  let s0 = 0;
  let s1 = 0;
  for (let i = 0; i < data.length; i += 8) {
    const x0 = bigEndian ? data.readUInt32BE(i) : data.readUInt32LE(i);
    const x1 = bigEndian ? data.readUInt32BE(i + 4) : data.readUInt32LE(i + 4);
    s0 = (s0 + x0 + s1) >>> 0;
    s1 = (s1 + x1 + s0) >>> 0;
  }
  return [s0, s1];
}

function readStart(file: string, length: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    return buffer.subarray(0, fs.readSync(fd, buffer, 0, length, 0));
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A name beside `file` for keeping it aside: `ferry.db.damaged-20250101T120000Z`, with
 * `-2`, `-3`... when that name (or its -wal or -shm) is taken. SQLite finds a database's
 * log as `<name>-wal`, so the kept files open together for inspection.
 */
export function asideName(file: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  for (let n = 1; ; n++) {
    const candidate = `${file}.damaged-${stamp}${n === 1 ? '' : `-${n}`}`;
    if (!['', '-wal', '-shm'].some((suffix) => fs.existsSync(candidate + suffix))) return candidate;
  }
}
