import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { TransferFailure, transferError } from '../../common/errors';
import { type DigestAlgorithm, type DigestReference, PENDING_INTEGRITY, judgeIntegrity } from '../../common/integrity';
import type { TransferRecord } from '../../common/transfer';
import type { EngineContext } from '../context';
import { TransferTask } from '../transfer/transfer-task';
import { sanitizeFilename } from '../fs/filename';
import { claimFreeName, placeWithoutOverwrite } from '../fs/placement';
import { parseContentLength, parseContentRange } from '../http/content-range';
import { filenameFromContentDisposition, filenameFromUrl } from '../http/content-disposition';
import { WANT_REPR_DIGEST, serverDigestReference } from '../http/digest-headers';
import { CREDENTIAL_HEADERS } from '../http/headers';
import { describeNetworkError } from '../http/network-errors';
import type { HttpResponse } from '../http/transport';
import { readValidators, validatorsChanged } from '../http/validators';
import { LivePartial, PARTIAL_SUFFIX } from './live-partial';
import { DiskError, describeDiskError, statusFailure } from '../core/failure';
import type { PartialWriter } from './partial-writer';
import { SegmentedPartial } from './segmented-partial';
import { type Segment, bytesHeld, furthestHeld, isComplete, isolateBlocks, pieceCount, planSegments, splitLargest } from './segments';

/**
 * Where a body's bytes must stop. A single stream must end exactly at the file's total
 * (more is a broken server); a segment stops early at its end and drops the rest.
 */
interface Bound {
  end: () => number | null;
  stopsEarly: boolean;
}

/** The bytes we hold cannot be continued: start again from 0, for the reason given. */
class RestartRequired extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Bytes that move per bandwidth-limit token request. */
const THROTTLE_SLICE = 16 << 10;

/** Statuses that, on a resumed signed or redirected URL, mean "this link expired" (rule 11). */
const EXPIRED_LINK_STATUSES = new Set([401, 403, 404, 410]);
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

interface Fetched {
  response: HttpResponse;
  url: string;
  chain: string[];
}

/**
 * One download, from wherever its record says it is to a verdict. Every rule of
 * shared/DESIGN.md section 3 lives here; the numbers in comments refer to it.
 */
export class DownloadTask extends TransferTask {
  private live: LivePartial | null = null;
  /** The partial while several connections fill it (a segmented download). */
  private seg: SegmentedPartial | null = null;
  private restartsThisRun = 0;
  private mismatchRestarted = false;
  private checkpointing: Promise<void> | null = null;
  private lastCheckpointAt = 0;
  /** How the last resume's overlap check went: ok, mismatch, or incomplete (body ended first). */
  private overlapResult: 'ok' | 'mismatch' | 'incomplete' = 'incomplete';

  constructor(ctx: EngineContext, record: TransferRecord) {
    super(ctx, record);
  }

  /** Bytes held so far (including those not yet checkpointed) and the expected total. */
  progress(): { bytes: number; total: number | null } {
    return { bytes: this.live?.position ?? this.seg?.held() ?? this.rec.offset, total: this.rec.total };
  }

  /** The bytes we hold cannot be continued: start again from 0. */
  protected override async recover(error: unknown): Promise<boolean> {
    if (!(error instanceof RestartRequired)) return false;
    await this.restart(error.reason);
    return true;
  }

  protected override beforeStop(): Promise<void> {
    return this.settle();
  }

  protected override async cleanup(): Promise<void> {
    await this.settle().catch(() => undefined);
    await this.closePartial();
  }

  // ---------------------------------------------------------------- one attempt

  /** One request and its body. True when the download reached a verdict. */
  protected async attempt(signal: AbortSignal): Promise<boolean> {
    if (this.restartsThisRun > this.ctx.tuning.maxRestarts) {
      throw new TransferFailure(
        transferError('server-broken', `The server's answers kept contradicting the bytes already held (${this.restartsThisRun} restarts); try again later.`, false),
      );
    }
    if (!this.live && !this.seg && (await this.finishInterruptedPlacement())) return true;
    if (this.seg || this.ctx.store.segments(this.rec.id).length > 0) {
      await this.ensureSegmented();
      const held = this.seg!.held();
      const unfinished = this.seg!.segments.filter((s) => !isComplete(s)).length;
      this.save({ resumes: this.rec.resumes + 1 });
      this.history('resume', { offset: held, validator: this.rec.ifRange, segments: unfinished, url: this.rec.effectiveUrl });
      // Each segment checks its own overlap as its connection starts.
      this.ctx.emit({ type: 'resumed', id: this.rec.id, offset: held, validator: this.rec.ifRange, overlapBytes: 0, segments: unfinished });
      return this.runSegments(signal, null);
    }
    const live = await this.ensurePartial(signal);
    if (!live || live.position === 0) return this.fresh(signal, null);

    const offset = live.position;
    if (this.rec.total !== null && offset === this.rec.total) return this.finish();
    const overlapStart = Math.max(0, offset - this.ctx.tuning.overlapBytes); // rule 6
    const held = await live.read(overlapStart, offset - overlapStart);
    const headers = this.requestHeaders({ range: `bytes=${overlapStart}-`, ifRange: this.rec.ifRange });
    const fetched = await this.fetchResumable(headers, signal);
    try {
      return await this.resumeBody(signal, fetched, live, held, overlapStart);
    } catch (error) {
      fetched.response.discard(); // whatever went wrong, the connection is not left waiting
      throw error;
    }
  }

