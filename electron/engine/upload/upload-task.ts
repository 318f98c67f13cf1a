import { createHash } from 'node:crypto';
import { TransferFailure, transferError } from '../../common/errors';
import { PENDING_INTEGRITY, type Integrity } from '../../common/integrity';
import type { TransferRecord } from '../../common/transfer';
import type { EngineContext } from '../context';
import { statusFailure } from '../core/failure';
import type { HashSession } from '../hash/hash-pool';
import { TransferTask } from '../transfer/transfer-task';
import { putWhole } from './put-upload';
import { type OpenedSource, SourceGone, SourceModified, describeChange, openSource, sameFile } from './source';
import type { TusCapabilities } from './tus';
import { UploadGone, chunkHeaders, creationHeaders, discover, patchOutcome, readCreated, serverOffset, terminate } from './tus-requests';
import { UploadHttp } from './upload-http';
import { formatBytes } from '../../common/format';

/** Bytes per PATCH when each chunk carries a checksum (it must be read and hashed first). */
const CHECKSUM_CHUNK = 4 << 20;
/** Bytes per PATCH otherwise: each request is also a checkpoint. */
const PLAIN_CHUNK = 16 << 20;
/** Files up to this size go in the creation request (creation-with-upload). */
const SMALL_FILE = 1 << 20;
/** A chunk the server's checksum check rejects (460) is sent again this many times. */
const MAX_CHUNK_RESENDS = 3;

/**
 * One upload (DESIGN.md section 4), to a tus 1.0 server or by plain PUT: what goes on
 * record and when. tus: discovery, creation, HEAD to resume, PATCH in chunks with
 * Upload-Checksum when the server offers the checksum extension, termination of an upload
 * whose source changed. The store holds the upload URL, the source's fingerprint and the
 * block digests of the bytes sent. The source is checked and opened by source.ts, the
 * requests are tus-requests.ts and put-upload.ts, the HTTP plumbing upload-http.ts.
 */
export class UploadTask extends TransferTask {
  private caps: TusCapabilities | null = null;
  /** Whole-file SHA-256 and block digests, fed from the source as the server confirms bytes. */
  private hashes: { file: HashSession; blocks: HashSession; at: number } | null = null;
  private readonly http: UploadHttp;
  /** New uploads started in this run: a server that keeps losing them, or a source that keeps changing, ends it. */
  private restartsThisRun = 0;

  constructor(ctx: EngineContext, record: TransferRecord) {
    super(ctx, record);
    this.http = new UploadHttp(ctx, () => this.rec);
  }

  progress(): { bytes: number; total: number | null } {
    return { bytes: this.rec.offset + this.http.inFlight, total: this.rec.total };
  }

  /**
   * The upload on the server is gone or the source changed: a new upload from 0, at once,
   * up to `maxRestarts` times in one run; then the run fails and says why, instead of
   * creating uploads in a loop.
   */
  protected override async recover(error: unknown, signal: AbortSignal): Promise<boolean> {
    if (!(error instanceof UploadGone) && !(error instanceof SourceModified)) return false;
    if (this.restartsThisRun >= this.ctx.tuning.maxRestarts) {
      const n = this.restartsThisRun;
      throw new TransferFailure(
        error instanceof SourceModified
          ? transferError('source-changed', `${error.message}, and it kept changing: Ferry started the upload again ${n} times in this run and stopped. Upload it once it has stopped changing.`, false)
          : transferError('server-broken', `The server lost this upload again (${error.message}) after Ferry had started it ${n} times in this run; Ferry stopped. Check the server.`, false),
      );
    }
    this.restartsThisRun++;
    await this.startOver(error.message, error instanceof SourceModified, signal);
    return true;
  }

  protected override async cleanup(): Promise<void> {
    this.closeHashes();
  }

  // ---------------------------------------------------------------- one attempt

  /**
   * The source is opened afresh for every attempt, its links and folder checked
   * (source.ts), and every byte of this attempt is read through that one descriptor.
   */
  protected async attempt(signal: AbortSignal): Promise<boolean> {
    let source: OpenedSource | null = null;
    try {
      source = openSource(this.rec.source!, this.rec.relativePath, this.rec.fingerprint);
      if (this.rec.protocol === 'put') {
        await this.put(source, signal);
        return true;
      }
      return await this.tusAttempt(source, signal);
    } catch (error) {
      if (error instanceof SourceGone) throw await this.sourceGone(error, signal);
      throw error;
    } finally {
      source?.close();
    }
  }

