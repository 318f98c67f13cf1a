import type Database from 'better-sqlite3';
import type { HistoryEntry, HistoryKind, TransferRecord, TransferState } from '../../common/transfer';
import { type Segment, bytesHeld } from '../download/segments';
import { unsealedHeaderNames } from '../secrets';
import { type NewRecord, newRecord, rowReader, toRow } from './rows';
import { Scrubber, dropStoredUserinfo, forgetEndedTransfersSecrets } from './scrub';
import { DurableCommits } from './durable-commits';
import { type BatchContents, type BatchOptions, WriteBatch } from './write-batch';
import { FreshTransfers } from './fresh-transfers';
import { type Statements, prepareStatements } from './statements';
import type { Checkpoint, NewDownload, NewUpload, QueueEntry } from './transfer-inputs';

export type { Checkpoint, NewDownload, NewUpload, QueueEntry } from './transfer-inputs';

/** History entries kept per transfer (the first start is kept besides). */
export const HISTORY_LIMIT = 200;

/** The states a transfer ends in; only these can be cleared from the list. */
export type FinishedState = Extract<TransferState, 'completed' | 'failed' | 'canceled'>;

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

/**
 * The transfers table and its companions. Every write is one transaction, which also carries
 * the writes that were allowed to wait (write-batch.ts); reads see those as if written.
 */
export class TransferStore {
  private readonly statements: Statements;
  /** A raw row of `SELECT * FROM transfers` as a record. */
  private readonly record: (values: readonly unknown[]) => TransferRecord;
  private readonly batch: WriteBatch;
  private readonly durable: DurableCommits;
  /** Runs a function as one transaction; made once (better-sqlite3 builds wrappers per call). */
  private readonly tx: <T>(fn: () => T) => T;
  /** Prepared UPDATEs by the set of columns they change (a handful of shapes recur). */
  private readonly updates = new Map<string, Database.Statement>();
  private insert: Database.Statement | null = null;
  private insertColumns: string[] | null = null;
  /** The next `seq` at the back of the queue, once read (takeSeq). */
  private seq: number | null = null;
  private readonly scrubber: Scrubber;
  private readonly fresh = new FreshTransfers();
  /** Ids whose user checksum was written since the store opened (userChecksumWritten). */
  private readonly checksumsWritten = new Set<string>();

  /** `report` hears a batch of waiting writes the store refused (it is kept and tried again). */
  constructor(
    private readonly db: Database.Database,
    private readonly report: (error: unknown) => void = () => undefined,
  ) {
    this.scrubber = new Scrubber(db);
    this.durable = new DurableCommits(db.memory ? null : `${db.name}-wal`);
    this.batch = new WriteBatch(() => this.flush(), report, (waiters) => this.durable.after(waiters));
    this.tx = db.transaction((fn: () => unknown) => fn()) as unknown as <T>(fn: () => T) => T;
    this.statements = prepareStatements(db);
    this.record = rowReader(this.statements.get.columns().map((c) => c.name));
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
    const row = this.statements.uploadIdentity.get(source, url) as unknown[] | undefined;
    return row && this.record(row);
  }

  private insertRecord(input: NewRecord, now: number): TransferRecord {
    const seq = this.takeSeq();
    const record = newRecord(input, seq, now);
    assertSealed(record.headers);
    const row = toRow(record);
    // Bound by place, not by name: better-sqlite3 looks each name up in the object (issue 13).
    this.insertColumns ??= Object.keys(row);
    this.insert ??= this.db.prepare(`INSERT INTO transfers (${this.insertColumns.join(', ')}) VALUES (${this.insertColumns.map(() => '?').join(', ')})`);
    this.insert.run(this.insertColumns.map((c) => row[c]));
    this.fresh.created(record.id, record.headers.length > 0);
    return record;
  }

  get(id: string): TransferRecord | undefined {
    const row = this.statements.get.get(id) as unknown[] | undefined;
    return row && this.overlay(this.record(row));
  }

  /**
   * What the queue needs to place a transfer, without the rest of its record: a start of
   * 10,000 transfers read and parsed every one whole (issue 13).
   */
  queueEntry(id: string): QueueEntry | undefined {
    const entry = this.statements.queueEntry.get(id) as QueueEntry | undefined;
    const waiting = this.batch.pending(id)?.changes;
    if (!entry || !waiting) return entry;
    const { state = entry.state, priority = entry.priority, seq = entry.seq, effectiveUrl = entry.effectiveUrl } = waiting;
    return { ...entry, state, priority, seq, effectiveUrl };
  }

