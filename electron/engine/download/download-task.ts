import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TransferFailure, transferError } from '../../common/errors';
import { PENDING_INTEGRITY } from '../../common/integrity';
import type { TransferRecord } from '../../common/transfer';
import type { EngineContext } from '../context';
import { statusFailure } from '../core/failure';
import { sanitizeFilename } from '../fs/filename';
import { claimFreeName } from '../fs/placement';
import { filenameFromContentDisposition, filenameFromUrl } from '../http/content-disposition';
import { parseContentLength } from '../http/content-range';
import { serverDigestReference } from '../http/digest-headers';
import { duplicateLinks } from '../http/link-header';
import { readValidators } from '../http/validators';
import { TransferTask } from '../transfer/transfer-task';
import { type Bound, type Pump, pumpBody } from './body-pump';
import { Checkpointer } from './checkpointer';
import { DownloadFetcher, type Fetched, release } from './fetcher';
import { Finalizer } from './finalize';
import { OrphanAdopter } from './adopt-orphan';
import { MirrorFailover } from './mirror-failover';
import { isMetalinkType, metalinkTakeover } from '../metalink/from-response';
import { type DownloadJob, RestartRequired } from './job';
import { LivePartial, PARTIAL_SUFFIX } from './live-partial';
import { PartialCheck, algorithmsFor, plainFileSize } from './partial-check';
import { afterNotSatisfiable, classifyRangeAnswer, judgeRangeResponse, splittable } from './response-policy';
import { SegmentedPartial } from './segmented-partial';
import { SegmentedRun } from './segmented-run';
import { type Segment, isComplete, pieceCount, planSegments } from './segments';
import { formatBytes } from '../../common/format';
import { SidecarLookup } from '../references/sidecar-lookup';
import { freeSpace } from '../fs/free-space';

/** Failures of a link (its server, its network path) that another mirror may not share; a full disk it would. */
const LINK_FAILURES: ReadonlySet<string> = new Set(['http-status', 'connection-refused', 'connection-reset', 'dns', 'tls', 'timeout', 'stalled', 'too-many-redirects', 'server-broken', 'unsupported-scheme']);

/**
 * One download, from wherever its record says it is to a verdict: a phase machine over
 * parts that each own one job (DESIGN.md section 3; the rule numbers in comments refer to
 * it). Requests and redirects: fetcher.ts. What an answer means: response-policy.ts.
 * Bytes to disk: body-pump.ts. Rule 10: checkpointer.ts. Rules 7 and 8: partial-check.ts
 * (one stream) and segmented-run.ts (several connections). Rule 9: finalize.ts.
 */
export class DownloadTask extends TransferTask implements DownloadJob {
  live: LivePartial | null = null;
  /** The partial while several connections fill it (a segmented download). */
  seg: SegmentedPartial | null = null;
  private restartsThisRun = 0;
  /** A partial without a record is looked at once per run (see adopt-orphan.ts). */
  private adoptionTried = false;
  /** A link that answers with a Metalink is taken as one once a run (metalink/from-response.ts). */
  private metalinkTaken = false;
  private readonly fetcher = new DownloadFetcher(this);
  private readonly checkpoints = new Checkpointer(this);
  private readonly check = new PartialCheck(this, this.fetcher, this.checkpoints);
  private readonly segmented = new SegmentedRun(this, this.fetcher, this.checkpoints);
  private readonly finalizer = new Finalizer(this);
  private readonly adopter = new OrphanAdopter(this, this.fetcher);
  private readonly mirrors = new MirrorFailover(this);
  /** A checksum file beside the download, looked up while the body arrives. */
  private readonly sidecar = new SidecarLookup(this);

  constructor(ctx: EngineContext, record: TransferRecord) {
    super(ctx, record);
  }

  partialPath(): string {
    return path.join(this.rec.dir, this.rec.name! + PARTIAL_SUFFIX);
  }

  /** Bytes held so far (including those not yet checkpointed) and the expected total. */
  progress(): { bytes: number; total: number | null } {
    return { bytes: this.live?.position ?? this.seg?.held() ?? this.rec.offset, total: this.rec.total };
  }

  /**
   * The bytes we hold cannot be continued: start again from 0 (after bytes a checksum
   * refused, from the next mirror where there is one). A failed link with mirrors left: the
   * next mirror, at once (mirror-failover.ts).
   */
  protected override async recover(error: unknown, signal: AbortSignal): Promise<boolean> {
    if (error instanceof RestartRequired) {
      await this.restart(error.reason);
      if (error.kind === 'bad-bytes' && this.mirrors.available) await this.mirrors.next('its bytes did not match the checksum', signal);
      return true;
    }
    if (!this.mirrors.available || signal.aborted) return false;
    const failure = this.classify(error);
    if (!LINK_FAILURES.has(failure.code)) return false;
    await this.checkpoints.settle().catch(() => undefined);
    await this.closePartial();
    return this.mirrors.next(failure.message, signal);
  }