  private async tusAttempt(source: OpenedSource, signal: AbortSignal): Promise<boolean> {
    const { fingerprint } = source;
    if (this.rec.fingerprint && !sameFile(this.rec.fingerprint, fingerprint)) {
      throw new SourceModified(`${source.source} changed since the upload began (${describeChange(this.rec.fingerprint, fingerprint)})`);
    }
    const firstSight = this.rec.fingerprint ? {} : { fingerprint, total: fingerprint.size };
    const caps = (this.caps ??= await discover(this.http, this.ctx, this.rec.url, signal));
    if (caps.maxSize !== null && fingerprint.size > caps.maxSize) {
      throw new TransferFailure(transferError('http-status', `The server takes files up to ${formatBytes(caps.maxSize)}; ${source.source} has ${formatBytes(fingerprint.size)}.`, false, 413));
    }
    if (!this.rec.uploadUrl && fingerprint.size > 0 && fingerprint.size <= SMALL_FILE && caps.extensions.has('creation-with-upload')) {
      if (await this.createWithUpload(source, fingerprint.size, firstSight, signal)) return true;
    } else if (firstSight.fingerprint) {
      this.save(firstSight);
    }
    let offset: number;
    if (this.rec.uploadUrl) {
      offset = await serverOffset(this.http, this.rec.uploadUrl, this.rec.sentUpTo, signal);
      await this.checkSentPrefix(source, offset);
      if (offset > 0) {
        this.save({ resumes: this.rec.resumes + 1 });
        this.history('resume', { offset, url: this.rec.uploadUrl });
        this.ctx.emit({ type: 'resumed', id: this.rec.id, offset, validator: null, overlapBytes: 0, segments: 1 });
      }
    } else {
      await this.checkSentPrefix(source, 0);
      offset = await this.create(fingerprint.size, signal);
    }
    await this.send(source, offset, signal);
    const digests = await this.hashes!.file.final();
    await this.completeWith(digests.sha256 ?? null, {});
    return true;
  }

  /** Plain PUT (put-upload.ts): the record before the request and the verdict after it. */
  private async put(source: OpenedSource, signal: AbortSignal): Promise<void> {
    const { fingerprint } = source;
    if (this.rec.fingerprint && !sameFile(this.rec.fingerprint, fingerprint)) this.history('restart', { reason: `${source.source} changed; sending the new version` });
    this.save({ fingerprint, total: fingerprint.size, offset: 0 });
    const { sha256, integrity } = await putWhole(this.http, this.ctx.hashPool, source, this.rec.url, signal, () => {
      this.history('start', { url: this.rec.url, size: fingerprint.size, protocol: 'put' });
      this.ctx.emit({ type: 'started', id: this.rec.id, direction: 'upload', name: this.rec.name ?? '', total: fingerprint.size, url: this.rec.url });
    });
    if (integrity.status === 'mismatch') {
      const error = transferError('integrity-mismatch', `The server stored bytes whose SHA-256 is ${integrity.expected}, not ${sha256}; the upload is damaged. Send it again.`, false);
      this.save({ state: 'failed', integrity, sha256, error, completedAt: this.ctx.clock.now() });
      this.history('error', { ...error });
      this.ctx.emit({ type: 'ended', id: this.rec.id, record: this.rec });
      return;
    }
    this.ctx.store.transaction(() => {
      this.save({ state: 'completed', path: source.source, offset: fingerprint.size, sha256, integrity, error: null, completedAt: this.ctx.clock.now() });
      this.history('complete', { url: this.rec.url, sha256, integrity });
    });
    this.ctx.emit({ type: 'ended', id: this.rec.id, record: this.rec });
  }

  /** POST: a new upload of `size` bytes; its URL is stored before anything is sent to it. */
  private async create(size: number, signal: AbortSignal): Promise<number> {
    const response = await this.http.request({ method: 'POST', url: new URL(this.rec.url), headers: { ...creationHeaders(this.rec, size), 'content-length': '0' } }, signal);
    const { uploadUrl } = readCreated(response, this.rec.url, 0);
    this.ctx.store.transaction(() => {
      this.save({ uploadUrl, offset: 0 });
      this.history('start', { uploadUrl, size, checksum: this.caps!.checksum?.tus ?? null });
    });
    this.ctx.emit({ type: 'started', id: this.rec.id, direction: 'upload', name: this.rec.name ?? '', total: size, url: uploadUrl });
    return 0;
  }

