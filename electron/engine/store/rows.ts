import { randomUUID } from 'node:crypto';
import { PENDING_INTEGRITY } from '../../common/integrity';
import type { TransferRecord } from '../../common/transfer';

/** A row of the transfers table as better-sqlite3 reads and binds it: snake_case columns. */
export type Row = Record<string, unknown>;

/** Columns holding JSON, and the TypeScript field each maps to. */
const JSON_FIELDS = new Set(['headers', 'userChecksum', 'serverChecksum', 'sidecar', 'urlChain', 'mirrors', 'pieces', 'integrity', 'error', 'fingerprint']);
const BOOLEAN_FIELDS = new Set(['encoded']);

const PLAIN = 0;
const JSON_TEXT = 1;
const BOOLEAN = 2;
type Kind = typeof PLAIN | typeof JSON_TEXT | typeof BOOLEAN;
const kindOf = (field: string): Kind => (JSON_FIELDS.has(field) ? JSON_TEXT : BOOLEAN_FIELDS.has(field) ? BOOLEAN : PLAIN);

// Each field's column and kind are worked out once: a queue of thousands of small files reads and
// writes rows many times a second, and a regular expression and set lookups per column
// per row showed in profiles (fromRow: about 10 us a row before; issue 13).
const columns = new Map<string, readonly [column: string, kind: Kind]>();
function column(field: string): readonly [string, Kind] {
  let col = columns.get(field);
  if (col === undefined) columns.set(field, (col = [field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), kindOf(field)]));
  return col;
}

/** JSON text as stored; the empty list, the most common value, without the parser. */
function parseJson(value: unknown): unknown {
  if (value === null) return null;
  if (value === '[]') return [];
  return JSON.parse(String(value));
}

/** The columns `values` sets, converted for SQLite (JSON text, 0/1); undefined fields are left out. */
export function toRow(values: Partial<TransferRecord>): Row {
  const row: Row = {};
  for (const key in values) {
    const value = values[key as keyof TransferRecord];
    if (value === undefined) continue;
    const [col, kind] = column(key);
    row[col] = kind === JSON_TEXT ? (value === null ? null : JSON.stringify(value)) : kind === BOOLEAN ? (value ? 1 : 0) : value;
  }
  return row;
}

/**
 * The columns of the transfers table, as a record is read from them (fromValues). A column
 * added to the table must be added here (test/integration/store.test.ts checks every
 * column is read).
 */
const TRANSFER_COLUMNS = [
  'id',
  'direction',
  'state',
  'url',
  'dir',
  'requested_name',
  'name',
  'path',
  'headers',
  'user_checksum',
  'server_checksum',
  'sidecar',
  'total',
  'offset',
  'etag',
  'last_modified',
  'if_range',
  'effective_url',
  'url_chain',
  'mirrors',
  'pieces',
  'encoded',
  'block_size',
  'tail_digest',
  'sha256',
  'integrity',
  'error',
  'resumes',
  'restarts',
  'source',
  'fingerprint',
  'protocol',
  'relative_path',
  'upload_url',
  'sent_up_to',
  'priority',
  'seq',
  'created_at',
  'updated_at',
  'completed_at',
] as const;
type TransferColumn = (typeof TRANSFER_COLUMNS)[number];
/** Where each column is in a row read as an array. */
type ColumnIndex = Readonly<Record<TransferColumn, number>>;

/**
 * Reads the rows of a `SELECT * FROM transfers` statement in raw mode (better-sqlite3's
 * arrays, `columns` its column names): an array of values, where an object of forty named
 * properties took as long again to build (issue 13: 10.6 -> 5.1 us a row read by id).
 */
export function rowReader(columns: readonly string[]): (values: readonly unknown[]) => TransferRecord {
  const missing = TRANSFER_COLUMNS.filter((c) => !columns.includes(c));
  if (missing.length > 0) throw new Error(`the transfers table has no column ${missing.join(', ')}`);
  // Built in one go it keeps fast properties; assigned key by key, forty of them made a slow dictionary.
  const at = Object.fromEntries(TRANSFER_COLUMNS.map((c) => [c, columns.indexOf(c)])) as ColumnIndex;
  return (values) => fromValues(values as readonly never[], at);
}

