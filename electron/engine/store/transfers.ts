import type Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { PENDING_INTEGRITY } from '../../common/integrity';
import type { HistoryEntry, HistoryKind, TransferRecord, TransferState, UploadProtocol } from '../../common/transfer';
import { type Segment, bytesHeld } from '../download/segments';
import { unsealedHeaderNames } from '../secrets';
import { type Row, fromRow, toRow } from './rows';
import { Scrubber, dropStoredUserinfo, forgetEndedTransfersSecrets } from './scrub';

/** History entries kept per transfer (the first start is kept besides). */
export const HISTORY_LIMIT = 200;

/** The states a transfer ends in; only these can be cleared from the list. */
export type FinishedState = Extract<TransferState, 'completed' | 'failed' | 'canceled'>;

export interface NewDownload {
  url: string;
  dir: string;
  requestedName: string | null;
  headers: Array<[string, string]>;
  userChecksum: TransferRecord['userChecksum'];
  sidecar?: TransferRecord['sidecar'];
  blockSize: number;
  /** Other links to the same file, tried in order when the first fails. */
  mirrors?: string[];
  pieces?: TransferRecord['pieces'];
}

export interface NewUpload {
  url: string;
  source: string;
  dir: string;
  name: string;
  relativePath: string | null;
  protocol: UploadProtocol;
  headers: Array<[string, string]>;
  blockSize: number;
}

export interface Checkpoint {
  offset: number;
  /** Newly completed blocks: index and SHA-256 hex. */
  blocks: Array<[number, string]>;
  tailDigest: string | null;
}

/** A transfer in one of these states has ended for good: its secrets are forgotten. */
const ENDED_FOR_GOOD: ReadonlySet<TransferState> = new Set(['completed', 'canceled']);

/**
 * Header values are the secrets a person gave for a transfer. The store only ever holds
 * them sealed (engine/secrets.ts), and only while the transfer may still need them.
 */
function assertSealed(headers: TransferRecord['headers']): void {
  const open = unsealedHeaderNames(headers);
  if (open.length > 0) throw new Error(`header ${open.join(', ')} reached the store unsealed; add transfers with Engine.addDownloads / addUploads, which seal them`);
}

/** The transfers table and its companions; every method is one statement or one transaction. */
export class TransferStore {
  private readonly statements;
  /** Prepared UPDATEs by the set of columns they change (a handful of shapes recur). */
  private readonly updates = new Map<string, Database.Statement>();
  private insert: Database.Statement | null = null;
  private readonly scrubber: Scrubber;

  constructor(private readonly db: Database.Database) {
    this.scrubber = new Scrubber(db);
    this.statements = {
      get: db.prepare('SELECT * FROM transfers WHERE id = ?'),
      list: db.prepare('SELECT * FROM transfers ORDER BY priority DESC, seq'),
      unfinished: db.prepare(`SELECT * FROM transfers WHERE state NOT IN ('completed', 'canceled') ORDER BY priority DESC, seq`),
      uploadIdentity: db.prepare(
        `SELECT * FROM transfers WHERE direction = 'upload' AND source = ? AND url = ?
           AND state NOT IN ('completed', 'canceled') ORDER BY seq LIMIT 1`,
      ),
      identity: db.prepare(
        `SELECT * FROM transfers WHERE direction = 'download' AND url = ? AND dir = ? AND requested_name IS ?
           AND state NOT IN ('completed', 'canceled') ORDER BY seq LIMIT 1`,
      ),
      completedIdentity: db.prepare(
        `SELECT * FROM transfers WHERE direction = 'download' AND url = ? AND dir = ? AND requested_name IS ?
           AND state = 'completed' AND path IS NOT NULL ORDER BY seq DESC LIMIT 1`,
      ),
      nextSeq: db.prepare('SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM transfers'),
      blocks: db.prepare('SELECT idx, digest FROM blocks WHERE transfer_id = ? ORDER BY idx'),
      putBlock: db.prepare('INSERT OR REPLACE INTO blocks (transfer_id, idx, digest) VALUES (?, ?, ?)'),
      clearBlocks: db.prepare('DELETE FROM blocks WHERE transfer_id = ?'),
      segments: db.prepare('SELECT start, end, position, tail_digest AS tail FROM segments WHERE transfer_id = ? ORDER BY start'),
      putSegment: db.prepare('INSERT INTO segments (transfer_id, start, end, position, tail_digest) VALUES (?, ?, ?, ?, ?)'),
      clearSegments: db.prepare('DELETE FROM segments WHERE transfer_id = ?'),
      addHistory: db.prepare('INSERT INTO history (transfer_id, at, kind, detail) VALUES (?, ?, ?, ?)'),
      // Rows older than the latest HISTORY_LIMIT go, except the first start (how it began)
      // and the first capture (where it came from).
      // Below the limit the OFFSET finds no row, the comparison is NULL, and nothing goes.
      trimHistory: db.prepare(
        `DELETE FROM history WHERE transfer_id = @id
           AND id < (SELECT id FROM history WHERE transfer_id = @id ORDER BY id DESC LIMIT 1 OFFSET @keep)
           AND id IS NOT (SELECT MIN(id) FROM history WHERE transfer_id = @id AND kind = 'start')
           AND id IS NOT (SELECT MIN(id) FROM history WHERE transfer_id = @id AND kind = 'captured')`,
      ),
      finished: db.prepare(`SELECT id, state FROM transfers WHERE state IN (SELECT value FROM json_each(?))`),
      history: db.prepare('SELECT at, kind, detail FROM history WHERE transfer_id = ? ORDER BY id'),
      remove: db.prepare('DELETE FROM transfers WHERE id = ?'),
      setSeq: db.prepare('UPDATE transfers SET seq = ? WHERE id = ?'),
      minSeq: db.prepare('SELECT COALESCE(MIN(seq), 0) AS seq FROM transfers'),
      nameClaimed: db.prepare(`SELECT 1 FROM transfers WHERE dir = ? AND name = ? AND state NOT IN ('completed', 'canceled') LIMIT 1`),
      holdsSecrets: db.prepare(`SELECT 1 FROM transfers WHERE id = ? AND headers <> '[]'`),
    };
    // A crash between a transfer's end and the scrub, or a store an older Ferry wrote, may
    // still hold secrets: they go now.
    const forgotten = forgetEndedTransfersSecrets(db);
    if (dropStoredUserinfo(db) || forgotten) this.scrubber.soon();
  }

