import * as fs from 'node:fs';
import { collectBody } from './body-pump';
import type { Checkpointer } from './checkpointer';
import { type DownloadFetcher, release } from './fetcher';
import { type DownloadJob, RestartRequired } from './job';
import { LivePartial } from './live-partial';
import { replacedError } from './partial-file';
import { TransferFailure } from '../../common/errors';
import { notResumableReason } from './response-policy';
import { formatExactBytes } from '../../common/format';
import { referenceOf } from '../references/reference';

/**
 * Before a single stream resumes, the partial it continues: checked to exist as a plain
 * file at least as long as the checkpoint (rule 7; bytes past it are unproven and cut),
 * re-hashed block by block against the store (rule 8), and each bad block fetched again
 * by range with If-Range. Without a strong validator a range repair cannot be trusted:
 * the good prefix is kept instead. Null when there is nothing to continue.
 */
export class PartialCheck {
  constructor(
    private readonly job: DownloadJob,
    private readonly fetcher: DownloadFetcher,
    private readonly checkpoints: Checkpointer,
  ) {}

  async ensure(signal: AbortSignal): Promise<LivePartial | null> {
    const { job } = this;
    const { rec } = job;
    if (job.live) {
      await job.live.writer.drain(); // bytes still in memory must be on disk before we compare sizes
      job.live.assertOurs(() => new RestartRequired(`the partial file ${rec.name}.ferrypart was deleted while downloading`));
      if (!job.live.stillOurs(job.live.position)) throw new RestartRequired(`the partial file ${rec.name}.ferrypart was cut short while downloading`);
      const reason = notResumableReason(rec);
      if (reason) throw new RestartRequired(reason);
      return job.live;
    }
    if (!rec.name) return null;
    const partialPath = job.partialPath();
    const size = plainFileSize(partialPath);
    if (size === null) {
      if (rec.offset > 0) throw new RestartRequired('the partial file is gone');
      return null;
    }
    if (rec.offset === 0) return null;
    const reason = notResumableReason(rec);
    if (reason) throw new RestartRequired(reason);
    if (size < rec.offset) throw new RestartRequired(`the partial file is shorter (${formatExactBytes(size)}) than recorded (${formatExactBytes(rec.offset)})`);
    if (size > rec.offset) fs.truncateSync(partialPath, rec.offset); // bytes past the checkpoint are unproven

    job.live = await this.open();
    const bad = await this.verify(job.live, rec.offset);
    if (bad.length === 0) return job.live;
    if (!rec.ifRange) {
      const goodPrefix = bad[0]! * rec.blockSize;
      job.history('repair', { blocks: bad, action: 'truncated to the first bad block', offset: goodPrefix });
      await job.live.close();
      job.live = null;
      this.checkpoints.at(goodPrefix);
      fs.truncateSync(partialPath, goodPrefix);
      return this.ensure(signal);
    }
    await this.repair(job.live, bad, signal);
    // The whole-file digests were fed bytes that included bad ones: rebuild them.
    await job.live.close();
    job.live = await this.open();
    const still = await this.verify(job.live, rec.offset);
    if (still.length > 0) throw new RestartRequired(`blocks ${still.join(', ')} differ even after fetching them again`);
    return job.live;
  }

  private open(): Promise<LivePartial> {
    const { ctx, rec } = this.job;
    return LivePartial.open(ctx.hashPool, this.job.partialPath(), algorithmsFor(rec), rec.blockSize, rec.total);
  }

  /** Re-hashes the partial's blocks and tail against the store; feeds the whole-file digests. */
  private async verify(live: LivePartial, offset: number): Promise<number[]> {
    const { ctx, rec } = this.job;
    const recorded = ctx.store.blocks(rec.id);
    const complete = Math.floor(offset / rec.blockSize);
    const expected = Array.from({ length: complete }, (_, i) => recorded.get(i) ?? null);
    const [check] = await Promise.all([live.blockHash.verify(live.path, 0, offset, expected, rec.tailDigest), live.fileHash.feedFile(live.path, 0, offset)]);
    if (check.short) throw new RestartRequired('the partial file shrank while being checked');
    if (check.bad.length === 0) live.seek(offset);
    return check.bad;
  }

  /** Fetches bad blocks again by range with If-Range and writes them in place (rule 8). */
  private async repair(live: LivePartial, bad: number[], signal: AbortSignal): Promise<void> {
    const { ctx, rec } = this.job;
    const size = rec.blockSize;
    this.job.history('repair', { blocks: bad, action: 'fetching again by range' });
    for (const index of bad) {
      const start = index * size;
      const end = Math.min(start + size, rec.offset) - 1;
      const fetched = await this.fetcher.range(start, end, signal, 'a block repair');
      if (fetched.end !== end) {
        release(fetched);
        throw new RestartRequired(`the server sent a different range (${fetched.start}-${fetched.end}) than the block asked for`);
      }
      await live.write(await collectBody(fetched, end - start + 1, signal), start);
    }
    await live.sync();
    ctx.emit({ type: 'repaired', id: rec.id, blocks: bad });
  }
}

/** SHA-256 always (every completed download records it), plus a reference's algorithm. */
export function algorithmsFor(rec: DownloadJob['rec']): Array<'sha256' | 'sha512' | 'sha1' | 'md5'> {
  const set = new Set<'sha256' | 'sha512' | 'sha1' | 'md5'>(['sha256']);
  const reference = referenceOf(rec);
  if (reference) set.add(reference.algorithm);
  return [...set];
}

/**
 * The size of the plain file at `file`, null when nothing is there; anything else under
 * the partial's name (a link, a folder) is not ours to read, truncate or delete.
 */
export function plainFileSize(file: string): number | null {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    return null;
  }
  if (st.isFile()) return st.size;
  throw new TransferFailure(replacedError(file, st.isSymbolicLink() ? 'a link' : st.isDirectory() ? 'a folder' : 'something that is not a regular file'));
}