  private async resumeBody(signal: AbortSignal, fetched: Fetched, live: LivePartial, held: Buffer, overlapStart: number): Promise<boolean> {
    const { response } = fetched;
    const offset = live.position;
    if (response.status === 200) {
      // Rule 4: the range was ignored or the validator changed; this body is a fresh start.
      this.history('restart', { reason: 'the server answered the range request with the whole file', offset });
      return this.fresh(signal, fetched, 'the server sent the whole file instead of the requested range');
    }
    if (response.status === 416) {
      response.discard();
      // Rule 5: all bytes already here, or our idea of the file is wrong.
      if (this.rec.total !== null && offset === this.rec.total) return this.finish();
      throw new RestartRequired('the server says the range we hold does not exist (416)');
    }
    if (response.status !== 206) throw statusFailure(response, fetched.url);
    this.checkPartialResponse(response, overlapStart);
    const range = parseContentRange(response.headers.get('content-range'))!;
    this.saveResponse(fetched, false);
    this.save({ resumes: this.rec.resumes + 1 });
    const validator = this.rec.ifRange;
    this.ctx.emit({ type: 'resumed', id: this.rec.id, offset, validator, overlapBytes: held.length, segments: 1 });
    const detail = { offset, validator, overlapBytes: held.length, url: fetched.url };
    try {
      await this.receive(response, live.writer, held, range.end - range.start + 1, signal, null, this.streamBound());
    } finally {
      this.history('resume', { ...detail, overlap: this.overlapResult });
    }
    return this.finishIfComplete();
  }

  /** Rule 3, and the other ways a 206 can be unusable: anything wrong means restart. */
  private checkPartialResponse(response: HttpResponse, requestedStart: number): void {
    const h = response.headers;
    const fail = (reason: string): never => {
      response.discard();
      throw new RestartRequired(reason);
    };
    const range = parseContentRange(h.get('content-range'));
    if (!range) fail(`the server's 206 has a missing or malformed Content-Range ("${h.get('content-range') ?? ''}")`);
    if (range!.start !== requestedStart) fail(`the server sent bytes from ${range!.start}, not the requested ${requestedStart}`);
    if (range!.total !== this.rec.total) fail(`the file's length changed on the server (${this.rec.total} -> ${range!.total ?? 'unknown'})`);
    const length = parseContentLength(h.get('content-length'));
    if (length !== null && length !== range!.end - range!.start + 1) fail('the 206 body length does not match its Content-Range');
    const encoding = h.get('content-encoding');
    if (encoding && encoding.toLowerCase() !== 'identity') fail(`the server encoded a range (${encoding}); ranges of encoded bytes cannot be joined`);
    if ((h.get('content-type') ?? '').toLowerCase().startsWith('multipart/byteranges')) fail('the server sent several ranges at once');
    if (validatorsChanged(this.rec, readValidators(h))) fail('the file changed on the server (its validator is different)');
    const reference = serverDigestReference(h, false);
    const known = this.rec.serverChecksum;
    if (reference && known && reference.algorithm === known.algorithm && reference.hex !== known.hex) {
      fail(`the file changed on the server (its ${reference.source} is different)`);
    }
  }

  /**
   * A download from byte 0: the first one, a restart, or a 200 that answered a range
   * request (`fetched` then already holds that response).
   */
  private async fresh(signal: AbortSignal, given: Fetched | null, restartReason?: string): Promise<boolean> {
    // A start from 0 always asks the URL the person gave; redirects are resolved anew.
    const fetched = given ?? (await this.fetchFollowing(this.rec.url, this.requestHeaders({}), signal, this.rec.url));
    try {
      return await this.freshBody(signal, fetched, restartReason);
    } catch (error) {
      fetched.response.discard(); // whatever went wrong, the connection is not left waiting
      throw error;
    }
  }

  private async freshBody(signal: AbortSignal, fetched: Fetched, restartReason?: string): Promise<boolean> {
    const { response } = fetched;
    if (response.status !== 200) {
      response.discard();
      if (response.status === 206 || response.status === 416) {
        throw new TransferFailure(transferError('server-broken', `The server answered a plain request with ${response.status}; it does not follow HTTP.`, true, response.status));
      }
      throw statusFailure(response, fetched.url);
    }
    if (restartReason) {
      this.restartsThisRun++;
      this.save({ restarts: this.rec.restarts + 1 });
      this.ctx.emit({ type: 'restarted', id: this.rec.id, reason: restartReason });
    }
    const h = response.headers;
    const encoding = (h.get('content-encoding') ?? 'identity').toLowerCase();
    const encoded = encoding !== 'identity';
    const total = encoded ? null : parseContentLength(h.get('content-length'));
    this.checkFreeSpace(total);
    const name = this.rec.name ?? (await this.reserveName(fetched));
    // One transaction for everything a start records: thousands of small files each start once.
    const segments = this.ctx.store.transaction(() => {
      const held = this.rec.offset > 0;
      this.saveResponse(fetched, true);
      this.save({ total, encoded, offset: 0, tailDigest: null, sha256: null, integrity: PENDING_INTEGRITY, path: null });
      if (held) this.ctx.store.clearBlocks(this.rec.id); // a 200 answered a range request: the old bytes go
      const plan = this.segmentPlan(h, total, encoded);
      this.history('start', { url: fetched.url, chain: fetched.chain, total, etag: this.rec.etag, lastModified: this.rec.lastModified, encoding, segments: plan?.length ?? 1 });
      if (plan) this.ctx.store.checkpointSegments(this.rec.id, plan, [], this.ctx.clock.now());
      return plan;
    });

    await this.closePartial();
    const partialPath = path.join(this.rec.dir, name + PARTIAL_SUFFIX);
    this.ctx.emit({ type: 'started', id: this.rec.id, direction: 'download', name, total, url: fetched.url });
    if (segments) {
      this.seg = await this.openPartial(() => SegmentedPartial.fresh(this.ctx.hashPool, partialPath, this.algorithms(), this.rec.blockSize, segments));
      return this.runSegments(signal, response);
    }
    this.live = await this.openPartial(() => LivePartial.fresh(this.ctx.hashPool, partialPath, this.algorithms(), this.rec.blockSize, total));

    // A header digest over encoded bytes is checked against the bytes on the wire.
    const decode = encoded && !response.decoded;
    const wireHash = decode && this.rec.serverChecksum ? createHash(this.rec.serverChecksum.algorithm) : null;
    await this.receive(response, this.live.writer, null, total, signal, decode ? { encoding, wireHash } : null, this.streamBound());
    if (encoded) this.save({ total: this.live.position });
    return this.finishIfComplete(wireHash);
  }

