import { TransferFailure, transferError } from '../../common/errors';
import { WANT_REPR_DIGEST } from '../http/digest-headers';
import { headersForOrigin } from '../http/headers';
import type { HttpResponse } from '../http/transport';
import { StallWatch } from '../transfer/stall-watch';
import { statusFailure } from '../core/failure';
import { type DownloadJob, RestartRequired } from './job';
import { classifyRangeAnswer, judgeRangeResponse } from './response-policy';

/** Statuses that, on a resumed signed or redirected URL, mean "this link expired" (rule 11). */
const EXPIRED_LINK_STATUSES = new Set([401, 403, 404, 410]);
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * A response and the request it answers: the URL that answered, the redirect chain that led
 * there, and the stall watch that guards it until its body is read or dropped.
 */
export interface Fetched {
  response: HttpResponse;
  url: string;
  chain: string[];
  watch: StallWatch;
}

/** Done with a response, read or not: the watch stops and the connection is let go. */
export function release(fetched: Fetched): void {
  fetched.watch.stop();
  fetched.response.discard();
}

/** What Ferry asks for on every download request (rules 1 and 2). */
export interface RangeAsk {
  range?: string;
  ifRange?: string | null;
}

/**
 * The requests of one download: redirects followed and recorded, every hop and its body
 * under one stall watch, and the person's headers sent only to the origin of the URL they
 * gave (http/headers.ts), whichever URL a request goes to.
 */
export class DownloadFetcher {
  constructor(private readonly job: DownloadJob) {}

  /** A start from 0 always asks the URL the person gave; redirects are resolved anew. */
  fresh(signal: AbortSignal): Promise<Fetched> {
    return this.following(this.job.rec.url, {}, signal);
  }

  /**
   * A resumed request goes to the last URL of the redirect chain; if that link has expired
   * (401/403/404/410), the original URL is asked again before failing (rule 11).
   */
  async resumable(ask: RangeAsk, signal: AbortSignal): Promise<Fetched> {
    const { rec } = this.job;
    const first = rec.effectiveUrl ?? rec.url;
    const fetched = await this.following(first, ask, signal);
    if (!EXPIRED_LINK_STATUSES.has(fetched.response.status) || first === rec.url) return fetched;
    release(fetched);
    this.job.history('redirect', { reason: `HTTP ${fetched.response.status} from the resumed URL; asking the original URL again`, status: fetched.response.status });
    return this.following(rec.url, ask, signal);
  }

  /**
   * Bytes `from`..`to` (inclusive; null: to the end) of the version we hold, by If-Range:
   * the answer must be a usable 206 starting at `from`. A whole file (the validator
   * changed), a 416 or a bad 206 means restart; another status is a failure.
   */
  async range(from: number, to: number | null, signal: AbortSignal, what: string): Promise<Fetched & { start: number; end: number }> {
    const { rec } = this.job;
    const fetched = await this.resumable({ range: `bytes=${from}-${to ?? ''}`, ifRange: rec.ifRange }, signal);
    const answer = classifyRangeAnswer(fetched.response.status);
    if (answer === 'range') {
      const verdict = judgeRangeResponse(rec, fetched.response.headers, from);
      if (verdict.ok) return { ...fetched, start: verdict.start, end: verdict.end };
      release(fetched);
      throw new RestartRequired(verdict.reason, 'bad-range');
    }
    release(fetched);
    if (answer === 'whole-file') throw new RestartRequired(`the file changed on the server (${what} got the whole file)`);
    if (answer === 'not-satisfiable') throw new RestartRequired(`the server says ${what} does not exist (416)`);
    throw statusFailure(fetched.response, fetched.url);
  }

  private headersFor(url: URL, ask: RangeAsk): Record<string, string> {
    const { rec } = this.job;
    const headers = headersForOrigin(rec.headers, url, rec.url);
    headers['accept-encoding'] = 'identity'; // rule 2
    headers['want-repr-digest'] = WANT_REPR_DIGEST;
    headers['user-agent'] ??= 'Ferry/0.1';
    if (ask.range) headers.range = ask.range;
    if (ask.ifRange) headers['if-range'] = ask.ifRange;
    return headers;
  }

  private async following(start: string, ask: RangeAsk, signal: AbortSignal): Promise<Fetched> {
    const { ctx } = this.job;
    const watch = new StallWatch(ctx.clock, () => ctx.tuning.stallTimeoutMs, signal);
    const chain = [start];
    let url = new URL(start);
    try {
      for (let hop = 0; ; hop++) {
        const response = await watch.request(ctx.transport, { url, method: 'GET', headers: this.headersFor(url, ask) }, signal);
        const location = response.headers.get('location');
        if (!REDIRECT_STATUSES.has(response.status) || !location) return { response, url: url.href, chain, watch };
        response.discard();
        if (hop >= ctx.tuning.maxRedirects) {
          throw new TransferFailure(transferError('too-many-redirects', `More than ${ctx.tuning.maxRedirects} redirects from ${new URL(start).host}; the link loops.`, false));
        }
        const next = new URL(location, url);
        if (next.protocol !== 'http:' && next.protocol !== 'https:') {
          throw new TransferFailure(transferError('unsupported-scheme', `The server redirected to a ${next.protocol} URL, which Ferry does not download.`, false));
        }
        url = next;
        chain.push(next.href);
      }
    } catch (error) {
      watch.stop();
      throw error;
    }
  }
}
