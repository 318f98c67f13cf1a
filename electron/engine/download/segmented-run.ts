import * as fs from 'node:fs';
import { TransferFailure, transferError } from '../../common/errors';
import { pumpBody } from './body-pump';
import type { Checkpointer } from './checkpointer';
import type { DownloadFetcher, Fetched } from './fetcher';
import { type DownloadJob, RestartRequired } from './job';
import { algorithmsFor, plainFileSize } from './partial-check';
import { notResumableReason } from './response-policy';
import { SegmentedPartial } from './segmented-partial';
import { type Segment, furthestHeld, isolateBlocks, splitLargest } from './segments';

/**
 * A download over several connections: the segmented partial checked like a single one
 * (rule 7), every segment's bytes verified block by block (rule 8) with each bad block
 * given a segment of its own, then every segment filled, each connection counted against
 * its host's limit and each range validated like a resume.
 */
export class SegmentedRun {
  constructor(
    private readonly job: DownloadJob,
    private readonly fetcher: DownloadFetcher,
    private readonly checkpoints: Checkpointer,
  ) {}

  /** The segmented partial to continue, open and verified in `job.seg`. */
  async ensure(): Promise<void> {
    const { job } = this;
    const { ctx, rec } = job;
    const gone = (): RestartRequired => new RestartRequired(`the partial file ${rec.name}.ferrypart was deleted while downloading`);
    if (job.seg) {
      await job.seg.drain();
      job.seg.assertOurs(gone);
      if (!job.seg.stillOurs(job.seg.furthest())) throw new RestartRequired(`the partial file ${rec.name}.ferrypart was cut short while downloading`);
      return;
    }
    const segments = ctx.store.segments(rec.id);
    const reason = notResumableReason(rec);
    if (reason) throw new RestartRequired(reason);
    const partialPath = job.partialPath();
    const furthest = furthestHeld(segments);
    const size = plainFileSize(partialPath);
    if (size === null) throw new RestartRequired('the partial file is gone');
    if (size < furthest) throw new RestartRequired(`the partial file is shorter (${size} bytes) than recorded (${furthest})`);
    if (size > rec.total!) fs.truncateSync(partialPath, rec.total!);
    const part = await SegmentedPartial.open(ctx.hashPool, partialPath, algorithmsFor(rec), rec.blockSize, segments);
    job.seg = part;
    const recorded = ctx.store.blocks(rec.id);
    const first = await part.verify(recorded);
    if (first.short) throw new RestartRequired('the partial file shrank while being checked');
    if (first.bad.length > 0) {
      job.history('repair', { blocks: first.bad, action: 'fetching again by range' });
      part.replaceSegments(isolateBlocks(part.segments, first.bad, rec.blockSize));
      const again = await part.verify(recorded);
      if (again.short || again.bad.length > 0) throw new RestartRequired('the partial file changed while being checked');
      ctx.store.checkpointSegments(rec.id, part.segments, [], ctx.clock.now());
      ctx.emit({ type: 'repaired', id: rec.id, blocks: first.bad });
    }
    await part.feedFileHash(part.segments);
  }

  /**
   * Fills the segments over up to `maxConnections` connections at once; `first` is the
   * response that answered the fresh request, which fills the first segment. A connection
   * with nothing left takes half of the largest remaining segment. The first failure stops
   * every connection (checkpointed) and is thrown to the attempt loop. True when every
   * segment is complete.
   */
  async run(signal: AbortSignal, first: Fetched | null): Promise<boolean> {
    const { ctx, rec } = this.job;
    const part = this.job.seg!;
    const stop = new AbortController();
    const onAbort = (): void => stop.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const busy = new Map<Segment, Promise<void>>();
    let failure: { error: unknown } | null = null;
    let wake: () => void = () => undefined;
    const launch = (segment: Segment, fetched: Fetched | null): void => {
      const done = this.fill(part, segment, fetched, stop.signal).then(
        () => undefined,
        (error: unknown) => {
          // A bad 206 while other segments ran: the host breaks ranges under parallel requests.
          if (error instanceof RestartRequired && error.kind === 'bad-range' && busy.size > 1 && !failure) ctx.requests.hosts?.brokeRanges(host);
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
    const host = new URL(rec.effectiveUrl ?? rec.url).host;
    const minBytes = ctx.tuning.minSegmentBytes;
    const livePosition = (s: Segment): number => part.liveStreams().find(([x]) => x === s)?.[1].writer.position ?? s.position;
    try {
      if (first) launch(part.segments[0]!, first);
      for (;;) {
        if (failure || stop.signal.aborted) break;
        // More connections while the limit and the host's free request slots allow; always one.
        while (busy.size < ctx.limits().maxConnections && (busy.size === 0 || ctx.requests.hasRoom(host))) {
          const idle = part.segments.find((s) => !busy.has(s) && livePosition(s) < s.end);
          const next = idle ?? splitLargest(part.segments, rec.blockSize, minBytes, new Set(busy.keys()), livePosition);
          if (!next) break;
          launch(next, null);
        }
        if (busy.size === 0) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, ctx.tuning.checkpointIntervalMs).unref();
        });
        try {
          this.checkpoints.maybe();
        } catch (error) {
          failure ??= { error };
          stop.abort(error);
        }
      }
      await Promise.all(busy.values());
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    if (failure) throw (failure as { error: unknown }).error;
    if (signal.aborted) throw signal.reason;
    await this.checkpoints.now();
    return part.allComplete();
  }

  /** Fills one segment, asking again (with an overlap check) when a connection ends early. */
  private async fill(part: SegmentedPartial, segment: Segment, first: Fetched | null, signal: AbortSignal): Promise<void> {
    const { ctx, rec } = this.job;
    const { writer } = part.stream(segment);
    let fetched = first;
    while (writer.position < segment.end) {
      const before = writer.position;
      let held: Buffer | null = null;
      let expected: number | null = null;
      if (!fetched) {
        await writer.drain(); // the overlap is compared with bytes on disk
        const from = Math.max(segment.start, before - ctx.tuning.overlapBytes); // rule 6
        held = from < before ? await part.read(from, before - from) : null;
        const ranged = await this.fetcher.range(from, segment.end - 1, signal, 'a segment of the file');
        fetched = ranged;
        expected = ranged.end - ranged.start + 1;
      }
      const pump = {
        ctx,
        fetched,
        writer,
        held,
        expectedLength: expected,
        bound: { end: () => segment.end, stopsEarly: true },
        decode: null,
        dir: rec.dir,
        onWritten: () => undefined, // the run's loop checkpoints every segment together
        overlap: 'incomplete' as const,
      };
      await pumpBody(pump, signal);
      fetched = null;
      if (writer.position === before && writer.position < segment.end) {
        throw new TransferFailure(transferError('connection-reset', 'The server closed a segment without sending a byte.', true));
      }
    }
  }
}