  /**
   * A small file in the creation request itself (creation-with-upload): one request, no
   * hashing thread, and three store writes for each of thousands of small files. A crash
   * during that one request can leave an unfinished upload on the server, which expires
   * there; sending a small file again costs little. True when the server took it all.
   */
  private async createWithUpload(source: OpenedSource, size: number, firstSight: Partial<TransferRecord>, signal: AbortSignal): Promise<boolean> {
    const chunk = Buffer.allocUnsafe(size);
    if ((await source.read(chunk, 0)) !== size) throw new SourceModified(`${source.source} changed while it was being read`);
    const sha256 = createHash('sha256').update(chunk).digest('hex');
    // Nothing is written before the request: until its answer names the upload, a crash
    // can only lead to a new one, so there is nothing a record would help resume.
    const response = await this.http.sendBody('POST', this.rec.url, { ...creationHeaders(this.rec, size), ...chunkHeaders(chunk, this.caps) }, [chunk], signal);
    const { uploadUrl, offset } = readCreated(response, this.rec.url, size);
    const emitStarted = (): void => this.ctx.emit({ type: 'started', id: this.rec.id, direction: 'upload', name: this.rec.name ?? '', total: size, url: uploadUrl });
    if (offset === size) {
      emitStarted();
      await this.completeWith(sha256, { ...firstSight, uploadUrl, offset, sentUpTo: size });
      return true;
    }
    // The server kept part of it (or none): go on the usual way from its offset.
    this.ctx.store.transaction(() => {
      this.save({ ...firstSight, uploadUrl, offset, sentUpTo: size });
      this.history('start', { uploadUrl, size, checksum: this.caps!.checksum?.tus ?? null, withUpload: offset });
    });
    emitStarted();
    return false;
  }

  /**
   * The bytes the server may hold must still be the bytes that were sent (DESIGN.md section
   * 4: a changed source is never spliced). Every chunk is digested before any of its bytes
   * go (its whole blocks, and the open block up to its end as the tail), so everything up to
   * `sentUpTo`, which is at least the server's offset, has recorded digests to compare with,
   * whether or not its PATCH was ever confirmed. All of it is checked: a block the server
   * holds only part of is checked whole (found in review: a change there was spliced), and
   * the file's SHA-256 is fed to the same point, so an upload the server already holds whole
   * is recorded with the whole file's SHA-256, not a prefix's. Leaves the hashing sessions
   * positioned there.
   */
  private async checkSentPrefix(source: OpenedSource, offset: number): Promise<void> {
    this.closeHashes();
    const [file, blocks] = this.ctx.hashPool.open(
      [
        { algorithms: ['sha256'], blockSize: 0 },
        { algorithms: [], blockSize: this.rec.blockSize },
      ],
      [],
    ) as [HashSession, HashSession];
    this.hashes = { file, blocks, at: 0 };
    if (offset === 0) return;
    const size = this.rec.blockSize;
    const end = this.rec.sentUpTo; // >= offset: serverOffset refuses more
    const recorded = this.ctx.store.blocks(this.rec.id);
    const expected = Array.from({ length: Math.floor(end / size) }, (_, i) => recorded.get(i) ?? null);
    const tail = end % size === 0 ? null : this.rec.tailDigest;
    const [check] = await Promise.all([blocks.verify(source.readPath, 0, end, expected, tail), file.feedFile(source.readPath, 0, end)]);
    if (check.short) throw new SourceModified(`${source.source} is shorter than the part already uploaded`);
    if (check.bad.length > 0) throw new SourceModified(`block ${check.bad[0]} of ${source.source} differs from what was already uploaded`);
    this.hashes.at = end;
  }

  /** PATCH from `offset` to the end, chunk by chunk; every confirmed chunk is a checkpoint. */
  private async send(source: OpenedSource, offset: number, signal: AbortSignal): Promise<void> {
    // Smaller chunks when each must be read and hashed before it goes.
    const chunkSize = this.caps?.checksum ? CHECKSUM_CHUNK : PLAIN_CHUNK;
    const { size } = source.fingerprint;
    const uploadUrl = this.rec.uploadUrl!;
    let resends = 0;
    while (offset < size) {
      const length = Math.min(chunkSize, size - offset);
      const chunk = Buffer.allocUnsafe(length);
      const bytesRead = await source.read(chunk, offset);
      // Still the same version, and still there: a source deleted now ends the upload.
      source.check();
      if (bytesRead !== length) throw new SourceModified(`${source.source} changed while it was being uploaded`);
      const headers = { 'upload-offset': String(offset), ...chunkHeaders(chunk, this.caps) };
      await this.digestBeforeSending(source.readPath, offset + length);
      const response = await this.http.sendBody('PATCH', uploadUrl, headers, [chunk], signal);
      const outcome = patchOutcome(response, uploadUrl, offset, length);
      if (outcome === 'damaged') {
        if (resends >= MAX_CHUNK_RESENDS) throw statusFailure(response, uploadUrl);
        // The server's checksum of the chunk differs: it was damaged on the way. Send it again.
        resends++;
        this.history('retry', { reason: 'the server rejected a chunk its checksum check found damaged (460)', offset, length });
        continue;
      }
      resends = 0;
      offset = outcome;
      this.save({ offset }); // the server confirmed holding `offset` bytes: the checkpoint
    }
  }