  createDownload(input: NewDownload, now: number): TransferRecord {
    return this.insertRecord({
      direction: 'download',
      url: input.url,
      dir: input.dir,
      requestedName: input.requestedName,
      name: null,
      headers: input.headers,
      userChecksum: input.userChecksum,
      sidecar: input.sidecar ?? null,
      blockSize: input.blockSize,
      mirrors: input.mirrors ?? [],
      pieces: input.pieces ?? null,
    }, now);
  }

  createUpload(input: NewUpload, now: number): TransferRecord {
    return this.insertRecord({
      direction: 'upload',
      url: input.url,
      dir: input.dir,
      requestedName: null,
      name: input.name,
      headers: input.headers,
      userChecksum: null,
      blockSize: input.blockSize,
      source: input.source,
      protocol: input.protocol,
      relativePath: input.relativePath,
    }, now);
  }

  /** The unfinished upload a repeated `ferry put` (same source, same target) continues. */
  findUnfinishedUpload(source: string, url: string): TransferRecord | undefined {
    const row = this.statements.uploadIdentity.get(source, url) as Row | undefined;
    return row && fromRow(row);
  }

  private insertRecord(
    input: Pick<TransferRecord, 'direction' | 'url' | 'dir' | 'requestedName' | 'name' | 'headers' | 'userChecksum' | 'blockSize'> &
      Partial<Pick<TransferRecord, 'source' | 'protocol' | 'relativePath' | 'mirrors' | 'sidecar' | 'pieces'>>,
    now: number,
  ): TransferRecord {
    const seq = (this.statements.nextSeq.get() as { seq: number }).seq;
    const record: TransferRecord = {
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
    assertSealed(record.headers);
    const row = toRow(record);
    const cols = Object.keys(row);
    this.insert ??= this.db.prepare(`INSERT INTO transfers (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`);
    this.insert.run(row);
    return record;
  }

  get(id: string): TransferRecord | undefined {
    const row = this.statements.get.get(id) as Row | undefined;
    return row && fromRow(row);
  }

  list(): TransferRecord[] {
    return (this.statements.list.all() as Row[]).map(fromRow);
  }

  unfinished(): TransferRecord[] {
    return (this.statements.unfinished.all() as Row[]).map(fromRow);
  }

  /** The unfinished download a repeated `ferry get` (same URL, folder and name) continues. */
  findUnfinishedDownload(url: string, dir: string, requestedName: string | null): TransferRecord | undefined {
    const row = this.statements.identity.get(url, dir, requestedName) as Row | undefined;
    return row && fromRow(row);
  }

  /** The latest completed download of the same URL into the same folder under the same name asked for. */
  findCompletedDownload(url: string, dir: string, requestedName: string | null): TransferRecord | undefined {
    const row = this.statements.completedIdentity.get(url, dir, requestedName) as Row | undefined;
    return row && fromRow(row);
  }

  /** Whether a transfer that has not ended claims `name` in `dir`, so two never share a partial. */
  nameClaimed(dir: string, name: string): boolean {
    return this.statements.nameClaimed.get(dir, name) !== undefined;
  }

  /**
   * Writes `changes`. A transfer that ends for good (completed, canceled) forgets its header
   * values in the same statement; a failed one keeps them, since a person may retry it.
   */
  update(id: string, changes: Partial<TransferRecord>, now: number): void {
    if (changes.headers) assertSealed(changes.headers);
    const forget = changes.state !== undefined && ENDED_FOR_GOOD.has(changes.state) && this.holdsSecrets(id);
    const row = toRow({ ...changes, ...(forget ? { headers: [] } : {}), updatedAt: now });
    const cols = Object.keys(row);
    const key = cols.join(',');
    let statement = this.updates.get(key);
    if (!statement) {
      statement = this.db.prepare(`UPDATE transfers SET ${cols.map((c) => `${c} = @${c}`).join(', ')} WHERE id = @id__`);
      this.updates.set(key, statement);
    }
    statement.run({ ...row, id__: id });
    if (forget) this.scrubber.soon();
  }

  setState(id: string, state: TransferState, now: number): void {
    this.update(id, { state }, now);
  }

  blocks(id: string): Map<number, string> {
    const rows = this.statements.blocks.all(id) as Array<{ idx: number; digest: string }>;
    return new Map(rows.map((r) => [r.idx, r.digest]));
  }

  /** One transaction: the offset and the digests that describe the bytes below it. */
  checkpoint(id: string, point: Checkpoint, extra: Partial<TransferRecord>, now: number): void {
    this.db.transaction(() => {
      for (const [idx, digest] of point.blocks) this.statements.putBlock.run(id, idx, digest);
      this.update(id, { ...extra, offset: point.offset, tailDigest: point.tailDigest }, now);
    })();
  }

  /** The segments of a segmented download as of its last checkpoint; empty for one stream. */
  segments(id: string): Segment[] {
    return this.statements.segments.all(id) as Segment[];
  }

  /**
   * One transaction for a segmented download: every segment's position and tail, the blocks
   * completed since the last checkpoint, and the bytes held in all.
   */
  checkpointSegments(id: string, segments: readonly Segment[], blocks: Array<[number, string]>, now: number): void {
    this.db.transaction(() => {
      this.statements.clearSegments.run(id);
      for (const s of segments) this.statements.putSegment.run(id, s.start, s.end, s.position, s.tail);
      for (const [idx, digest] of blocks) this.statements.putBlock.run(id, idx, digest);
      this.update(id, { offset: bytesHeld(segments), tailDigest: null }, now);
    })();
  }

  /** Forget every byte of a partial: offset 0, no block digests, no segments. */
  reset(id: string, extra: Partial<TransferRecord>, now: number): void {
    this.db.transaction(() => {
      this.statements.clearBlocks.run(id);
      this.statements.clearSegments.run(id);
      this.update(id, { ...extra, offset: 0, tailDigest: null }, now);
    })();
  }

  /** Runs `fn` as one transaction: one commit for several writes. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** Forgets a transfer, its blocks and its history. */
  remove(id: string): void {
    const secrets = this.holdsSecrets(id);
    this.statements.remove.run(id);
    if (secrets) this.scrubber.soon();
  }

  private holdsSecrets(id: string): boolean {
    return this.statements.holdsSecrets.get(id) !== undefined;
  }

  /** Puts `id` before every other transfer of its priority. */
  moveToFront(id: string): void {
    const seq = (this.statements.minSeq.get() as { seq: number }).seq - 1;
    this.statements.setSeq.run(seq, id);
  }

  /** Puts `id` after every other transfer. */
  moveToBack(id: string): void {
    const seq = (this.statements.nextSeq.get() as { seq: number }).seq;
    this.statements.setSeq.run(seq, id);
  }

  /** Swaps two transfers' places in the queue, in one transaction. */
  swapOrder(a: TransferRecord, b: TransferRecord): void {
    this.db.transaction(() => {
      this.statements.setSeq.run(b.seq, a.id);
      this.statements.setSeq.run(a.seq, b.id);
    })();
  }

  /** A finished download keeps neither block digests nor segments. */
  clearBlocks(id: string): void {
    this.db.transaction(() => {
      this.statements.clearBlocks.run(id);
      this.statements.clearSegments.run(id);
    })();
  }

  /**
   * Records what happened to a transfer. A transfer that fails and resumes for days would
   * grow its history without end, so only the latest HISTORY_LIMIT entries stay, plus
   * the first start.
   */
  addHistory(id: string, kind: HistoryKind, detail: Record<string, unknown>, now: number): void {
    this.db.transaction(() => {
      this.statements.addHistory.run(id, now, kind, JSON.stringify(detail));
      this.statements.trimHistory.run({ id, keep: HISTORY_LIMIT - 1 });
    })();
  }

  /** The transfers that ended in one of `states`, with the state each is in. */
  finished(states: readonly FinishedState[]): Array<{ id: string; state: FinishedState }> {
    return this.statements.finished.all(JSON.stringify(states)) as Array<{ id: string; state: FinishedState }>;
  }

  /** Forgets many transfers in one transaction (their blocks and history go with them). */
  removeMany(ids: readonly string[]): void {
    this.db.transaction(() => {
      for (const id of ids) this.statements.remove.run(id);
    })();
  }

  history(id: string): HistoryEntry[] {
    return (this.statements.history.all(id) as Array<{ at: number; kind: HistoryKind; detail: string }>).map((r) => ({
      at: r.at,
      kind: r.kind,
      detail: JSON.parse(r.detail) as Record<string, unknown>,
    }));
  }
}
