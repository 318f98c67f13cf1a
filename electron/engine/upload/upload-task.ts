import { createHash } from 'node:crypto';
import { TransferFailure, transferError } from '../../common/errors';
import { PENDING_INTEGRITY, type Integrity } from '../../common/integrity';
import type { TransferRecord } from '../../common/transfer';
import type { EngineContext } from '../context';
import { TransferTask } from '../transfer/transfer-task';
import type { HashSession } from '../hash/hash-pool';
import { serverDigestReference } from '../http/digest-headers';
import type { HttpRequest, HttpResponse } from '../http/transport';
import { StallWatch } from '../transfer/stall-watch';
import { statusFailure } from '../core/failure';
import { type OpenedSource, SourceGone, SourceModified, describeChange, openSource, sameFile } from './source';
import { type TusCapabilities, TUS_VERSION, encodeMetadata, expired, integerHeader, readCapabilities } from './tus';

/** The upload on the server is gone (404, 410, expired): a new one starts from 0. */
class UploadGone extends Error {}

/** Bytes per PATCH when each chunk carries a checksum (it must be read and hashed first). */
const CHECKSUM_CHUNK = 4 << 20;
/** Bytes per PATCH otherwise: each request is also a checkpoint. */
const PLAIN_CHUNK = 16 << 20;
/** Files up to this size go in the creation request (creation-with-upload). */
const SMALL_FILE = 1 << 20;
/** Bytes handed to the connection at a time: the unit of bandwidth limiting and stall detection. */
const UPLOAD_SLICE = 64 << 10;
/** A chunk the server's checksum check rejects (460) is sent again this many times. */
const MAX_CHUNK_RESENDS = 3;

/**
 * One upload to a tus 1.0 server (DESIGN.md section 4): discovery, creation, HEAD to
 * resume, PATCH in chunks with Upload-Checksum when the server offers the checksum
 * extension, termination of an upload whose source changed. The store holds the upload
 * URL, the source's fingerprint and the block digests of the bytes the server confirmed.
 */
export class UploadTask extends TransferTask {
  private caps: TusCapabilities | null = null;
  /** Whole-file SHA-256 and block digests, fed from the source as the server confirms bytes. */
  private hashes: { file: HashSession; blocks: HashSession; at: number } | null = null;
  /** Bytes of the current chunk handed to the connection so far (for progress). */
  private inFlight = 0;
  /** New uploads started in this run: a server that keeps losing them, or a source that keeps changing, ends it. */
  private restartsThisRun = 0;

  constructor(ctx: EngineContext, record: TransferRecord) {
    super(ctx, record);
  }

  progress(): { bytes: number; total: number | null } {
    return { bytes: this.rec.offset + this.inFlight, total: this.rec.total };
  }