  /**
   * Digests the source up to `to` (the end of the chunk about to go) and records those
   * block digests with `sentUpTo` in one transaction, before a byte of the chunk is sent.
   */
  private async digestBeforeSending(readPath: string, to: number): Promise<void> {
    const hashes = this.hashes!;
    if (to <= hashes.at) return; // a chunk sent again: its blocks are on record
    const [, snapshot] = await Promise.all([hashes.file.feedFile(readPath, hashes.at, to), hashes.blocks.feedFile(readPath, hashes.at, to)]);
    hashes.at = to;
    // The open block's digest up to `to` is the tail: the bytes of a block the server may
    // hold only part of are checked with it on a resume (checkSentPrefix).
    this.ctx.store.transaction(() => {
      this.ctx.store.checkpoint(this.rec.id, { offset: this.rec.offset, blocks: snapshot.blocks, tailDigest: snapshot.tail }, {}, this.ctx.clock.now());
      this.save({ sentUpTo: to, tailDigest: snapshot.tail });
    });
  }

  /**
   * The server holds every byte: the verdict (DESIGN.md section 2) and completion, in one
   * write with the store's batch of this turn of the loop, so the files that finish
   * together share a commit (issue 13: a commit of its own was a sixth of a small upload's
   * CPU). Nothing is said before it is written: a crash before the commit is a crash before
   * the server's answer was read, and the next run sends a small file again (or, chunked,
   * finds the server's offset at the end with HEAD and completes without sending).
   */
  private async completeWith(sha256: string | null, changes: Partial<TransferRecord>): Promise<void> {
    const checksum = this.caps!.checksum;
    // With the checksum extension the server checked every chunk it accepted against the
    // digest sent with it, and the final offset equals the size: that is the proof. There is
    // no whole-file reference, so expected and actual stay empty; the SHA-256 is recorded.
    const integrity: Integrity = checksum
      ? { status: 'verified', algorithm: checksum.node, expected: null, actual: null, source: 'tus-checksum' }
      : { status: 'unverified', algorithm: 'sha256', expected: null, actual: sha256, source: null };
    // A small file sent whole recorded no block digests.
    const written = this.saveInBatch({ ...changes, state: 'completed', path: this.rec.source, sha256, integrity, error: null, completedAt: this.ctx.clock.now() }, { clearBlocks: this.hashes !== null });
    this.history('complete', { uploadUrl: this.rec.uploadUrl, sha256, integrity });
    await written;
    this.ctx.emit({ type: 'ended', id: this.rec.id, record: this.rec });
  }

  // ---------------------------------------------------------------- starting over, failing

  /** A new upload from 0; the old one is terminated when the server allows it (never spliced). */
  private async startOver(reason: string, terminateOld: boolean, signal: AbortSignal): Promise<void> {
    const old = this.rec.uploadUrl;
    if (terminateOld && old) await this.terminate(old, signal);
    this.forget({ restarts: this.rec.restarts + 1 });
    this.history('restart', { reason, terminated: terminateOld ? old : null });
    this.ctx.emit({ type: 'restarted', id: this.rec.id, reason });
  }

  /**
   * The source was deleted: nothing will ever continue this upload, so its part on the
   * server is terminated (where the server allows it) and the record forgets it; the
   * failure says so. Putting the file back and running the upload again sends it anew.
   */
  private async sourceGone(error: SourceGone, signal: AbortSignal): Promise<TransferFailure> {
    const old = this.rec.uploadUrl;
    const removed = old ? await this.terminate(old, signal) : false;
    this.forget({});
    const message = old
      ? `${error.source} was deleted while it was being uploaded; ${removed ? 'the part already sent was removed from the server' : 'the part already sent stays on the server until it expires there'}. Put the file back and upload it again.`
      : error.midway
        ? `${error.source} was deleted while it was being uploaded. Put the file back and upload it again.`
        : `${error.source} is gone (deleted or moved). Put it back and upload it again, or remove this upload.`;
    return new TransferFailure(transferError('source-changed', message, false));
  }

  private async terminate(uploadUrl: string, signal: AbortSignal): Promise<boolean> {
    this.caps ??= await discover(this.http, this.ctx, this.rec.url, signal).catch(() => null);
    return terminate(this.http, this.caps, uploadUrl, signal);
  }

  /** The record lets go of the server's upload and what was sent to it. */
  private forget(extra: Partial<TransferRecord>): void {
    this.closeHashes();
    const cleared = { ...extra, uploadUrl: null, fingerprint: null, sentUpTo: 0, sha256: null, integrity: PENDING_INTEGRITY };
    this.ctx.store.reset(this.rec.id, cleared, this.ctx.clock.now());
    this.rec = { ...this.rec, ...cleared, offset: 0, tailDigest: null };
  }

  private closeHashes(): void {
    this.hashes?.file.close();
    this.hashes?.blocks.close();
    this.hashes = null;
  }
}
