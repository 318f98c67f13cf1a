import { randomUUID } from 'node:crypto';
import { PENDING_INTEGRITY } from '../../common/integrity';
import type { TransferRecord } from '../../common/transfer';

/** A row of the transfers table as better-sqlite3 reads and binds it: snake_case columns. */
export type Row = Record<string, unknown>;

/** Columns holding JSON, and the TypeScript field each maps to. */
const JSON_FIELDS = new Set(['headers', 'userChecksum', 'serverChecksum', 'sidecar', 'urlChain', 'mirrors', 'pieces', 'integrity', 'error', 'fingerprint']);
const BOOLEAN_FIELDS = new Set(['encoded']);

// Name conversions are cached: a queue of thousands of small files reads and writes rows
// many times a second, and a regular expression per column per row shows up in profiles.
const columns = new Map<string, string>();
const fields = new Map<string, string>();
function column(field: string): string {
  let col = columns.get(field);
  if (col === undefined) columns.set(field, (col = field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)));
  return col;
}
function field(col: string): string {
  let key = fields.get(col);
  if (key === undefined) fields.set(col, (key = col.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())));
  return key;
}

/** The columns `values` sets, converted for SQLite (JSON text, 0/1); undefined fields are left out. */
export function toRow(values: Partial<TransferRecord>): Row {
  const row: Row = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    row[column(key)] = JSON_FIELDS.has(key) ? (value === null ? null : JSON.stringify(value)) : BOOLEAN_FIELDS.has(key) ? (value ? 1 : 0) : value;
  }
  return row;
}

export function fromRow(row: Row): TransferRecord {
  const record: Record<string, unknown> = {};
  for (const [col, value] of Object.entries(row)) {
    const key = field(col);
    record[key] = JSON_FIELDS.has(key) ? (value === null ? null : JSON.parse(String(value))) : BOOLEAN_FIELDS.has(key) ? value === 1 : value;
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
