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

// Each name's conversion is worked out once: a queue of thousands of small files reads and
// writes rows many times a second, and a regular expression and set lookups per column
// per row showed in profiles (fromRow: about 10 us a row before; issue 13).
const columns = new Map<string, readonly [column: string, kind: Kind]>();
const fields = new Map<string, readonly [field: string, kind: Kind]>();
function column(field: string): readonly [string, Kind] {
  let col = columns.get(field);
  if (col === undefined) columns.set(field, (col = [field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), kindOf(field)]));
  return col;
}
function field(col: string): readonly [string, Kind] {
  let key = fields.get(col);
  if (key === undefined) {
    const name = col.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    fields.set(col, (key = [name, kindOf(name)]));
  }
  return key;
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

export function fromRow(row: Row): TransferRecord {
  const record: Record<string, unknown> = {};
  for (const col in row) {
    const [key, kind] = field(col);
    const value = row[col];
    record[key] = kind === JSON_TEXT ? parseJson(value) : kind === BOOLEAN ? value === 1 : value;
  }
  return record as unknown as TransferRecord;
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