  /**
   * Whether a checksum was written for `id` since this store opened (a late one: the same
   * get again, the window): a record read before holds the checksum as it stands unless so.
   * Lets a finishing download skip reading it back (issue 13).
   */
  userChecksumWritten(id: string): boolean {
    return this.checksumsWritten.has(id) || this.batch.pending(id)?.changes.userChecksum !== undefined;
  }

  /** The checksum a person gave for a transfer as it stands now (one column, not the whole record). */
  userChecksum(id: string): TransferRecord['userChecksum'] {
    const waiting = this.batch.pending(id)?.changes;
    if (waiting?.userChecksum !== undefined) return waiting.userChecksum;
    const stored = this.statements.userChecksum.get(id) as string | null | undefined;
    return stored ? (JSON.parse(stored) as TransferRecord['userChecksum']) : null;
  }

  list(): TransferRecord[] {
    this.settle();
    return (this.statements.list.all() as unknown[][]).map((row) => this.overlay(this.record(row)));
  }

  unfinished(): TransferRecord[] {
    this.settle();
    return (this.statements.unfinished.all() as unknown[][]).map((row) => this.overlay(this.record(row))).filter((r) => !ENDED_FOR_GOOD.has(r.state));
  }

  /** The unfinished download a repeated `ferry get` (same URL, folder and name) continues. */
  findUnfinishedDownload(url: string, dir: string, requestedName: string | null): TransferRecord | undefined {
    this.settle();
    const row = this.statements.identity.get(url, dir, requestedName) as unknown[] | undefined;
    return row && this.record(row);
  }

  /**
   * What a repeated `ferry get` finds of the same URL, folder and name asked for: the
   * unfinished download it continues if there is one, else the latest completed one (whose
   * file stillDone proves). One lookup where two answered the same (issue 13).
   */
  findSameDownload(url: string, dir: string, requestedName: string | null): TransferRecord | undefined {
    this.settle();
    const row = this.statements.sameDownload.get(url, dir, requestedName) as unknown[] | undefined;
    return row && this.record(row);
  }

  /**
   * Whether a transfer that has not ended claims `name` in `dir`, so two never share a
   * partial. A name claimed by a start still waiting in the batch is claimed already; the
   * rest of what waits there only ends transfers, which can make a name look claimed a
   * moment longer, never free one. `except`: a transfer whose own claim does not count.
   */
  nameClaimed(dir: string, name: string, except?: string): boolean {
    if (this.batch.claims(dir, name, except)) return true;
    return (except === undefined ? this.statements.nameClaimed.get(dir, name) : this.statements.nameClaimedByOther.get(dir, name, except)) !== undefined;
  }

  /**
   * Writes `changes`; false when the transfer is no longer there. A transfer that ends for
   * good (completed, canceled) forgets its header values in the same statement; a failed one
   * keeps them, since a person may retry it.
   */
  update(id: string, changes: Partial<TransferRecord>, now: number): boolean {
    if (changes.headers) assertSealed(changes.headers);
    return this.write(() => this.writeChanges(id, changes, now));
  }

  /**
   * Writes `changes` with the batch, at the next turn of the event loop or with the next
   * write that may not wait; `clearBlocks`: the block digests and segments go too. Only for
   * writes whose loss to a crash is harmless: write-batch.ts lists them.
   */
  updateLater(id: string, changes: Partial<TransferRecord>, now: number, clearBlocks = false): void {
    if (!this.db.open) throw new TypeError('The database connection is not open');
    this.batch.update(id, changes, now, { clearBlocks });
  }

  /**
   * A write-before-act in the batch of this turn of the loop: settles once it is written
   * (resolves) or refused (rejects), and the act waits for that, so the files of one turn
   * share one commit and each still acts only after its write (write-batch.ts).
   */
  updateInBatch(id: string, changes: Partial<TransferRecord>, now: number, options: BatchOptions = {}): Promise<void> {
    if (!this.db.open) return Promise.reject(new TypeError('The database connection is not open'));
    if (changes.headers) assertSealed(changes.headers);
    this.batch.update(id, changes, now, options);
    return this.batch.written();
  }

