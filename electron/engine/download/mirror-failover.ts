/**
 * A download with mirrors (a Metalink's) moves to the next one when its link fails: at once,
 * before any backoff, as long as this run has a mirror it has not tried. A mirror takes over
 * the bytes already held only when it proves to serve the same ones (relink.ts); one that
 * does not is passed over, and said so in the history. Bytes a checksum refused are not
 * kept, so after a mismatch the next mirror starts from 0 with nothing to prove.
 */
import type { DownloadJob } from './job';
import { leavesOrigin } from '../http/headers';
import { proveSameBytes } from './relink';

export class MirrorFailover {
  /** Links this run has used or refused: each mirror is tried once a run. */
  private readonly tried = new Set<string>();

  constructor(private readonly job: DownloadJob) {}

  /** Whether another link is left to try in this run. */
  get available(): boolean {
    this.tried.add(this.job.rec.url);
    return this.job.rec.mirrors.some((m) => !this.tried.has(m));
  }

  /**
   * Moves to the next mirror that can take over; `reason` says why the current link is left.
   * False when none is left (the caller's retries go on with the current link).
   */
  async next(reason: string, signal: AbortSignal): Promise<boolean> {
    const { job } = this;
    const { ctx } = job;
    this.tried.add(job.rec.url);
    for (const mirror of job.rec.mirrors) {
      if (this.tried.has(mirror)) continue;
      this.tried.add(mirror);
      const rec = job.rec;
      const held = rec.offset > 0 || ctx.store.segments(rec.id).length > 0;
      let validators = { etag: null as string | null, lastModified: null as string | null, ifRange: null as string | null };
      let proof = 'nothing was held';
      if (held) {
        const proven = await proveSameBytes(ctx, rec, ctx.store.blocks(rec.id), mirror, signal).catch((error: unknown) => ({ ok: false as const, reason: (error as Error).message }));
        if (!proven.ok) {
          job.history('redirect', { reason: `the mirror ${mirror} was passed over: ${proven.reason}`, mirror });
          continue;
        }
        validators = proven.validators;
        proof = proven.how;
      }
      // The old link goes to the end of the list: it may work again later.
      const mirrors = [...rec.mirrors.filter((m) => m !== mirror), rec.url];
      job.save({
        url: mirror,
        effectiveUrl: null,
        urlChain: [],
        mirrors,
        etag: validators.etag,
        lastModified: validators.lastModified,
        ifRange: validators.ifRange,
        // Headers belong to the origin they were given for (DESIGN.md section 7).
        ...(leavesOrigin(rec.url, mirror) ? { headers: [] } : {}),
      });
      job.history('redirect', { reason: `moved to the mirror ${mirror}: ${reason}; ${proof}`, from: rec.url, mirror });
      return true;
    }
    return false;
  }
}
