import * as fs from 'node:fs';
import * as path from 'node:path';
import { serverDigestReference } from '../http/digest-headers';
import { readValidators } from '../http/validators';
import { collectBody } from './body-pump';
import { type DownloadFetcher, type Fetched, release } from './fetcher';
import { type DownloadJob, RestartRequired } from './job';
import { LivePartial, PARTIAL_SUFFIX } from './live-partial';
import { algorithmsFor } from './partial-check';

/** Ranges sampled across an adopted partial, besides the overlap the resume checks. */
const SAMPLES = 4;
const SAMPLE_BYTES = 64 << 10;

/**
 * A `<name>.ferrypart` that no record describes (its store was damaged and set aside, or
 * lost) and a fresh download of the same name. The server must offer what a resume needs (a
 * known length, no encoding, a strong validator, ranges), the partial must be no longer than
 * the file, and samples of its bytes from across the file must match the server's: then it
 * is this file's partial. Its validator was never recorded, so (rule 1) its bytes may be
 * continued only when a reference digest will prove the result: a checksum the person gave
 * or a digest the server sent. Then it is adopted: its block digests taken from its bytes,
 * resumed with the overlap check. Without a reference it is this file's but unprovable: the
 * download takes its name and starts from 0 there, rather than beside it as `<name> (1)`.
 * A partial whose samples differ is someone else's and is left alone.
 */
export class OrphanAdopter {
  /** A partial's path the last look found nothing at (takeAbsent). */
  private absent: string | null = null;

  constructor(
    private readonly job: DownloadJob,
    private readonly fetcher: DownloadFetcher,
  ) {}

  /**
   * The path of the partial the last adopt() found nothing at, once: the caller claims that
   * name in the same turn and need not look again (one lstat a file fewer; issue 13).
   */
  takeAbsent(): string | null {
    const absent = this.absent;
    this.absent = null;
    return absent;
  }

  /**
   * The adopted partial, open and positioned at its end; null when nothing was tried (the
   * response is untouched); 'refused' when the orphan was looked at and left alone, or
   * 'replace' when the download took its name to start from 0 (either way the response was
   * let go: the caller asks again).
   */
  async adopt(fetched: Fetched, name: string, signal: AbortSignal): Promise<LivePartial | null | 'refused' | 'replace'> {
    const { job } = this;
    const { ctx, rec } = job;
    this.absent = null;
    const h = fetched.response.headers;
    const total = Number(h.get('content-length'));
    const validators = readValidators(h);
    const encoding = (h.get('content-encoding') ?? 'identity').toLowerCase();
    if (!Number.isSafeInteger(total) || encoding !== 'identity' || !validators.ifRange || !/\bbytes\b/i.test(h.get('accept-ranges') ?? '')) return null;
    const partial = path.join(rec.dir, name + PARTIAL_SUFFIX);
    const st = fs.lstatSync(partial, { throwIfNoEntry: false });
    if (!st) this.absent = partial;
    if (!st?.isFile() || st.size === 0 || st.size > total) return null;
    if (fs.existsSync(path.join(rec.dir, name)) || ctx.store.nameClaimed(rec.dir, name)) return null;
    const held = st.size;
    const reference = rec.userChecksum ?? serverDigestReference(h, true);
    // The answer to the plain request is not needed: the bytes continue by range.
    release(fetched);
    job.save({
      name,
      total,
      encoded: false,
      offset: 0,
      effectiveUrl: fetched.url,
      urlChain: fetched.chain,
      etag: validators.etag,
      lastModified: validators.lastModified,
      ifRange: validators.ifRange,
      serverChecksum: serverDigestReference(h, true),
    });
    let live: LivePartial | null = null;
    const refuse = async (reason: string): Promise<'refused'> => {
      await live?.close();
      // The orphan is not ours to resume, truncate or delete: the name goes back.
      job.save({ name: null, total: null, effectiveUrl: null, etag: null, lastModified: null, ifRange: null });
      if (reason) job.history('restart', { reason: `${name}${PARTIAL_SUFFIX} has no record and ${reason}; it is left as it is` });
      return 'refused';
    };
    try {
      live = await LivePartial.open(ctx.hashPool, partial, algorithmsFor(job.rec), rec.blockSize, total);
      if (!(await this.samplesMatch(live, held, signal))) return await refuse('its bytes differ from the server\'s');
      if (!reference) {
        await live.close();
        job.save({ total: null, effectiveUrl: null, etag: null, lastModified: null, ifRange: null, serverChecksum: null });
        job.history('restart', { reason: `${name}${PARTIAL_SUFFIX} had no record; its bytes match this file's at ${SAMPLES} places but nothing can prove the rest (no checksum), so the download starts from 0 under its name` });
        return 'replace';
      }
      const [blocks] = await Promise.all([live.blockHash.feedFile(partial, 0, held), live.fileHash.feedFile(partial, 0, held)]);
      live.seek(held);
      ctx.store.checkpoint(rec.id, { offset: held, blocks: blocks.blocks, tailDigest: blocks.tail }, {}, ctx.clock.now());
      job.adopt({ offset: held, tailDigest: blocks.tail });
      job.history('resume', { adopted: true, offset: held, samples: SAMPLES, reason: `${name}${PARTIAL_SUFFIX} had no record (a lost or damaged store); its bytes matched the server's at ${SAMPLES} places` });
      return live;
    } catch (error) {
      if (error instanceof RestartRequired) return refuse(`the server would not serve samples of it (${error.reason})`);
      await refuse('');
      throw error;
    }
  }

  /** Ranges spread over the partial, each compared with what the server sends for it. */
  private async samplesMatch(live: LivePartial, held: number, signal: AbortSignal): Promise<boolean> {
    const length = Math.min(SAMPLE_BYTES, held);
    for (let k = 0; k < SAMPLES; k++) {
      const start = Math.floor(((held - length) * k) / Math.max(1, SAMPLES - 1));
      const fetched = await this.fetcher.range(start, start + length - 1, signal, 'a sample of an unrecorded partial');
      if (fetched.end !== start + length - 1) {
        release(fetched);
        return false;
      }
      const theirs = await collectBody(fetched, length, signal);
      if (!theirs.equals(await live.read(start, length))) return false;
    }
    return true;
  }
}
