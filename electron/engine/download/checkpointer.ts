import { TransferFailure, transferError } from '../../common/errors';
import { DiskError, errnoCode } from '../core/failure';
import { bytesHeld, isComplete } from './segments';
import { type DownloadJob, RestartRequired } from './job';
import type { SegmentedPartial } from './segmented-partial';

/**
 * Rule 10: a checkpoint (offset, block digests, tail) is one SQLite transaction written
 * after fsync of the bytes it describes, so a crash at any instant leaves file >= checkpoint.
 * A checkpoint whose bytes failed to reach the disk is not written (the last good one
 * stands), and one that finds the partial's name deleted or taken throws: a deleted partial
 * is noticed within a checkpoint interval, not after the whole body.
 */
export class Checkpointer {
  private running: Promise<void> | null = null;
  private lastAt = 0;
  /** The failure of a checkpoint started in the background, for the pump to throw. */
  private failure: unknown = null;

  constructor(private readonly job: DownloadJob) {}

  /**
   * A checkpoint when the interval has passed; a failure surfaces at the next call. A stream
   * that holds its whole body goes to its verdict at once, without one: a small file whose
   * body came in one piece skips an fsync and an lstat (issue 13).
   */
  maybe(): void {
    if (this.failure) {
      const failure = this.failure;
      this.failure = null;
      throw ownFailure(failure);
    }
    const { ctx, live, rec } = this.job;
    if (live && rec.total !== null && live.position >= rec.total) return;
    if (this.running || ctx.clock.now() - this.lastAt < ctx.tuning.checkpointIntervalMs) return;
    this.now().catch((error: unknown) => {
      this.failure ??= error;
    });
  }

  /** Checkpoints run one after another, so an older one never lands after a newer one. */
  now(): Promise<void> {
    const previous = this.running ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => (this.job.seg ? this.segments(this.job.seg) : this.stream()));
    this.running = run;
    const clear = (): void => {
      if (this.running === run) this.running = null;
    };
    run.then(clear, clear);
    return run;
  }

  /** Waits for a running checkpoint and writes a last one for what the writers hold. */
  async settle(): Promise<void> {
    await this.running?.catch(() => undefined);
    const { live, seg } = this.job;
    if (!live && !seg) return;
    try {
      await (live ? live.writer.drain() : seg!.drain());
      await this.now();
    } catch {
      // The disk failed or the partial is gone; the last good checkpoint stands.
    }
  }

  /** Waits for any checkpoint in flight (before a restart replaces the partial). */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
    this.failure = null;
  }

  /**
   * Records a partial about to be truncated: `offset` bytes, the block digests below it
   * kept, in one transaction, before the file is cut (rule 10: file >= checkpoint).
   */
  at(offset: number): void {
    const { ctx, rec } = this.job;
    const now = ctx.clock.now();
    const keep = Math.floor(offset / rec.blockSize);
    const blocks = [...ctx.store.blocks(rec.id)].filter(([i]) => i < keep);
    ctx.store.transaction(() => {
      ctx.store.reset(rec.id, {}, now);
      ctx.store.checkpoint(rec.id, { offset, blocks, tailDigest: null }, {}, now);
    });
    this.job.adopt({ offset, tailDigest: null });
  }

  private gone(): RestartRequired {
    return new RestartRequired(`the partial file ${this.job.rec.name}.ferrypart was deleted while downloading`);
  }

  private async stream(): Promise<void> {
    const { live, ctx, rec } = this.job;
    if (!live) return;
    this.lastAt = ctx.clock.now();
    const mark = live.writer.mark();
    const [, blocks] = await Promise.all([mark.written, mark.blocks]);
    if (blocks.offset !== mark.offset) throw new Error(`checkpoint at ${mark.offset} got digests for ${blocks.offset}`);
    await live.sync();
    if (live !== this.job.live || mark.offset < rec.offset) return; // a restart happened meanwhile
    live.assertOurs(() => this.gone());
    ctx.store.checkpoint(rec.id, { offset: mark.offset, blocks: blocks.blocks, tailDigest: blocks.tail }, {}, ctx.clock.now());
    this.job.adopt({ offset: mark.offset, tailDigest: blocks.tail });
  }

  /**
   * Every segment's bytes so far, one fsync, then every segment's position and new blocks
   * in one transaction. Then the whole-file digest reads what now lies without a gap from 0,
   * and finished segments let go of their streams.
   */
  private async segments(part: SegmentedPartial): Promise<void> {
    const { ctx, rec } = this.job;
    this.lastAt = ctx.clock.now();
    const marks = part.liveStreams().map(([segment, stream]) => ({ segment, mark: stream.writer.mark() }));
    const snapshots = await Promise.all(
      marks.map(async ({ segment, mark }) => {
        const [, blocks] = await Promise.all([mark.written, mark.blocks]);
        if (blocks.offset !== mark.offset) throw new Error(`segment checkpoint at ${mark.offset} got digests for ${blocks.offset}`);
        return { segment, offset: mark.offset, blocks };
      }),
    );
    await part.sync();
    if (part !== this.job.seg) return; // a restart happened meanwhile
    part.assertOurs(() => this.gone());
    for (const { segment, offset, blocks } of snapshots) {
      segment.position = offset;
      segment.tail = blocks.tail;
    }
    ctx.store.checkpointSegments(rec.id, part.segments, snapshots.flatMap((x) => x.blocks.blocks), ctx.clock.now());
    this.job.adopt({ offset: bytesHeld(part.segments), tailDigest: null });
    for (const { segment } of snapshots) if (isComplete(segment)) part.endStream(segment);
    await part.feedFileHash(part.segments);
  }
}

/**
 * A checkpoint's failure as what it is: a disk error (fsync's EIO, ENOSPC on a network file
 * system) is the disk's, a restart or a named failure stays one, anything else is a bug, never
 * "the connection broke".
 */
function ownFailure(error: unknown): unknown {
  if (error instanceof RestartRequired || error instanceof TransferFailure || error instanceof DiskError) return error;
  const code = errnoCode(error);
  if (code) return new DiskError(code, error instanceof Error ? error.message : String(error));
  return new TransferFailure(transferError('internal', `Unexpected failure while saving progress: ${error instanceof Error ? error.message : String(error)}`, false));
}
