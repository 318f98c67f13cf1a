import { orderedId } from './ids';
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

/** The columns of the transfers table, as fromRow reads them. */
type TransferColumn =
  | 'id'
  | 'direction'
  | 'state'
  | 'url'
  | 'dir'
  | 'requested_name'
  | 'name'
  | 'path'
  | 'headers'
  | 'user_checksum'
  | 'server_checksum'
  | 'sidecar'
  | 'total'
  | 'offset'
  | 'etag'
  | 'last_modified'
  | 'if_range'
  | 'effective_url'
  | 'url_chain'
  | 'mirrors'
  | 'pieces'
  | 'encoded'
  | 'block_size'
  | 'tail_digest'
  | 'sha256'
  | 'integrity'
  | 'error'
  | 'resumes'
  | 'restarts'
  | 'source'
  | 'fingerprint'
  | 'protocol'
  | 'relative_path'
  | 'upload_url'
  | 'sent_up_to'
  | 'priority'
  | 'seq'
  | 'created_at'
  | 'updated_at'
  | 'completed_at';

/**
 * A row of the transfers table (SELECT *) as a record, in one object literal: one shape for
 * every record, where adding forty properties by name one at a time made each a slow
 * dictionary of about 6 KB (issue 13: the most allocated thing per file). A column added to
 * the table must be added here (test/integration/store.test.ts checks every column is read).
 */
export function fromRow(row: Row): TransferRecord {
  const r = row as Record<TransferColumn, never>;
  return {
    id: r.id,
    direction: r.direction,
    state: r.state,
    url: r.url,
    dir: r.dir,
    requestedName: r.requested_name,
    name: r.name,
    path: r.path,
    headers: parseJson(r.headers) as never,
    userChecksum: parseJson(r.user_checksum) as never,
    serverChecksum: parseJson(r.server_checksum) as never,
    sidecar: parseJson(r.sidecar) as never,
    total: r.total,
    offset: r.offset,
    etag: r.etag,
    lastModified: r.last_modified,
    ifRange: r.if_range,
    effectiveUrl: r.effective_url,
    urlChain: parseJson(r.url_chain) as never,
    mirrors: parseJson(r.mirrors) as never,
    pieces: parseJson(r.pieces) as never,
    encoded: (r.encoded as number) === 1,
    blockSize: r.block_size,
    tailDigest: r.tail_digest,
    sha256: r.sha256,
    integrity: parseJson(r.integrity) as never,
    error: parseJson(r.error) as never,
    resumes: r.resumes,
    restarts: r.restarts,
    source: r.source,
    fingerprint: parseJson(r.fingerprint) as never,
    protocol: r.protocol,
    relativePath: r.relative_path,
    uploadUrl: r.upload_url,
    sentUpTo: r.sent_up_to,
    priority: r.priority,
    seq: r.seq,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    completedAt: r.completed_at,
  };
}

/** What a new transfer is given; everything else starts empty. */
export type NewRecord = Pick<TransferRecord, 'direction' | 'url' | 'dir' | 'requestedName' | 'name' | 'headers' | 'userChecksum' | 'blockSize'> &
  Partial<Pick<TransferRecord, 'source' | 'protocol' | 'relativePath' | 'mirrors' | 'sidecar' | 'pieces'>>;

/** A transfer as it is added: queued, nothing held, nothing known of the server yet. */
export function newRecord(input: NewRecord, seq: number, now: number): TransferRecord {
  return {
    id: orderedId(),
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