/** A row as an object of its columns (toRow's shape) as a record. */
export function fromRow(row: Row): TransferRecord {
  return rowReader(Object.keys(row))(Object.values(row));
}

/**
 * A row as a record, in one object literal: one shape for every record, where adding forty
 * properties by name one at a time made each a slow dictionary of about 6 KB (issue 13: the
 * most allocated thing per file).
 */
function fromValues(v: readonly never[], at: ColumnIndex): TransferRecord {
  return {
    id: v[at.id]!,
    direction: v[at.direction]!,
    state: v[at.state]!,
    url: v[at.url]!,
    dir: v[at.dir]!,
    requestedName: v[at.requested_name]!,
    name: v[at.name]!,
    path: v[at.path]!,
    headers: parseJson(v[at.headers]) as never,
    userChecksum: parseJson(v[at.user_checksum]) as never,
    serverChecksum: parseJson(v[at.server_checksum]) as never,
    sidecar: parseJson(v[at.sidecar]) as never,
    total: v[at.total]!,
    offset: v[at.offset]!,
    etag: v[at.etag]!,
    lastModified: v[at.last_modified]!,
    ifRange: v[at.if_range]!,
    effectiveUrl: v[at.effective_url]!,
    urlChain: parseJson(v[at.url_chain]) as never,
    mirrors: parseJson(v[at.mirrors]) as never,
    pieces: parseJson(v[at.pieces]) as never,
    encoded: v[at.encoded] === 1,
    blockSize: v[at.block_size]!,
    tailDigest: v[at.tail_digest]!,
    sha256: v[at.sha256]!,
    integrity: parseJson(v[at.integrity]) as never,
    error: parseJson(v[at.error]) as never,
    resumes: v[at.resumes]!,
    restarts: v[at.restarts]!,
    source: v[at.source]!,
    fingerprint: parseJson(v[at.fingerprint]) as never,
    protocol: v[at.protocol]!,
    relativePath: v[at.relative_path]!,
    uploadUrl: v[at.upload_url]!,
    sentUpTo: v[at.sent_up_to]!,
    priority: v[at.priority]!,
    seq: v[at.seq]!,
    createdAt: v[at.created_at]!,
    updatedAt: v[at.updated_at]!,
    completedAt: v[at.completed_at]!,
  };
}

/** What a new transfer is given; everything else starts empty. */
export type NewRecord = Pick<TransferRecord, 'direction' | 'url' | 'dir' | 'requestedName' | 'name' | 'headers' | 'userChecksum' | 'blockSize'> &
  Partial<Pick<TransferRecord, 'source' | 'protocol' | 'relativePath' | 'mirrors' | 'sidecar' | 'pieces'>>;

/** A transfer as it is added: queued, nothing held, nothing known of the server yet. */
export function newRecord(input: NewRecord, seq: number, now: number): TransferRecord {
  return {
    id: randomUUID(),
    direction: input.direction,
    state: 'queued',
    url: input.url,
    dir: input.dir,
    requestedName: input.requestedName,
    name: input.name,
    path: null,
    headers: input.headers,
    userChecksum: input.userChecksum,
    serverChecksum: null,
    sidecar: input.sidecar ?? null,
    total: null,
    offset: 0,
    etag: null,
    lastModified: null,
    ifRange: null,
    effectiveUrl: null,
    urlChain: [],
    mirrors: input.mirrors ?? [],
    pieces: input.pieces ?? null,
    encoded: false,
    blockSize: input.blockSize,
    tailDigest: null,
    sha256: null,
    integrity: PENDING_INTEGRITY,
    error: null,
    resumes: 0,
    restarts: 0,
    source: input.source ?? null,
    fingerprint: null,
    protocol: input.protocol ?? null,
    relativePath: input.relativePath ?? null,
    uploadUrl: null,
    sentUpTo: 0,
    priority: 0,
    seq,
    createdAt: now,
    updatedAt: now,
    completedAt: null,
  };
}