  // ---------------------------------------------------------------- several connections

  /**
   * Segments for a fresh download, or null to run it as one stream. Splitting needs what a
   * resume needs (a known length, no encoding, a strong validator sent as If-Range) and a
   * server that says it serves ranges; small files are not worth the extra requests.
   */
  private segmentPlan(h: HttpResponse['headers'], total: number | null, encoded: boolean): Segment[] | null {
    const connections = this.ctx.limits().maxConnections;
    const minBytes = this.ctx.tuning.minSegmentBytes;
    if (connections < 2 || total === null || encoded || !this.rec.ifRange) return null;
    if (!/\bbytes\b/i.test(h.get('accept-ranges') ?? '') || total < 2 * minBytes) return null;
    return planSegments(total, this.rec.blockSize, pieceCount(total, connections, this.ctx.tuning.piecesPerConnection), minBytes);
  }

  /**
   * The segmented partial to continue: checked like a single one (rule 7), every segment's
   * bytes verified block by block (rule 8), and each bad block given a segment of its own so
   * that exactly it is fetched again.
   */
  private async ensureSegmented(): Promise<void> {
    if (this.seg) {
      await this.seg.drain();
      if (!this.seg.stillOurs(this.seg.furthest())) throw new RestartRequired('the partial file was deleted or replaced while downloading');
      return;
    }
    const segments = this.ctx.store.segments(this.rec.id);
    if (!this.canResume()) throw new RestartRequired(this.notResumableReason());
    const partialPath = this.partialPath();
    const furthest = furthestHeld(segments);
    let size: number;
    try {
      size = fs.statSync(partialPath).size;
    } catch {
      throw new RestartRequired('the partial file is gone');
    }
    if (size < furthest) throw new RestartRequired(`the partial file is shorter (${size} bytes) than recorded (${furthest})`);
    if (size > this.rec.total!) fs.truncateSync(partialPath, this.rec.total!);
    const part = await SegmentedPartial.open(this.ctx.hashPool, partialPath, this.algorithms(), this.rec.blockSize, segments);
    this.seg = part;
    const recorded = this.ctx.store.blocks(this.rec.id);
    const first = await part.verify(recorded);
    if (first.short) throw new RestartRequired('the partial file shrank while being checked');
    if (first.bad.length > 0) {
      this.history('repair', { blocks: first.bad, action: 'fetching again by range' });
      part.replaceSegments(isolateBlocks(part.segments, first.bad, this.rec.blockSize));
      const again = await part.verify(recorded);
      if (again.short || again.bad.length > 0) throw new RestartRequired('the partial file changed while being checked');
      this.ctx.store.checkpointSegments(this.rec.id, part.segments, [], this.ctx.clock.now());
      this.ctx.emit({ type: 'repaired', id: this.rec.id, blocks: first.bad });
    }
    await part.feedFileHash(part.segments);
  }