  /**
   * Not written to the store: 'active' means something only while this process runs, and
   * after a crash the transfer is queued again anyway. One write less per file.
   */
  protected override begin(): void {
    this.rec = { ...this.rec, state: 'active', error: null };
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
          ? transferError('source-changed', `${capitalize(error.message)}, and it kept changing: Ferry started the upload again ${n} times in this run and stopped. Upload it once it has stopped changing.`, false)
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
      source = await openSource(this.rec.source!, this.rec.relativePath, this.rec.fingerprint);
      if (this.rec.protocol === 'put') {
        await this.put(source, signal);
        return true;
      }
      return await this.tusAttempt(source, signal);
    } catch (error) {
      if (error instanceof SourceGone) throw await this.sourceGone(error, signal);
      throw error;
    } finally {
      await source?.close();
    }
  }

  private async tusAttempt(source: OpenedSource, signal: AbortSignal): Promise<boolean> {
    const { fingerprint } = source;
    if (this.rec.fingerprint && !sameFile(this.rec.fingerprint, fingerprint)) {
      throw new SourceModified(`${source.source} changed since the upload began (${describeChange(this.rec.fingerprint, fingerprint)})`);
    }
    const firstSight = this.rec.fingerprint ? {} : { fingerprint, total: fingerprint.size };
    const caps = await this.discover(signal);
    if (caps.maxSize !== null && fingerprint.size > caps.maxSize) {
      throw new TransferFailure(transferError('http-status', `The server takes files up to ${caps.maxSize} bytes; ${source.source} has ${fingerprint.size}.`, false, 413));
    }
    if (!this.rec.uploadUrl && fingerprint.size > 0 && fingerprint.size <= SMALL_FILE && caps.extensions.has('creation-with-upload')) {
      if (await this.createWithUpload(source, fingerprint.size, firstSight, signal)) return true;
    } else if (firstSight.fingerprint) {
      this.save(firstSight);
    }
    let offset: number;
    if (this.rec.uploadUrl) {
      offset = await this.serverOffset(signal);
      await this.checkSentPrefix(source.readPath, source.source, offset);
      if (offset > 0) {
        this.save({ resumes: this.rec.resumes + 1 });
        this.history('resume', { offset, url: this.rec.uploadUrl });
        this.ctx.emit({ type: 'resumed', id: this.rec.id, offset, validator: null, overlapBytes: 0, segments: 1 });
      }
    } else {
      await this.checkSentPrefix(source.readPath, source.source, 0);
      offset = await this.create(fingerprint.size, signal);
    }
    await this.send(source, offset, signal);
    const digests = await this.hashes!.file.final();
    this.completeWith(digests.sha256 ?? null, {});
    return true;
  }

  /**
   * Plain HTTP PUT: the whole file in one streamed request with its SHA-256 in
   * Content-Digest (RFC 9530). Not resumable: a retry sends the file again from 0.
   */
  private async put(opened: OpenedSource, signal: AbortSignal): Promise<void> {
    const { source, fingerprint } = opened;
    if (this.rec.fingerprint && !sameFile(this.rec.fingerprint, fingerprint)) this.history('restart', { reason: `${source} changed; sending the new version` });
    this.save({ fingerprint, total: fingerprint.size, offset: 0 });
    const [file] = this.ctx.hashPool.open([{ algorithms: ['sha256'], blockSize: 0 }], []) as [HashSession];
    let sha256: string;
    try {
      await file.feedFile(opened.readPath, 0, fingerprint.size);
      sha256 = (await file.final()).sha256!;
    } finally {
      file.close();
    }
    const headers = {
      'content-length': String(fingerprint.size),
      'content-type': 'application/octet-stream',
      'content-digest': `sha-256=:${Buffer.from(sha256, 'hex').toString('base64')}:`,
    };
    this.history('start', { url: this.rec.url, size: fingerprint.size, protocol: 'put' });
    this.ctx.emit({ type: 'started', id: this.rec.id, direction: 'upload', name: this.rec.name ?? '', total: fingerprint.size, url: this.rec.url });
    const response = await this.sendBody('PUT', this.rec.url, headers, readChunks(opened), signal);
    response.discard();
    if (response.status < 200 || response.status >= 300) throw statusFailure(response, this.rec.url);
    try {
      await opened.check();
    } catch (error) {
      // A PUT cannot be spliced or resumed: the next attempt sends the new version whole.
      if (error instanceof SourceModified) throw new TransferFailure(transferError('source-changed', `${capitalize(error.message)}; the server got the version before.`, true));
      throw error;
    }
    // A server that answers with a digest of what it stored proves the bytes; else our SHA-256 is recorded.
    const reference = serverDigestReference(response.headers, true);
    const integrity: Integrity =
      reference?.algorithm === 'sha256'
        ? { status: reference.hex === sha256 ? 'verified' : 'mismatch', algorithm: 'sha256', expected: reference.hex, actual: sha256, source: 'server-digest' }
        : { status: 'unverified', algorithm: 'sha256', expected: null, actual: sha256, source: null };
    if (integrity.status === 'mismatch') {
      const error = transferError('integrity-mismatch', `The server stored bytes whose SHA-256 is ${reference!.hex}, not ${sha256}; the upload is damaged. Send it again.`, false);
      this.save({ state: 'failed', integrity, sha256, error, completedAt: this.ctx.clock.now() });
      this.history('error', { ...error });
      this.ctx.emit({ type: 'ended', id: this.rec.id, record: this.rec });
      return;
    }
    this.ctx.store.transaction(() => {
      this.save({ state: 'completed', path: source, offset: fingerprint.size, sha256, integrity, error: null, completedAt: this.ctx.clock.now() });
      this.history('complete', { url: this.rec.url, sha256, integrity });
    });
    this.ctx.emit({ type: 'ended', id: this.rec.id, record: this.rec });
  }

  /** OPTIONS: which tus version, extensions, size limit and checksums the server has. */
  private async discover(signal: AbortSignal): Promise<TusCapabilities> {
    this.caps ??= this.ctx.tusServers.get(this.rec.url) ?? null;
    if (this.caps) return this.caps;
    const response = await this.request({ method: 'OPTIONS', url: new URL(this.rec.url), headers: {} }, signal);
    response.discard();
    if (response.status >= 400) throw statusFailure(response, this.rec.url);
    const caps = readCapabilities(response.headers);
    if (!caps) {
      throw new TransferFailure(
        transferError('server-broken', `${new URL(this.rec.url).host} does not answer as a tus 1.0 server (no Tus-Version); check the URL, or use --protocol put.`, false, response.status),
      );
    }
    if (!caps.extensions.has('creation')) {
      throw new TransferFailure(transferError('server-broken', `${new URL(this.rec.url).host} does not let clients create uploads (no tus creation extension).`, false));
    }
    this.caps = caps;
    // Asked once per endpoint while the engine runs: a folder of thousands of files is one server.
    this.ctx.tusServers.set(this.rec.url, caps);
    return caps;
  }

  /** POST: a new upload of `size` bytes; its URL is stored before anything is sent to it. */
  private async create(size: number, signal: AbortSignal): Promise<number> {
    const response = await this.request({ method: 'POST', url: new URL(this.rec.url), headers: { ...this.creationHeaders(size), 'content-length': '0' } }, signal);
    const { uploadUrl } = this.created(response, 0);
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
    const { bytesRead } = await source.handle.read(chunk, 0, size, 0);
    if (bytesRead !== size) throw new SourceModified(`${source.source} changed while it was being read`);
    const sha256 = createHash('sha256').update(chunk).digest('hex');
    // Nothing is written before the request: until its answer names the upload, a crash
    // can only lead to a new one, so there is nothing a record would help resume.
    const response = await this.sendBody('POST', this.rec.url, { ...this.creationHeaders(size), ...this.chunkHeaders(chunk) }, [chunk], signal);
    const { uploadUrl, offset } = this.created(response, size);
    const emitStarted = (): void => this.ctx.emit({ type: 'started', id: this.rec.id, direction: 'upload', name: this.rec.name ?? '', total: size, url: uploadUrl });
    if (offset === size) {
      emitStarted();
      this.completeWith(sha256, { ...firstSight, uploadUrl, offset, sentUpTo: size });
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

  private creationHeaders(size: number): Record<string, string> {
    const metadata = encodeMetadata({ filename: this.rec.name, relativePath: this.rec.relativePath, filetype: 'application/octet-stream' });
    return metadata ? { 'upload-length': String(size), 'upload-metadata': metadata } : { 'upload-length': String(size) };
  }

  /** Reads a creation response: the upload's URL, and the offset the server holds (at most `sent`). */
  private created(response: HttpResponse, sent: number): { uploadUrl: string; offset: number } {
    response.discard();
    const location = response.headers.get('location');
    if ((response.status !== 201 && response.status !== 200) || !location) {
      if (response.status >= 400) throw statusFailure(response, this.rec.url);
      throw new TransferFailure(transferError('server-broken', `The server answered the upload's creation with ${response.status} and no Location.`, true, response.status));
    }
    return { uploadUrl: new URL(location, this.rec.url).href, offset: Math.min(integerHeader(response.headers, 'upload-offset') ?? 0, sent) };
  }

  /** Bytes per PATCH: smaller when each chunk must be read and hashed before it goes. */
  private chunkSize(): number {
    return this.caps?.checksum ? CHECKSUM_CHUNK : PLAIN_CHUNK;
  }

  /** Headers for a request carrying upload bytes (PATCH, or POST with creation-with-upload). */
  private chunkHeaders(chunk: Buffer): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': 'application/offset+octet-stream', 'content-length': String(chunk.length) };
    const checksum = this.caps?.checksum;
    if (checksum) headers['upload-checksum'] = `${checksum.tus} ${createHash(checksum.node).update(chunk).digest('base64')}`;
    return headers;
  }

  /** HEAD: how much of the upload the server holds. */
  private async serverOffset(signal: AbortSignal): Promise<number> {
    const response = await this.request({ method: 'HEAD', url: new URL(this.rec.uploadUrl!), headers: {} }, signal);
    response.discard();
    if ([403, 404, 410].includes(response.status)) throw new UploadGone(`the server no longer has the upload (${response.status})`);
    if (expired(response.headers, Date.now())) throw new UploadGone('the upload expired on the server');
    if (response.status !== 200 && response.status !== 204) throw statusFailure(response, this.rec.uploadUrl!);
    const offset = integerHeader(response.headers, 'upload-offset');
    if (offset === null) throw new TransferFailure(transferError('server-broken', 'The server answered HEAD without an Upload-Offset.', true));
    if (offset > this.rec.sentUpTo) {
      // Never guessed around: bytes Ferry did not send are in this upload.
      throw new TransferFailure(
        transferError(
          'server-broken',
          `The server holds ${offset} bytes of this upload but Ferry sent at most ${this.rec.sentUpTo}; something else wrote to it. Remove this upload and start it again.`,
          false,
        ),
      );
    }
    return offset;
  }

  /**
   * The source's blocks that the server may hold must still be the bytes that were sent
   * (DESIGN.md section 4: a changed source is never spliced). Every block is digested before
   * any of its bytes are sent, so each whole block below the server's offset has a recorded
   * digest to compare with, whether or not its PATCH was ever confirmed. Leaves the hashing
   * sessions positioned at the last whole block checked.
   */
  private async checkSentPrefix(readPath: string, source: string, offset: number): Promise<void> {
    this.closeHashes();
    const [file, blocks] = this.ctx.hashPool.open(
      [
        { algorithms: ['sha256'], blockSize: 0 },
        { algorithms: [], blockSize: this.rec.blockSize },
      ],
      [],
    ) as [HashSession, HashSession];
    this.hashes = { file, blocks, at: 0 };
    const size = this.rec.blockSize;
    const covered = Math.floor(offset / size) * size;
    if (covered === 0) return;
    const recorded = this.ctx.store.blocks(this.rec.id);
    const expected = Array.from({ length: covered / size }, (_, i) => recorded.get(i) ?? null);
    const [check] = await Promise.all([blocks.verify(readPath, 0, covered, expected, null), file.feedFile(readPath, 0, covered)]);
    if (check.short) throw new SourceModified(`${source} is shorter than the part already uploaded`);
    if (check.bad.length > 0) throw new SourceModified(`block ${check.bad[0]} of ${source} differs from what was already uploaded`);
    this.hashes.at = covered;
  }

  /** PATCH from `offset` to the end, chunk by chunk; every confirmed chunk is a checkpoint. */
  private async send(source: OpenedSource, offset: number, signal: AbortSignal): Promise<void> {
    const chunkSize = this.chunkSize();
    const { size } = source.fingerprint;
    let resends = 0;
    while (offset < size) {
      const length = Math.min(chunkSize, size - offset);
      const chunk = Buffer.allocUnsafe(length);
      const { bytesRead } = await source.handle.read(chunk, 0, length, offset);
      // Still the same version, and still there: a source deleted now ends the upload.
      await source.check();
      if (bytesRead !== length) throw new SourceModified(`${source.source} changed while it was being uploaded`);
      const headers = { 'upload-offset': String(offset), ...this.chunkHeaders(chunk) };
      await this.digestBeforeSending(source.readPath, offset + length);
      const response = await this.sendBody('PATCH', this.rec.uploadUrl!, headers, [chunk], signal);
      response.discard();
      if (response.status === 460 && resends < MAX_CHUNK_RESENDS) {
        // The server's checksum of the chunk differs: it was damaged on the way. Send it again.
        resends++;
        this.history('retry', { reason: 'the server rejected a chunk its checksum check found damaged (460)', offset, length });
        continue;
      }
      if (response.status === 409) {
        // The server's offset is not the one this chunk was sent for. A retryable failure:
        // the attempt loop waits (backoff) and the next attempt asks with HEAD; a server
        // that answers 409 to everything meets the loop's cap, not a tight loop.
        throw new TransferFailure(
          transferError(
            'http-status',
            `HTTP 409 from ${new URL(this.rec.uploadUrl!).host}: the server refused the chunk at offset ${offset} because its offset for this upload differs (another client writing to it, or an answer lost on the way).`,
            true,
            409,
          ),
        );
      }
      if ([403, 404, 410].includes(response.status)) throw new UploadGone(`the server no longer has the upload (${response.status})`);
      if (response.status !== 204 && response.status !== 200) throw statusFailure(response, this.rec.uploadUrl!);
      const confirmed = integerHeader(response.headers, 'upload-offset');
      if (confirmed === null || confirmed < offset || confirmed > offset + length) {
        throw new TransferFailure(transferError('server-broken', `The server confirmed offset ${confirmed ?? 'none'} after a chunk from ${offset} to ${offset + length}.`, true));
      }
      resends = 0;
      offset = confirmed;
      this.confirm(offset);
    }
  }

  /**
   * One request whose body is handed to the connection in slices as it takes them, so the
   * bandwidth limit applies and a stall is seen: no slice taken, or no answer after the
   * last one, for the stall timeout aborts the request (and the upload resumes).
   */
  private async sendBody(
    method: 'PATCH' | 'PUT' | 'POST',
    url: string,
    headers: Record<string, string>,
    parts: AsyncIterable<Buffer> | Buffer[],
    signal: AbortSignal,
  ): Promise<HttpResponse> {
    // One small piece and no bandwidth limit (a small file): handed over whole, one write;
    // the watchdog then waits for the answer alone.
    const whole = Array.isArray(parts) && parts.length === 1 && parts[0]!.length <= UPLOAD_SLICE && this.ctx.bandwidth.limit === null;
    try {
      return await this.request({ method, url: new URL(url), headers, body: whole ? parts[0]! : (watch) => this.slices(parts, watch, signal) }, signal);
    } finally {
      this.inFlight = 0;
    }
  }

  private async *slices(parts: AsyncIterable<Buffer> | Buffer[], watch: StallWatch, signal: AbortSignal): AsyncIterable<Uint8Array> {
    let sent = 0;
    for await (const part of parts) {
      for (let at = 0; at < part.length; at += UPLOAD_SLICE) {
        const slice = part.subarray(at, at + UPLOAD_SLICE);
        const throttled = this.ctx.bandwidth.take(slice.length, signal);
        if (throttled) {
          watch.hold(); // waiting for the bandwidth limit is slow, not stalled
          await throttled;
        }
        watch.touch('sending');
        sent += slice.length;
        this.inFlight = sent;
        yield slice;
      }
    }
    watch.touch('waiting'); // from here the answer is due within the stall timeout
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
    this.ctx.store.transaction(() => {
      this.ctx.store.checkpoint(this.rec.id, { offset: this.rec.offset, blocks: snapshot.blocks, tailDigest: null }, {}, this.ctx.clock.now());
      this.save({ sentUpTo: Math.max(this.rec.sentUpTo, to) });
    });
  }

  /** The server confirmed holding `offset` bytes: the checkpoint. */
  private confirm(offset: number): void {
    this.save({ offset });
  }

  /** The server holds every byte: the verdict (DESIGN.md section 2) and completion, in one write. */
  private completeWith(sha256: string | null, changes: Partial<TransferRecord>): void {
    const checksum = this.caps!.checksum;
    // With the checksum extension the server checked every chunk it accepted against the
    // digest sent with it, and the final offset equals the size: that is the proof. There is
    // no whole-file reference, so expected and actual stay empty; the SHA-256 is recorded.
    const integrity: Integrity = checksum
      ? { status: 'verified', algorithm: checksum.node, expected: null, actual: null, source: 'tus-checksum' }
      : { status: 'unverified', algorithm: 'sha256', expected: null, actual: sha256, source: null };
    this.ctx.store.transaction(() => {
      if (this.hashes) this.ctx.store.clearBlocks(this.rec.id); // a small file sent whole recorded none
      this.save({ ...changes, state: 'completed', path: this.rec.source, sha256, integrity, error: null, completedAt: this.ctx.clock.now() });
      this.history('complete', { uploadUrl: this.rec.uploadUrl, sha256, integrity });
    });
    this.ctx.emit({ type: 'ended', id: this.rec.id, record: this.rec });
  }

  // ---------------------------------------------------------------- starting over, failing

  /** A new upload from 0; the old one is terminated when the server allows it (never spliced). */
  private async startOver(reason: string, terminate: boolean, signal: AbortSignal): Promise<void> {
    const old = this.rec.uploadUrl;
    if (terminate && old) await this.terminate(old, signal);
    this.forget({ restarts: this.rec.restarts + 1 });
    this.history('restart', { reason, terminated: terminate ? old : null });
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

  /** DELETE (tus termination) of an upload nothing will continue; true when the server removed it. */
  private async terminate(uploadUrl: string, signal: AbortSignal): Promise<boolean> {
    const caps = this.caps ?? (await this.discover(signal).catch(() => null));
    if (!caps?.extensions.has('termination')) return false;
    try {
      const response = await this.request({ method: 'DELETE', url: new URL(uploadUrl), headers: {} }, signal);
      return response.status === 204 || response.status === 200 || response.status === 404 || response.status === 410;
    } catch {
      return false; // the server will expire it; nothing here depends on it
    }
  }

  /** The record lets go of the server's upload and what was sent to it. */
  private forget(extra: Partial<TransferRecord>): void {
    this.closeHashes();
    const cleared = { ...extra, uploadUrl: null, fingerprint: null, sentUpTo: 0, sha256: null, integrity: PENDING_INTEGRITY };
    this.ctx.store.reset(this.rec.id, cleared, this.ctx.clock.now());
    this.rec = { ...this.rec, ...cleared, offset: 0, tailDigest: null };
  }


  // ---------------------------------------------------------------- plumbing

  /**
   * Every request carries the person's headers (and Tus-Resumable for tus), runs under a
   * stall watch from before it connects until its answer is read, and has its network
   * errors classified. Answers to upload requests are a few bytes: they are read here.
   */
  private async request(
    req: Omit<HttpRequest, 'signal' | 'body'> & { body?: Uint8Array | ((watch: StallWatch) => AsyncIterable<Uint8Array>) },
    signal: AbortSignal,
  ): Promise<HttpResponse> {
    const headers: Record<string, string> = {};
    for (const [k, v] of this.rec.headers) headers[k.toLowerCase()] = v;
    Object.assign(headers, req.headers, { 'user-agent': headers['user-agent'] ?? 'Ferry/0.1' });
    if (this.rec.protocol !== 'put') headers['tus-resumable'] = TUS_VERSION;
    const watch = new StallWatch(this.ctx.clock, () => this.ctx.tuning.stallTimeoutMs, signal);
    const body = typeof req.body === 'function' ? req.body(watch) : req.body;
    try {
      const response = await watch.request(this.ctx.transport, { ...req, headers, body }, signal);
      return await readSmallAnswer(response, watch, req.url.href, signal);
    } finally {
      watch.stop();
    }
  }

  private closeHashes(): void {
    this.hashes?.file.close();
    this.hashes?.blocks.close();
    this.hashes = null;
  }


}

/** The opened source in 1 MiB reads, for a streamed request body. */
async function* readChunks(source: OpenedSource): AsyncIterable<Buffer> {
  const { size } = source.fingerprint;
  for (let at = 0; at < size; ) {
    const buffer = Buffer.allocUnsafe(Math.min(1 << 20, size - at));
    const { bytesRead } = await source.handle.read(buffer, 0, buffer.length, at);
    if (bytesRead === 0) throw new TransferFailure(transferError('source-changed', `${source.source} became shorter while it was being sent.`, true));
    at += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Answers to upload requests carry a few bytes at most; more than this is not read. */
const ANSWER_LIMIT = 64 << 10;

/**
 * Reads an upload request's answer under the request's watch, so a server that sends
 * headers and then holds the body open is a stall like any other; returns the response
 * with its body consumed (discard() is then a no-op).
 */
async function readSmallAnswer(response: HttpResponse, watch: StallWatch, url: string, signal: AbortSignal): Promise<HttpResponse> {
  let read = 0;
  try {
    for await (const chunk of response.body) {
      watch.touch();
      read += chunk.length;
      if (read > ANSWER_LIMIT) break;
    }
  } catch (error) {
    throw watch.failure(error, url, signal);
  } finally {
    response.discard();
  }
  return { ...response, body: emptyBody(), discard: () => undefined };
}

async function* emptyBody(): AsyncIterable<Uint8Array> {}
