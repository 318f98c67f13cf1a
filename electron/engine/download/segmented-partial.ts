import type { DigestAlgorithm } from '../../common/integrity';
import type { HashPool, HashSession } from '../hash/hash-pool';
import { PartialFile, openFd } from './partial-file';
import { PartialWriter, allocateBuffers } from './partial-writer';
import { type Segment, contiguousEnd, furthestHeld, isComplete } from './segments';

/** Each connection of a segmented download gets smaller buffers than a single stream. */
const SEGMENT_BUFFER_BYTES = 256 << 10;

/** The writer and block digests of one segment while it receives bytes. */
export interface SegmentStream {
  writer: PartialWriter;
  blockHash: HashSession;
}

/**
 * A partial file filled by several connections at once, each writing its own segment at
 * its own offset. Each segment's blocks are hashed as they arrive; the whole-file digest
 * must see the bytes in order, so it reads them back from the file as the run without gaps
 * from byte 0 grows (from the page cache, right after they were written).
 */
export class SegmentedPartial extends PartialFile {
  private readonly streams = new Map<Segment, SegmentStream>();
  private fedTo = 0;
  private closed = false;

  private constructor(
    path: string,
    fd: number,
    private readonly pool: HashPool,
    readonly fileHash: HashSession,
    private readonly blockSize: number,
    public segments: Segment[],
  ) {
    super(path, fd);
  }

  static async fresh(pool: HashPool, path: string, algorithms: DigestAlgorithm[], blockSize: number, segments: Segment[]): Promise<SegmentedPartial> {
    return SegmentedPartial.wrap(pool, await openFd(path, 'fresh'), path, algorithms, blockSize, segments);
  }

  static async open(pool: HashPool, path: string, algorithms: DigestAlgorithm[], blockSize: number, segments: Segment[]): Promise<SegmentedPartial> {
    return SegmentedPartial.wrap(pool, await openFd(path, 'existing'), path, algorithms, blockSize, segments);
  }

  private static wrap(pool: HashPool, fd: number, path: string, algorithms: DigestAlgorithm[], blockSize: number, segments: Segment[]): SegmentedPartial {
    const [fileHash] = pool.open([{ algorithms, blockSize: 0 }], []) as [HashSession];
    return new SegmentedPartial(path, fd, pool, fileHash, blockSize, segments);
  }

  /** Bytes held by every segment, including those still in a writer's buffers. */
  held(): number {
    return this.segments.reduce((sum, s) => sum + ((this.streams.get(s)?.writer.position ?? s.position) - s.start), 0);
  }

  /** The partial must be at least this long: the end of the furthest bytes held. */
  furthest(): number {
    return furthestHeld(this.segments);
  }

  /**
   * The segment's writer and block digests, made on first use at the segment's position.
   * A segment that already holds bytes gets its block session positioned by `resumeBlocks`.
   */
  stream(segment: Segment): SegmentStream {
    let stream = this.streams.get(segment);
    if (!stream) {
      const buffers = allocateBuffers(Math.min(SEGMENT_BUFFER_BYTES, segment.end - segment.start), segment.end - segment.start);
      const blockStart = Math.floor(segment.position / this.blockSize) * this.blockSize;
      const [blockHash] = this.pool.open([{ algorithms: [], blockSize: this.blockSize, start: blockStart }], buffers) as [HashSession];
      stream = { writer: new PartialWriter(this.fd, segment.position, buffers, [blockHash], blockHash), blockHash };
      this.streams.set(segment, stream);
    }
    return stream;
  }

  /**
   * Re-hashes what every segment holds against the recorded block digests and tails
   * (rule 8). Each unfinished segment's block session is left positioned to go on; a
   * finished one is checked with a session of its own. Returns the bad block indexes.
   */
  async verify(recorded: ReadonlyMap<number, string>): Promise<{ bad: number[]; short: boolean }> {
    const size = this.blockSize;
    const checks = this.segments
      .filter((s) => s.position > s.start)
      .map(async (s) => {
        const own = isComplete(s) ? (this.pool.open([{ algorithms: [], blockSize: size, start: s.start }], []) as [HashSession])[0] : null;
        const session = own ?? this.stream(s).blockHash;
        const first = s.start / size;
        const expected = Array.from({ length: Math.floor(s.position / size) - first }, (_, i) => recorded.get(first + i) ?? null);
        try {
          return await session.verify(this.path, s.start, s.position, expected, s.tail);
        } finally {
          own?.close();
        }
      });
    const replies = await Promise.all(checks);
    return { bad: replies.flatMap((r) => r.bad).sort((a, b) => a - b), short: replies.some((r) => r.short) };
  }

  /** Replaces the segments (after bad blocks were given their own); streams start anew. */
  replaceSegments(segments: Segment[]): void {
    for (const segment of [...this.streams.keys()]) this.endStream(segment);
    this.segments = segments;
  }

  /** Segments with a live stream (their bytes since the last checkpoint are not recorded yet). */
  liveStreams(): Array<[Segment, SegmentStream]> {
    return [...this.streams.entries()];
  }

  /** Forgets a finished segment's stream once its last blocks were recorded. */
  endStream(segment: Segment): void {
    const stream = this.streams.get(segment);
    if (!stream) return;
    this.streams.delete(segment);
    stream.blockHash.close();
  }

  /** Feeds the whole-file digest the bytes from where it stands to the end of the run without gaps. */
  async feedFileHash(durable: readonly Segment[]): Promise<void> {
    const end = contiguousEnd(durable);
    if (end <= this.fedTo) return;
    await this.fileHash.feedFile(this.path, this.fedTo, end);
    this.fedTo = end;
  }

  allComplete(): boolean {
    return this.segments.every(isComplete);
  }

  async drain(): Promise<void> {
    await Promise.all([...this.streams.values()].map((s) => s.writer.drain()));
  }

  /** Every byte written and fsynced and read by the whole-file digest; its digests by algorithm. */
  async finalDigests(): Promise<Partial<Record<DigestAlgorithm, string>>> {
    await this.drain();
    await this.sync();
    await this.feedFileHash(this.segments);
    return this.fileHash.final();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.drain().catch(() => undefined);
    for (const segment of [...this.streams.keys()]) this.endStream(segment);
    this.fileHash.close();
    this.closeFd();
  }
}