  protected override beforeStop(): Promise<void> {
    return this.checkpoints.settle();
  }

  settleReferences(): Promise<void> {
    return this.sidecar.settle();
  }

  protected override async cleanup(): Promise<void> {
    this.sidecar.stop();
    // A completed download has nothing left to resume: no last checkpoint (an fsync, and an
    // lstat of a partial already gone), only the wait for one in flight (issue 13).
    await (this.rec.state === 'completed' ? this.checkpoints.idle() : this.checkpoints.settle()).catch(() => undefined);
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
    if (!this.live && !this.seg && (await this.finalizer.resumePlacement())) return true;
    if (this.seg || this.ctx.store.segments(this.rec.id).length > 0) return this.resumeSegments(signal);
    this.sidecar.begin(); // a resumed single stream knows its size already
    const live = await this.check.ensure(signal);
    if (!live || live.position === 0) return this.fresh(signal, null);
    if (this.rec.total !== null && live.position === this.rec.total) return this.finalizer.finish();
    return this.resumeStream(signal, live);
  }

  private async resumeSegments(signal: AbortSignal): Promise<boolean> {
    await this.segmented.ensure();
    const held = this.seg!.held();
    const unfinished = this.seg!.segments.filter((s) => !isComplete(s)).length;
    this.save({ resumes: this.rec.resumes + 1 });
    this.history('resume', { offset: held, validator: this.rec.ifRange, segments: unfinished, url: this.rec.effectiveUrl });
    // Each segment checks its own overlap as its connection starts.
    this.ctx.emit({ type: 'resumed', id: this.rec.id, offset: held, validator: this.rec.ifRange, overlapBytes: 0, segments: unfinished });
    return (await this.segmented.run(signal, null)) && this.finalizer.finish();
  }

  /** One stream continues from `live.position`, asking for an overlap before it (rule 6). */
  private async resumeStream(signal: AbortSignal, live: LivePartial): Promise<boolean> {
    const offset = live.position;
    const overlapStart = Math.max(0, offset - this.ctx.tuning.overlapBytes);
    const held = await live.read(overlapStart, offset - overlapStart);
    const fetched = await this.fetcher.resumable({ range: `bytes=${overlapStart}-`, ifRange: this.rec.ifRange }, signal);
    const { response } = fetched;
    const answer = classifyRangeAnswer(response.status);
    if (answer === 'whole-file') {
      this.history('restart', { reason: 'the server answered the range request with the whole file', offset });
      return this.fresh(signal, fetched, 'the server sent the whole file instead of the requested range');
    }
    if (answer !== 'range') release(fetched);
    if (answer === 'not-satisfiable') {
      if (afterNotSatisfiable(this.rec, offset) === 'complete') return this.finalizer.finish();
      throw new RestartRequired('the server says the range we hold does not exist (416)');
    }
    if (answer === 'status') throw statusFailure(response, fetched.url);
    const validator = this.rec.ifRange;
    let pump: Pump | null = null;
    try {
      const verdict = judgeRangeResponse(this.rec, response.headers, overlapStart);
      if (!verdict.ok) throw new RestartRequired(verdict.reason);
      this.save({ ...this.responseChanges(fetched, false), resumes: this.rec.resumes + 1 });
      this.ctx.emit({ type: 'resumed', id: this.rec.id, offset, validator, overlapBytes: held.length, segments: 1 });
      pump = this.pump(fetched, live, held, verdict.end - verdict.start + 1);
      await pumpBody(pump, signal);
    } finally {
      release(fetched); // whatever happened, the connection and its host slot are let go
      if (pump) this.history('resume', { offset, validator, overlapBytes: held.length, url: fetched.url, overlap: pump.overlap });
    }
    return this.finishIfComplete();
  }

  /**
   * A download from byte 0: the first one, a restart, or a 200 that answered a range
   * request (`given` then already holds that response).
   */
  private async fresh(signal: AbortSignal, given: Fetched | null, restartReason?: string): Promise<boolean> {
    const fetched = given ?? (await this.fetcher.fresh(signal));
    try {
      return await this.freshBody(signal, fetched, restartReason);
    } finally {
      release(fetched); // whatever happened, the connection is not left waiting
    }
  }