  /**
   * Fills the segments over up to `maxConnections` connections at once, each counted against
   * the host's limit; `first` is the response that answered the fresh request, which fills
   * the first segment. A connection with nothing left takes half of the largest remaining
   * segment. The first failure stops every connection (checkpointed) and is thrown to the
   * retry loop; a resume then continues every segment.
   */
  private async runSegments(signal: AbortSignal, first: HttpResponse | null): Promise<boolean> {
    const part = this.seg!;
    const stop = new AbortController();
    const onAbort = (): void => stop.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const busy = new Map<Segment, Promise<void>>();
    let failure: { error: unknown } | null = null;
    let wake: () => void = () => undefined;
    const launch = (segment: Segment, response: HttpResponse | null): void => {
      const done = this.fetchSegment(part, segment, response, stop.signal).then(
        () => undefined,
        (error: unknown) => {
          failure ??= { error };
          stop.abort(error);
        },
      );
      busy.set(
        segment,
        done.finally(() => {
          busy.delete(segment);
          wake();
        }),
      );
    };
    const host = new URL(this.rec.effectiveUrl ?? this.rec.url).host;
    const minBytes = this.ctx.tuning.minSegmentBytes;
    const livePosition = (s: Segment): number => part.liveStreams().find(([x]) => x === s)?.[1].writer.position ?? s.position;
    try {
      if (first) launch(part.segments[0]!, first);
      for (;;) {
        if (failure || stop.signal.aborted) break;
        // More connections while the limit and the host's free request slots allow; always one.
        while (busy.size < this.ctx.limits().maxConnections && (busy.size === 0 || this.ctx.requests.hasRoom(host))) {
          const idle = part.segments.find((s) => !busy.has(s) && livePosition(s) < s.end);
          const next = idle ?? splitLargest(part.segments, this.rec.blockSize, minBytes, new Set(busy.keys()), livePosition);
          if (!next) break;
          launch(next, null);
        }
        if (busy.size === 0) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, this.ctx.tuning.checkpointIntervalMs).unref();
        });
        this.maybeCheckpoint();
      }
      await Promise.all(busy.values());
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    if (failure) throw (failure as { error: unknown }).error;
    if (signal.aborted) throw signal.reason;
    await this.checkpoint();
    if (!part.allComplete()) return false;
    return this.finish();
  }

  /** Fills one segment, asking again (with an overlap check) when a connection ends early. */
  private async fetchSegment(part: SegmentedPartial, segment: Segment, first: HttpResponse | null, signal: AbortSignal): Promise<void> {
    const { writer } = part.stream(segment);
    let response = first;
    while (writer.position < segment.end) {
      const before = writer.position;
      let held: Buffer | null = null;
      let expected: number | null = null;
      if (!response) {
        await writer.drain(); // the overlap is compared with bytes on disk
        const from = Math.max(segment.start, before - this.ctx.tuning.overlapBytes); // rule 6
        held = from < before ? await part.read(from, before - from) : null;
        const headers = this.requestHeaders({ range: `bytes=${from}-${segment.end - 1}`, ifRange: this.rec.ifRange });
        const fetched = await this.fetchResumable(headers, signal);
        response = fetched.response;
        try {
          if (response.status === 200) throw new RestartRequired('the file changed on the server (a segment request got the whole file)');
          if (response.status === 416) throw new RestartRequired('the server says a segment of the file does not exist (416)');
          if (response.status !== 206) throw statusFailure(response, fetched.url);
          this.checkPartialResponse(response, from);
        } catch (error) {
          response.discard();
          throw error;
        }
        const range = parseContentRange(response.headers.get('content-range'))!;
        expected = range.end - range.start + 1;
      }
      try {
        await this.receive(response, writer, held, expected, signal, null, { end: () => segment.end, stopsEarly: true });
      } catch (error) {
        response.discard();
        throw error;
      }
      response = null;
      if (writer.position === before && writer.position < segment.end) {
        throw new TransferFailure(transferError('connection-reset', 'The server closed a segment without sending a byte; resuming.', true));
      }
    }
  }

  // ---------------------------------------------------------------- the partial on disk

  /**
   * The partial to continue, checked (rule 7) and verified block by block (rule 8), or
   * null when there is nothing to continue. Bad blocks are fetched again by range.
   */
  private async ensurePartial(signal: AbortSignal): Promise<LivePartial | null> {
    if (this.live) {
      await this.live.writer.drain(); // bytes still in memory must be on disk before we compare sizes
      if (this.live.stillOurs(this.live.position) && this.canResume()) return this.live;
      const reason = this.live.stillOurs(this.live.position) ? this.notResumableReason() : 'the partial file was deleted or replaced while downloading';
      throw new RestartRequired(reason);
    }
    if (!this.rec.name) return null;
    const partialPath = this.partialPath();
    let size: number;
    try {
      size = fs.statSync(partialPath).size;
    } catch {
      if (this.rec.offset > 0) throw new RestartRequired('the partial file is gone');
      return null;
    }
    if (this.rec.offset === 0) return null;
    if (!this.canResume()) throw new RestartRequired(this.notResumableReason());
    if (size < this.rec.offset) throw new RestartRequired(`the partial file is shorter (${size} bytes) than recorded (${this.rec.offset})`);
    if (size > this.rec.offset) fs.truncateSync(partialPath, this.rec.offset); // bytes past the checkpoint are unproven

    const live = await LivePartial.open(this.ctx.hashPool, partialPath, this.algorithms(), this.rec.blockSize, this.rec.total);
    this.live = live;
    const offset = this.rec.offset;
    const bad = await this.verifyPartial(live, offset);
    if (bad.length > 0) {
      if (!this.rec.ifRange) {
        // Without a strong validator a range repair cannot be trusted: keep the good prefix.
        const goodPrefix = bad[0]! * this.rec.blockSize;
        this.history('repair', { blocks: bad, action: 'truncated to the first bad block', offset: goodPrefix });
        await this.live.close();
        this.live = null;
        fs.truncateSync(partialPath, goodPrefix);
        this.checkpointAt(goodPrefix);
        return this.ensurePartial(signal);
      }
      await this.repairBlocks(live, bad, signal);
      // The whole-file digests were fed bytes that included bad ones: rebuild them.
      await this.live.close();
      this.live = await LivePartial.open(this.ctx.hashPool, partialPath, this.algorithms(), this.rec.blockSize, this.rec.total);
      const still = await this.verifyPartial(this.live, offset);
      if (still.length > 0) throw new RestartRequired(`blocks ${still.join(', ')} differ even after fetching them again`);
    }
    return this.live;
  }

  /** Re-hashes the partial's blocks and tail against the store; feeds the whole-file digests. */
  private async verifyPartial(live: LivePartial, offset: number): Promise<number[]> {
    const recorded = this.ctx.store.blocks(this.rec.id);
    const complete = Math.floor(offset / this.rec.blockSize);
    const expected = Array.from({ length: complete }, (_, i) => recorded.get(i) ?? null);
    const [check] = await Promise.all([
      live.blockHash.verify(live.path, 0, offset, expected, this.rec.tailDigest),
      live.fileHash.feedFile(live.path, 0, offset),
    ]);
    if (check.short) throw new RestartRequired('the partial file shrank while being checked');
    if (check.bad.length === 0) live.seek(offset);
    return check.bad;
  }

  /** Fetches bad blocks again by range with If-Range and writes them in place (rule 8). */
  private async repairBlocks(live: LivePartial, bad: number[], signal: AbortSignal): Promise<void> {
    const size = this.rec.blockSize;
    this.history('repair', { blocks: bad, action: 'fetching again by range' });
    for (const index of bad) {
      const start = index * size;
      const end = Math.min(start + size, this.rec.offset) - 1;
      const headers = this.requestHeaders({ range: `bytes=${start}-${end}`, ifRange: this.rec.ifRange });
      const { response, url } = await this.fetchResumable(headers, signal);
      if (response.status === 200) {
        response.discard();
        throw new RestartRequired('the file changed on the server (a block repair got the whole file)');
      }
      if (response.status !== 206) {
        response.discard();
        throw statusFailure(response, url);
      }
      this.checkPartialResponse(response, start);
      const range = parseContentRange(response.headers.get('content-range'))!;
      if (range.end !== end) {
        response.discard();
        throw new RestartRequired(`the server sent a different range (${range.start}-${range.end}) than the block asked for`);
      }
      const bytes = await this.collect(response, end - start + 1, signal);
      await live.write(bytes, start);
    }
    await live.sync();
    this.ctx.emit({ type: 'repaired', id: this.rec.id, blocks: bad });
  }

  // ---------------------------------------------------------------- bodies

  /**
   * Streams a body into the partial. `held` (the overlap) is compared with the first bytes
   * and not written again. Checkpoints run alongside; a stall aborts the request.
   */
  private async receive(
    response: HttpResponse,
    writer: PartialWriter,
    held: Buffer | null,
    expectedLength: number | null,
    signal: AbortSignal,
    decode: { encoding: string; wireHash: Hash | null } | null,
    bound: Bound,
  ): Promise<void> {
    const watchdog = this.watchdog(response);
    let received = 0;
    let compared = 0;
    this.overlapResult = held && held.length > 0 ? 'incomplete' : 'ok';
    try {
      let body: AsyncIterable<Uint8Array> = response.body;
      if (decode) body = this.decoded(response.body, decode.encoding, decode.wireHash, watchdog.touch);
      chunks: for await (const chunk of body) {
        if (!decode) {
          watchdog.touch();
          received += chunk.length;
        }
        // A socket read can hold hundreds of kilobytes; under a bandwidth limit it moves in
        // slices so the limit stays smooth and fair between transfers.
        const slice = this.ctx.bandwidth.limit === null ? chunk.length : THROTTLE_SLICE;
        for (let at = 0; at < chunk.length; at += slice) {
          let data = slice >= chunk.length ? chunk : chunk.subarray(at, at + slice);
          const throttled = this.ctx.bandwidth.take(data.length, signal);
          if (throttled) {
            // Waiting for the bandwidth limit is slow, not stalled.
            watchdog.hold();
            await throttled;
            watchdog.touch();
          }
          if (held && compared < held.length) {
            const n = Math.min(held.length - compared, data.length);
            if (Buffer.compare(held.subarray(compared, compared + n), data.subarray(0, n)) !== 0) {
              this.overlapResult = 'mismatch';
              response.discard();
              throw new RestartRequired("overlap check failed: the server's bytes before the resume point differ from ours");
            }
            compared += n;
            if (compared === held.length) this.overlapResult = 'ok';
            data = data.subarray(n);
          }
          if (data.length === 0) continue;
          const end = bound.end();
          if (end !== null && writer.position + data.length >= end) {
            if (writer.position + data.length > end && !bound.stopsEarly) {
              response.discard();
              throw new RestartRequired('the server sent more bytes than the file has');
            }
            // A segment that reached its end (perhaps moved closer by a split) is done.
            await writer.write(data.subarray(0, end - writer.position));
            if (bound.stopsEarly) {
              response.discard();
              break chunks;
            }
            continue;
          }
          await writer.write(data);
          this.maybeCheckpoint();
        }
      }
    } catch (error) {
      if (watchdog.stalled()) {
        throw new TransferFailure(transferError('stalled', `No data arrived for ${this.ctx.tuning.stallTimeoutMs / 1000} s; resuming the download.`, true));
      }
      if (error instanceof RestartRequired || error instanceof TransferFailure || signal.aborted) throw error;
      throw this.wrapStreamError(error);
    } finally {
      watchdog.stop();
    }
    if (!decode && expectedLength !== null && received < expectedLength && !(bound.stopsEarly && writer.position >= (bound.end() ?? Infinity))) {
      throw new TransferFailure(transferError('connection-reset', `The connection closed early (${received} of ${expectedLength} bytes); resuming.`, true));
    }
    if (held && compared < held.length) throw new RestartRequired('the body ended inside the overlap');
    await writer.drain();
  }

  /** Where one stream's bytes must end: the file's total, which a server must not pass. */
  private streamBound(): Bound {
    return { end: () => this.rec.total, stopsEarly: false };
  }

  private async *decoded(body: AsyncIterable<Uint8Array>, encoding: string, wireHash: Hash | null, touch: () => void): AsyncIterable<Uint8Array> {
    const decoder =
      encoding === 'gzip' || encoding === 'x-gzip'
        ? zlib.createGunzip()
        : encoding === 'deflate'
          ? zlib.createInflate()
          : encoding === 'br'
            ? zlib.createBrotliDecompress()
            : null;
    if (!decoder) {
      throw new TransferFailure(transferError('server-broken', `The server used a content encoding Ferry cannot decode (${encoding}).`, false));
    }
    const source = Readable.from(
      (async function* () {
        for await (const chunk of body) {
          touch();
          // Encoded responses are rare and never resumed; hashing their wire bytes here
          // costs microseconds per chunk and keeps the worker protocol simple.
          wireHash?.update(chunk);
          yield chunk;
        }
      })(),
    );
    // pipe() does not forward a source error; without this a broken connection would be an
    // unhandled 'error' event instead of a failure the retry loop sees.
    source.on('error', (error) => decoder.destroy(error));
    yield* source.pipe(decoder) as AsyncIterable<Uint8Array>;
  }

  private async collect(response: HttpResponse, length: number, signal: AbortSignal): Promise<Buffer> {
    const watchdog = this.watchdog(response);
    const parts: Uint8Array[] = [];
    let received = 0;
    try {
      for await (const chunk of response.body) {
        watchdog.touch();
        parts.push(chunk);
        received += chunk.length;
        if (received > length) throw new RestartRequired('the server sent more bytes than the range asked for');
      }
    } catch (error) {
      if (watchdog.stalled()) throw new TransferFailure(transferError('stalled', 'No data arrived while repairing a block; retrying.', true));
      if (error instanceof RestartRequired || signal.aborted) throw error;
      throw this.wrapStreamError(error);
    } finally {
      watchdog.stop();
    }
    if (received !== length) throw new TransferFailure(transferError('connection-reset', 'The connection closed while repairing a block; retrying.', true));
    return Buffer.concat(parts);
  }

  /**
   * Aborts a response when no byte arrives for the stall timeout (DESIGN.md section 5).
   * hold() stops the clock while Ferry itself is the one not reading (bandwidth limit).
   */
  private watchdog(response: HttpResponse): { touch: () => void; hold: () => void; stop: () => void; stalled: () => boolean } {
    const limit = this.ctx.tuning.stallTimeoutMs;
    let last = this.ctx.clock.now();
    let held = false;
    let stalled = false;
    const timer = setInterval(() => {
      if (!held && this.ctx.clock.now() - last >= limit) {
        stalled = true;
        response.discard();
      }
    }, Math.max(50, Math.min(1000, limit / 4)));
    timer.unref();
    return {
      touch: () => {
        last = this.ctx.clock.now();
        held = false;
      },
      hold: () => {
        held = true;
      },
      stop: () => clearInterval(timer),
      stalled: () => stalled,
    };
  }

  // ---------------------------------------------------------------- checkpoints

  private maybeCheckpoint(): void {
    if (this.checkpointing || this.ctx.clock.now() - this.lastCheckpointAt < this.ctx.tuning.checkpointIntervalMs) return;
    // A failure shows up again at the next write (the writer keeps it); nothing to do here.
    this.checkpoint().catch(() => undefined);
  }

  /** Checkpoints run one after another, so an older one never lands after a newer one. */
  private checkpoint(): Promise<void> {
    const previous = this.checkpointing ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => (this.seg ? this.checkpointSegments(this.seg) : this.checkpointStream()));
    this.checkpointing = run;
    const clear = (): void => {
      if (this.checkpointing === run) this.checkpointing = null;
    };
    run.then(clear, clear);
    return run;
  }

  /**
   * Rule 10: fsync the bytes, then record offset and block digests in one transaction.
   * A crash at any instant leaves the file at least as long as the checkpoint.
   */
  private async checkpointStream(): Promise<void> {
    const live = this.live;
    if (!live) return;
    this.lastCheckpointAt = this.ctx.clock.now();
    const mark = live.writer.mark();
    const [, blocks] = await Promise.all([mark.written, mark.blocks]);
    if (blocks.offset !== mark.offset) throw new Error(`checkpoint at ${mark.offset} got digests for ${blocks.offset}`);
    await live.sync();
    if (live !== this.live || mark.offset < this.rec.offset) return; // a restart happened meanwhile
    const now = this.ctx.clock.now();
    this.ctx.store.checkpoint(this.rec.id, { offset: mark.offset, blocks: blocks.blocks, tailDigest: blocks.tail }, {}, now);
    this.rec = { ...this.rec, offset: mark.offset, tailDigest: blocks.tail, updatedAt: now };
  }

  /**
   * Rule 10 for several connections: every segment's bytes so far, one fsync, then every
   * segment's position and new blocks in one transaction. Then the whole-file digest reads
   * what now lies without a gap from 0, and finished segments let go of their streams.
   */
  private async checkpointSegments(part: SegmentedPartial): Promise<void> {
    this.lastCheckpointAt = this.ctx.clock.now();
    const marks = part.liveStreams().map(([segment, stream]) => ({ segment, mark: stream.writer.mark() }));
    const snapshots = await Promise.all(
      marks.map(async ({ segment, mark }) => {
        const [, blocks] = await Promise.all([mark.written, mark.blocks]);
        if (blocks.offset !== mark.offset) throw new Error(`segment checkpoint at ${mark.offset} got digests for ${blocks.offset}`);
        return { segment, offset: mark.offset, blocks };
      }),
    );
    await part.sync();
    if (part !== this.seg) return; // a restart happened meanwhile
    for (const { segment, offset, blocks } of snapshots) {
      segment.position = offset;
      segment.tail = blocks.tail;
    }
    const now = this.ctx.clock.now();
    this.ctx.store.checkpointSegments(this.rec.id, part.segments, snapshots.flatMap((x) => x.blocks.blocks), now);
    this.rec = { ...this.rec, offset: bytesHeld(part.segments), tailDigest: null, updatedAt: now };
    for (const { segment } of snapshots) if (isComplete(segment)) part.endStream(segment);
    await part.feedFileHash(part.segments);
  }

  private checkpointAt(offset: number): void {
    const now = this.ctx.clock.now();
    const keep = Math.floor(offset / this.rec.blockSize);
    const blocks = [...this.ctx.store.blocks(this.rec.id)].filter(([i]) => i < keep);
    this.ctx.store.reset(this.rec.id, {}, now);
    this.ctx.store.checkpoint(this.rec.id, { offset, blocks, tailDigest: null }, {}, now);
    this.rec = { ...this.rec, offset, tailDigest: null };
  }

  /** Waits for a running checkpoint and writes a last one for what the writers hold. */
  private async settle(): Promise<void> {
    await this.checkpointing?.catch(() => undefined);
    if (!this.live && !this.seg) return;
    try {
      await (this.live ? this.live.writer.drain() : this.seg!.drain());
      await this.checkpoint();
    } catch {
      // The disk failed; the last good checkpoint stands.
    }
  }

  // ---------------------------------------------------------------- the verdict

  /**
   * The verdict when every byte is here; otherwise a checkpoint and another attempt. A
   * finished stream skips its last checkpoint: the verdict follows at once, and a crash
   * before it costs at most the bytes of one checkpoint interval.
   */
  private async finishIfComplete(wireHash: Hash | null = null): Promise<boolean> {
    const complete = this.seg ? this.seg.allComplete() : this.rec.total === null || this.live!.position >= this.rec.total;
    if (complete) return this.finish(wireHash);
    await this.checkpoint();
    return false;
  }

  /** Rule 9: verdict over the bytes on disk, fsync, then an atomic no-clobber rename. */
  private async finish(wireHash: Hash | null = null): Promise<boolean> {
    const digests = await (this.live ?? this.seg!).finalDigests();
    const user = this.rec.userChecksum;
    const server = this.rec.serverChecksum;
    let integrity = judgeIntegrity(user ?? (this.rec.encoded ? null : server), digests);
    if (!user && server && this.rec.encoded && wireHash) {
      // The server's digest covers the encoded bytes it sent; those are what we check.
      integrity = judgeIntegrity(server, { [server.algorithm]: wireHash.digest('hex') });
    }
    const sha256 = digests.sha256 ?? null;
    if (integrity.status === 'mismatch') {
      const detail = { algorithm: integrity.algorithm, expected: integrity.expected, actual: integrity.actual, source: integrity.source };
      this.history('error', { code: 'integrity-mismatch', ...detail });
      if (!this.mismatchRestarted) {
        this.mismatchRestarted = true;
        throw new RestartRequired(`checksum mismatch (${integrity.source} ${integrity.algorithm} expected ${integrity.expected}, got ${integrity.actual})`);
      }
      await this.closePartial();
      fs.rmSync(this.partialPath(), { force: true });
      this.ctx.store.reset(this.rec.id, {}, this.ctx.clock.now());
      const error = transferError(
        'integrity-mismatch',
        `The downloaded bytes do not match the ${integrity.source} ${integrity.algorithm} checksum, twice: expected ${integrity.expected}, got ${integrity.actual}. Nothing was saved; check the checksum or the source.`,
        false,
      );
      this.save({ state: 'failed', integrity, sha256, error, completedAt: this.ctx.clock.now() });
      this.ctx.emit({ type: 'ended', id: this.rec.id, record: this.rec });
      return true;
    }
    await this.closePartial();
    // The verdict is on record before the file takes its name, so a crash from here on
    // finishes the placement at the next run instead of downloading the file again.
    const total = this.rec.total ?? fs.statSync(this.partialPath()).size;
    this.save({ sha256, integrity, total, offset: total, tailDigest: null });
    return this.place();
  }

  /**
   * Gives the verified partial its final name (a hard link, so the bytes are under both
   * names for a moment), records that name, removes the partial's name, then records the
   * transfer completed. A crash at any point between leaves either the partial to place
   * again or the recorded name holding the file: never a second copy, never litter.
   */
  private async place(): Promise<boolean> {
    const partial = this.partialPath();
    const finalPath = await placeWithoutOverwrite(partial, this.rec.dir, this.rec.name!, (target) => this.save({ path: target }));
    this.save({ path: finalPath });
    await fs.promises.unlink(partial).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error; // gone already after a rename
    });
    return this.completePlaced();
  }

  private completePlaced(): boolean {
    const { sha256, integrity, path: finalPath } = this.rec;
    this.ctx.store.transaction(() => {
      this.ctx.store.clearBlocks(this.rec.id);
      this.save({ state: 'completed', error: null, completedAt: this.ctx.clock.now() });
      this.history('complete', { path: finalPath, sha256, integrity });
    });
    this.ctx.emit({ type: 'ended', id: this.rec.id, record: this.rec });
    return true;
  }

  /**
   * A run that stopped while placing a verified file (the verdict is on record, the
   * transfer is not completed) finishes the placement. False when there is nothing to finish.
   */
  private async finishInterruptedPlacement(): Promise<boolean> {
    const status = this.rec.integrity.status;
    if (this.rec.sha256 === null || (status !== 'verified' && status !== 'unverified') || this.rec.total === null) return false;
    const size = (file: string): number | null => {
      try {
        return fs.statSync(file).size;
      } catch {
        return null;
      }
    };
    if (size(this.partialPath()) === this.rec.total) return this.place();
    // The partial's name was already removed (or renamed): the recorded name holds the file.
    if (this.rec.path && size(this.rec.path) === this.rec.total) return this.completePlaced();
    // The verified bytes are gone: forget the verdict and let the rules below decide.
    this.save({ sha256: null, integrity: PENDING_INTEGRITY, path: null });
    return false;
  }

  // ---------------------------------------------------------------- restarts and failures

  private async restart(reason: string): Promise<void> {
    await this.checkpointing?.catch(() => undefined);
    await this.closePartial();
    this.restartsThisRun++;
    if (this.rec.name) fs.rmSync(this.partialPath(), { force: true });
    // Header digests described the old bytes; the next response brings its own.
    const cleared = { restarts: this.rec.restarts + 1, serverChecksum: null, sha256: null, integrity: PENDING_INTEGRITY };
    this.ctx.store.reset(this.rec.id, cleared, this.ctx.clock.now());
    this.rec = { ...this.rec, ...cleared, offset: 0, tailDigest: null };
    this.history('restart', { reason });
    this.ctx.emit({ type: 'restarted', id: this.rec.id, reason });
  }


  private wrapStreamError(error: unknown): TransferFailure {
    if (error instanceof DiskError) return new TransferFailure(describeDiskError(error.code, error.message, this.rec));
    return new TransferFailure(describeNetworkError(error, this.rec.effectiveUrl ?? this.rec.url));
  }

  // ---------------------------------------------------------------- requests

  private requestHeaders(extra: { range?: string; ifRange?: string | null }): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const [k, v] of this.rec.headers) headers[k.toLowerCase()] = v;
    headers['accept-encoding'] = 'identity'; // rule 2
    headers['want-repr-digest'] = WANT_REPR_DIGEST;
    headers['user-agent'] ??= 'Ferry/0.1';
    if (extra.range) headers.range = extra.range;
    if (extra.ifRange) headers['if-range'] = extra.ifRange;
    return headers;
  }

  /**
   * A resumed request goes to the last URL of the redirect chain; if that link has
   * expired (401/403/404/410), the original URL is asked again before failing (rule 11).
   */
  private async fetchResumable(headers: Record<string, string>, signal: AbortSignal): Promise<Fetched> {
    const first = this.rec.effectiveUrl ?? this.rec.url;
    const fetched = await this.fetchFollowing(first, headers, signal, first);
    if (!EXPIRED_LINK_STATUSES.has(fetched.response.status) || first === this.rec.url) return fetched;
    fetched.response.discard();
    this.history('redirect', { reason: `HTTP ${fetched.response.status} from the resumed URL; asking the original URL again`, status: fetched.response.status });
    return this.fetchFollowing(this.rec.url, headers, signal, this.rec.url);
  }

  private async fetchFollowing(start: string, headers: Record<string, string>, signal: AbortSignal, origin: string): Promise<Fetched> {
    const chain = [start];
    let url = new URL(start);
    let current = { ...headers };
    const originHost = new URL(origin).origin;
    for (let hop = 0; ; hop++) {
      let response: HttpResponse;
      try {
        response = await this.ctx.transport.request({ url, method: 'GET', headers: current, signal });
      } catch (error) {
        if (signal.aborted) throw error;
        throw new TransferFailure(describeNetworkError(error, url.href));
      }
      const location = response.headers.get('location');
      if (!REDIRECT_STATUSES.has(response.status) || !location) return { response, url: url.href, chain };
      response.discard();
      if (hop >= this.ctx.tuning.maxRedirects) {
        throw new TransferFailure(transferError('too-many-redirects', `More than ${this.ctx.tuning.maxRedirects} redirects from ${new URL(start).host}; the link loops.`, false));
      }
      const next = new URL(location, url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new TransferFailure(transferError('unsupported-scheme', `The server redirected to a ${next.protocol} URL, which Ferry does not download.`, false));
      }
      if (next.origin !== originHost) {
        // Credentials given for one site never travel to another.
        current = Object.fromEntries(Object.entries(current).filter(([k]) => !CREDENTIAL_HEADERS.includes(k)));
      }
      url = next;
      chain.push(next.href);
    }
  }

  // ---------------------------------------------------------------- record keeping

  private saveResponse(fetched: Fetched, full: boolean): void {
    const h = fetched.response.headers;
    const validators = readValidators(h);
    const reference = serverDigestReference(h, full);
    const changes: Partial<TransferRecord> = {
      effectiveUrl: fetched.url,
      urlChain: fetched.chain.length > 1 || this.rec.urlChain.length === 0 ? fetched.chain : this.rec.urlChain,
    };
    if (full) {
      Object.assign(changes, { etag: validators.etag, lastModified: validators.lastModified, ifRange: validators.ifRange, serverChecksum: reference });
    } else if (reference && !this.rec.serverChecksum) {
      changes.serverChecksum = reference;
    }
    this.save(changes);
  }

  private async reserveName(fetched: Fetched): Promise<string> {
    const suggested =
      this.rec.requestedName ??
      filenameFromContentDisposition(fetched.response.headers.get('content-disposition')) ??
      filenameFromUrl(new URL(fetched.url)) ??
      filenameFromUrl(new URL(this.rec.url)) ??
      new URL(this.rec.url).hostname;
    return claimFreeName(this.rec.dir, sanitizeFilename(suggested), (candidate) => {
      if (this.ctx.store.nameClaimed(this.rec.dir, candidate)) return false;
      this.save({ name: candidate });
      return true;
    });
  }

  private checkFreeSpace(total: number | null): void {
    if (total === null) return;
    let free: number;
    try {
      const st = fs.statfsSync(this.rec.dir);
      free = st.bavail * st.bsize;
    } catch {
      return;
    }
    if (free < total) {
      throw new TransferFailure(
        transferError('disk-full', `The file needs ${total} bytes but the disk holding ${this.rec.dir} has ${free} free. Free some space or choose another --dir.`, false),
      );
    }
  }

  /** Creates a partial file; a folder that cannot be written is a clear failure. */
  private async openPartial<P>(create: () => Promise<P>): Promise<P> {
    try {
      return await create();
    } catch (error) {
      throw new TransferFailure(this.classify(error));
    }
  }

  private async closePartial(): Promise<void> {
    await this.live?.close();
    await this.seg?.close();
    this.live = null;
    this.seg = null;
  }

  /** SHA-256 always (every completed download records it), plus a reference's algorithm. */
  private algorithms(): DigestAlgorithm[] {
    const set = new Set<DigestAlgorithm>(['sha256']);
    const reference: DigestReference | null = this.rec.userChecksum ?? (this.rec.encoded ? null : this.rec.serverChecksum);
    if (reference) set.add(reference.algorithm);
    return [...set];
  }

  private canResume(): boolean {
    return this.notResumableReason() === '';
  }

  private notResumableReason(): string {
    if (this.rec.encoded) return 'the server encoded the file (Content-Encoding), so its bytes cannot be resumed';
    if (this.rec.total === null) return 'the server did not say how long the file is';
    // Rule 1: without a strong validator only a known digest can prove a joined result.
    if (!this.rec.ifRange && !this.rec.userChecksum && !this.rec.serverChecksum) {
      return 'the server gave no strong validator (ETag or old enough Last-Modified)';
    }
    return '';
  }

  private partialPath(): string {
    return path.join(this.rec.dir, this.rec.name! + PARTIAL_SUFFIX);
  }


}