  /** addHistory with the batch: the journal of what happened may wait (write-batch.ts). */
  addHistoryLater(id: string, kind: HistoryKind, detail: Record<string, unknown>, now: number): void {
    if (!this.db.open) throw new TypeError('The database connection is not open');
    this.batch.addHistory(id, kind, detail, now);
  }

  /** Writes the batch now, in one transaction; throws what the store throws (the batch then stays). */
  flush(): void {
    if (!this.batch.empty) this.write(() => undefined);
  }

  /** Writes the batch, then closes the database. */
  close(): void {
    try {
      this.flush();
    } catch (error) {
      // Lost as to a crash: what waits is harmless to lose, or a write whose act waits for it
      // (and, refused, never happens).
      this.report(error);
    }
    this.durable.close();
    this.db.close();
  }

  /**
   * `fn` in one transaction that writes the batch first, so writes reach a row in the order
   * they were made. Inside a transaction already, the outermost one carries the batch.
   */
  private write<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    if (this.batch.empty) return this.tx(fn);
    const taken = this.batch.take();
    let result: T;
    try {
      result = this.tx(() => {
        this.writeBatch(taken);
        return fn();
      });
    } catch (error) {
      this.batch.restore(taken, error);
      throw error;
    }
    this.batch.committed(taken);
    return result;
  }

  private writeBatch({ updates, history }: BatchContents): void {
    // A transfer this transaction just changed is there: its rows need no look that it is (issue 13).
    const present = new Set<string>();
    for (const [id, { changes, at, clearBlocks }] of updates) {
      if (clearBlocks) this.clearBlocksNow(id);
      if (this.writeChanges(id, changes, at)) present.add(id);
    }
    const trim = new Set<string>();
    for (const { id, at, kind, detail } of history) {
      if (present.has(id)) this.statements.addHistory.run(id, at, kind, detail);
      else this.statements.addHistoryIfKnown.run({ id, at, kind, detail });
      // A transfer completes once (a start never runs a completed one again), so its last
      // row needs no trim: only rows that repeat (retries, resumes, restarts) grow a history.
      if (this.fresh.historyAdded(id, HISTORY_LIMIT) && kind !== 'complete') trim.add(id);
    }
    for (const id of trim) this.statements.trimHistory.run({ id, keep: HISTORY_LIMIT - 1 });
  }

  /** Reads may come while a batch the store refused waits; they go on without it. */
  private settle(): void {
    try {
      this.flush();
    } catch {
      // reported when the batch was refused; reads overlay it meanwhile
    }
  }

  /** A record as it reads with the changes waiting for it. */
  private overlay(record: TransferRecord): TransferRecord {
    const waiting = this.batch.pending(record.id);
    return waiting ? { ...record, ...waiting.changes, updatedAt: waiting.at } : record;
  }

  /** False when no transfer `id` is left to change (removed). */
  private writeChanges(id: string, changes: Partial<TransferRecord>, now: number): boolean {
    if (changes.headers) this.fresh.headersWritten(id, changes.headers.length > 0);
    const forget = changes.state !== undefined && ENDED_FOR_GOOD.has(changes.state) && !this.fresh.holdsNoSecrets(id) && this.holdsSecrets(id);
    // Built in place, not spread into copies: three updates a file (issue 13).
    const row = toRow(changes);
    if (forget) row.headers = '[]';
    row.updated_at = now;
    const cols = Object.keys(row);
    const key = cols.join(',');
    let statement = this.updates.get(key);
    if (!statement) {
      statement = this.db.prepare(`UPDATE transfers SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`);
      this.updates.set(key, statement);
    }
    const values = Object.values(row);
    values.push(id);
    const changed = statement.run(values).changes > 0;
    if (changes.userChecksum !== undefined) this.checksumsWritten.add(id);
    if (forget) this.scrubber.soon();
    if (changes.state !== undefined && ENDED_FOR_GOOD.has(changes.state)) this.fresh.forget(id);
    return changed;
  }

  setState(id: string, state: TransferState, now: number): void {
    this.update(id, { state }, now);
  }

  blocks(id: string): Map<number, string> {
    if (this.holdsNoBlocks(id)) return new Map();
    const rows = this.statements.blocks.all(id) as Array<{ idx: number; digest: string }>;
    return new Map(rows.map((r) => [r.idx, r.digest]));
  }

  /** One transaction: the offset and the digests that describe the bytes below it. */
  checkpoint(id: string, point: Checkpoint, extra: Partial<TransferRecord>, now: number): void {
    this.fresh.blocksWritten(id);
    this.write(() => {
      for (const [idx, digest] of point.blocks) this.statements.putBlock.run(id, idx, digest);
      this.writeChanges(id, { ...extra, offset: point.offset, tailDigest: point.tailDigest }, now);
    });
  }

  /** The segments of a segmented download as of its last checkpoint; empty for one stream. */
  segments(id: string): Segment[] {
    if (this.holdsNoBlocks(id)) return [];
    return this.statements.segments.all(id) as Segment[];
  }

  /**
   * One transaction for a segmented download: every segment's position and tail, the blocks
   * completed since the last checkpoint, and the bytes held in all.
   */
  checkpointSegments(id: string, segments: readonly Segment[], blocks: Array<[number, string]>, now: number): void {
    this.fresh.blocksWritten(id);
    this.write(() => {
      this.statements.clearSegments.run(id);
      for (const s of segments) this.statements.putSegment.run(id, s.start, s.end, s.position, s.tail);
      for (const [idx, digest] of blocks) this.statements.putBlock.run(id, idx, digest);
      this.writeChanges(id, { offset: bytesHeld(segments), tailDigest: null }, now);
    });
  }

  /** Forget every byte of a partial: offset 0, no block digests, no segments. */
  reset(id: string, extra: Partial<TransferRecord>, now: number): void {
    this.write(() => {
      this.clearBlocksNow(id);
      this.writeChanges(id, { ...extra, offset: 0, tailDigest: null }, now);
    });
  }

  /** Runs `fn` as one transaction: one commit for several writes (and the batch). */
  transaction<T>(fn: () => T): T {
    return this.write(fn);
  }

  /** Forgets a transfer, its blocks and its history. */
  remove(id: string): void {
    const secrets = this.holdsSecrets(id);
    this.fresh.forget(id);
    this.write(() => this.statements.remove.run(id));
    if (secrets) this.scrubber.soon();
  }

  /**
   * The next place at the back of the queue. MAX(seq) reads every row (no index leads with
   * seq), which made adding n transfers cost n^2 (10,000 files: 100 us an add at the end), so
   * it is read once and counted on here: this engine alone writes the store (its lock). A
   * number taken by a write that failed is a gap, which orders nothing differently.
   */
  private takeSeq(): number {
    this.seq ??= (this.statements.nextSeq.get() as { seq: number }).seq;
    return this.seq++;
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
    const seq = this.takeSeq();
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
    this.write(() => this.clearBlocksNow(id));
  }

  /** None on record, or they go with the batch: created in this session and never checkpointed, or cleared. */
  private holdsNoBlocks(id: string): boolean {
    return this.fresh.holdsNoBlocks(id) || this.batch.pending(id)?.clearBlocks === true;
  }

  private clearBlocksNow(id: string): void {
    if (this.fresh.holdsNoBlocks(id)) return;
    this.statements.clearBlocks.run(id);
    this.statements.clearSegments.run(id);
  }

  /**
   * Records what happened to a transfer. A transfer that fails and resumes for days would
   * grow its history without end, so only the latest HISTORY_LIMIT entries stay, plus
   * the first start.
   */
  addHistory(id: string, kind: HistoryKind, detail: Record<string, unknown>, now: number): void {
    this.write(() => {
      this.statements.addHistory.run(id, now, kind, JSON.stringify(detail));
      if (this.fresh.historyAdded(id, HISTORY_LIMIT)) this.statements.trimHistory.run({ id, keep: HISTORY_LIMIT - 1 });
    });
  }

  /** The transfers that ended in one of `states`, with the state each is in. */
  finished(states: readonly FinishedState[]): Array<{ id: string; state: FinishedState }> {
    this.settle();
    return this.statements.finished.all(JSON.stringify(states)) as Array<{ id: string; state: FinishedState }>;
  }

  /** Forgets many transfers in one transaction (their blocks and history go with them). */
  removeMany(ids: readonly string[]): void {
    for (const id of ids) this.fresh.forget(id);
    this.write(() => {
      for (const id of ids) this.statements.remove.run(id);
    });
  }

  history(id: string): HistoryEntry[] {
    if (this.batch.holdsHistory(id)) this.settle();
    return (this.statements.history.all(id) as Array<{ at: number; kind: HistoryKind; detail: string }>).map((r) => ({
      at: r.at,
      kind: r.kind,
      detail: JSON.parse(r.detail) as Record<string, unknown>,
    }));
  }
}