  private async freshBody(signal: AbortSignal, fetched: Fetched, restartReason?: string): Promise<boolean> {
    const { response } = fetched;
    if (response.status !== 200) {
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
    if (isMetalinkType(h.get('content-type')) && !this.metalinkTaken) {
      // A link that answers with a Metalink stands for the file it describes (once a run).
      this.metalinkTaken = true;
      const takeover = await metalinkTakeover(fetched, this.rec);
      if (takeover) {
        this.save(takeover.changes);
        this.history('redirect', takeover.note);
        return this.fresh(signal, null);
      }
      release(fetched);
      return this.fresh(signal, null, restartReason);
    }
    const encoding = (h.get('content-encoding') ?? 'identity').toLowerCase();
    const encoded = encoding !== 'identity';
    const total = encoded ? null : parseContentLength(h.get('content-length'));
    this.checkFreeSpace(total);
    if (!this.rec.name && !this.adoptionTried) {
      // A partial of this name that no record describes (a lost store) is continued, not doubled.
      this.adoptionTried = true;
      let adopted: Awaited<ReturnType<OrphanAdopter['adopt']>>;
      try {
        adopted = await this.adopter.adopt(fetched, this.suggestedName(fetched), signal);
      } catch (error) {
        this.adoptionTried = false; // a network failure says nothing about the orphan: look again
        throw error;
      }
      if (adopted === 'refused' || adopted === 'replace') return this.fresh(signal, null, restartReason);
      if (adopted) {
        this.live = adopted;
        this.ctx.emit({ type: 'started', id: this.rec.id, direction: 'download', name: this.rec.name!, total: this.rec.total, url: this.rec.effectiveUrl ?? this.rec.url });
        return this.resumeStream(signal, adopted);
      }
    }
    // Everything a start records, the name claimed with it, in one batch shared with the other
    // files of this turn; written before the partial is touched (store/write-batch.ts).
    const start = (name: string | null): ReturnType<DownloadTask['recordStart']> => this.recordStart(fetched, name, total, encoded, encoding);
    // A name on record is still ours unless another transfer claims it: a canceled one's name
    // is free to others until it is retried, and must then be claimed again, never shared.
    const ours = this.rec.name !== null && !this.ctx.store.nameClaimed(this.rec.dir, this.rec.name, this.rec.id);
    const { plan: segments, written } = ours ? start(null) : await this.reserveName(fetched, start);
    await written;
    const name = this.rec.name!;
    // A single stream looks for its checksum file beside the body (its one connection leaves
    // the host room); segments want every connection the host allows, so theirs waits for the end.
    if (!segments) this.sidecar.begin();

    await this.checkpoints.idle(); // a checkpoint in flight must not fsync a closed descriptor
    await this.closePartial();
    const partialPath = path.join(this.rec.dir, name + PARTIAL_SUFFIX);
    this.ctx.emit({ type: 'started', id: this.rec.id, direction: 'download', name, total, url: fetched.url });
    if (segments) {
      this.seg = await this.openPartial(() => SegmentedPartial.fresh(this.ctx.hashPool, partialPath, algorithmsFor(this.rec), this.rec.blockSize, segments));
      return (await this.segmented.run(signal, fetched)) && this.finalizer.finish();
    }
    this.live = await this.openPartial(() => LivePartial.fresh(this.ctx.hashPool, partialPath, algorithmsFor(this.rec), this.rec.blockSize, total));
    // A header digest over encoded bytes is checked against the bytes on the wire.
    const decode = encoded && !response.decoded;
    const wireHash = decode && this.rec.serverChecksum ? createHash(this.rec.serverChecksum.algorithm) : null;
    const pump = this.pump(fetched, this.live, null, total);
    pump.decode = decode ? { encoding, wireHash } : null;
    await pumpBody(pump, signal);
    if (encoded) this.save({ total: this.live.position });
    return this.finishIfComplete(wireHash);
  }

  /**
   * What a body from byte 0 records before its partial is created or truncated, all of it
   * in the store's batch of this turn (one commit shared with the other files of the turn);
   * the caller awaits `written` before it touches the partial (write-before-act,
   * store/write-batch.ts). `name` is claimed at once: no other transfer can take it meanwhile.
   */
  private recordStart(fetched: Fetched, name: string | null, total: number | null, encoded: boolean, encoding: string): { plan: Segment[] | null; written: Promise<void> } {
    const h = fetched.response.headers;
    const held = this.rec.offset > 0; // a 200 answered a range request: the old bytes' digests go
    const changes = { ...(name ? { name } : {}), ...this.responseChanges(fetched, true), total, encoded, offset: 0, tailDigest: null, sha256: null, integrity: PENDING_INTEGRITY, path: null };
    const written = this.saveInBatch(changes, { clearBlocks: held, claimIn: this.rec.dir });
    // A host that asked for fewer connections (host-politeness.ts) is split no further than it allows.
    const connections = Math.min(this.ctx.limits().maxConnections, this.ctx.requests.limitFor(new URL(fetched.url).host));
    const plan = splittable(h, total, encoded, this.rec.ifRange, connections, this.ctx.tuning.minSegmentBytes)
      ? planSegments(total, this.rec.blockSize, pieceCount(total, connections, this.ctx.tuning.piecesPerConnection), this.ctx.tuning.minSegmentBytes)
      : null;
    this.history('start', { url: fetched.url, chain: fetched.chain, total, etag: this.rec.etag, lastModified: this.rec.lastModified, encoding, segments: plan?.length ?? 1 });
    // A segmented start writes at once: its plan carries the batch (the start first) in its transaction.
    if (plan) this.ctx.store.checkpointSegments(this.rec.id, plan, [], this.ctx.clock.now());
    return { plan, written };
  }


  private pump(fetched: Fetched, live: LivePartial, held: Buffer | null, expectedLength: number | null): Pump {
    // One stream must end exactly at the file's total; more is a broken server.
    const bound: Bound = { end: () => this.rec.total, stopsEarly: false };
    const onWritten = (): void => this.checkpoints.maybe();
    return { ctx: this.ctx, fetched, writer: live.writer, held, expectedLength, bound, decode: null, dir: this.rec.dir, onWritten, overlap: 'incomplete' };
  }

  /**
   * The verdict when every byte is here; otherwise a checkpoint and another attempt. A
   * finished stream skips its last checkpoint: the verdict follows at once, and a crash
   * before it costs at most the bytes of one checkpoint interval.
   */
  private async finishIfComplete(wireHash: Parameters<Finalizer['finish']>[0] = null): Promise<boolean> {
    if (this.rec.total === null || this.live!.position >= this.rec.total) return this.finalizer.finish(wireHash);
    await this.checkpoints.now();
    return false;
  }

  // ---------------------------------------------------------------- restarts

  private async restart(reason: string): Promise<void> {
    await this.checkpoints.idle();
    await this.closePartial();
    this.restartsThisRun++;
    // Only a plain file under the partial's name is removed; a link or folder there is
    // someone else's and fails the download instead (plainFileSize throws).
    if (this.rec.name && plainFileSize(this.partialPath()) !== null) fs.rmSync(this.partialPath(), { force: true });
    // Header digests described the old bytes; the next response brings its own.
    const cleared = { restarts: this.rec.restarts + 1, serverChecksum: null, sha256: null, integrity: PENDING_INTEGRITY };
    this.ctx.store.reset(this.rec.id, cleared, this.ctx.clock.now());
    this.adopt({ ...cleared, offset: 0, tailDigest: null });
    this.history('restart', { reason });
    this.ctx.emit({ type: 'restarted', id: this.rec.id, reason });
  }

  // ---------------------------------------------------------------- record keeping

  /** What a response tells the record: where the link led, validators (`full`: a 200), digests, mirrors. */
  private responseChanges(fetched: Fetched, full: boolean): Partial<TransferRecord> {
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
    // RFC 6249: the server names mirrors of the same file; new ones join the list.
    const known = new Set([this.rec.url, fetched.url, ...this.rec.mirrors]);
    const added = duplicateLinks(h.get('link'), fetched.url).filter((u) => !known.has(u));
    if (added.length > 0) changes.mirrors = [...this.rec.mirrors, ...added];
    return changes;
  }

  /** The name a response suggests: the person's, the server's, the URL's, or the host's. */
  private suggestedName(fetched: Fetched): string {
    const suggested =
      this.rec.requestedName ??
      filenameFromContentDisposition(fetched.response.headers.get('content-disposition')) ??
      filenameFromUrl(new URL(fetched.url)) ??
      filenameFromUrl(new URL(this.rec.url)) ??
      new URL(this.rec.url).hostname;
    return sanitizeFilename(suggested);
  }

  /**
   * Claims a free name and has `record` write it at once, with whatever goes in the same
   * transaction (no other transfer can claim it in between); answers what `record` did.
   */
  private async reserveName<T>(fetched: Fetched, record: (name: string) => T): Promise<T> {
    const recorded: T[] = [];
    const absent = this.adopter.takeAbsent(); // where the orphan check just found no partial
    await claimFreeName(this.rec.dir, this.suggestedName(fetched), (candidate) => {
      if (this.ctx.store.nameClaimed(this.rec.dir, candidate)) return false;
      recorded.push(record(candidate));
      return true;
    }, absent);
    return recorded[0] as T;
  }

  private checkFreeSpace(total: number | null): void {
    if (total === null) return;
    const free = freeSpace.forFile(this.rec.dir, total);
    if (free !== null && free < total) {
      throw new TransferFailure(
        transferError('disk-full', `The file needs ${formatBytes(total)} but the disk holding ${this.rec.dir} has ${formatBytes(free)} free. Free some space or choose another --dir.`, false),
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
}
