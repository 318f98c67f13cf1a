import { type TransferError, TransferFailure, transferError } from '../../common/errors';
import { referenceMeaning } from '../../common/integrity';
import type { SidecarFound, SidecarState } from '../../common/transfer';
import type { DownloadJob } from '../download/job';
import { headersForOrigin } from '../http/headers';
import type { ChecksumFileAnswer } from './checksum-files';
import { sidecarCandidates } from './sidecar-candidates';
import { type SumsScope, pickEntry } from './sums-parser';

/** Smaller files are not searched for (DESIGN.md section 10): the requests would cost more than the file. */
export const SIDECAR_MIN_FILE_BYTES = 1 << 20;


type Outcome = { found: SidecarFound } | { none: true } | { failure: TransferError } | { undecided: string };

const DEFAULT_STATE: SidecarState = { search: true, named: null, found: null };

/**
 * One download's checksum file (DESIGN.md section 10). For a single stream the search
 * starts once the first response says how large the file is, and runs beside the body: a
 * download never waits for it to begin. A segmented download's starts when its body is
 * done, so it never takes a connection a segment wanted (nor counts among the requests a
 * polite host is judged by). Either way the verdict waits for it at most the short sidecar
 * timeout. What it finds goes on record at once, so a resumed download never asks again;
 * so does a search that found nothing where every candidate answered.
 *
 * The search stays on the download's own origin: the lists in the folder of the URL that
 * served the bytes (when a redirect stayed on that origin) and of the URL given, then the
 * files beside it, each only while nothing before it named the file. A checksum file a
 * person named is used whatever its origin, and for a file of any size; when it cannot be
 * read or has no line for the file, the download fails (its bytes kept), never passes.
 */
export class SidecarLookup {
  private recorded: Promise<Outcome> | null = null;
  /** Counts lookups; one the verdict stopped waiting for writes nothing when it ends. */
  private generation = 0;
  private stopped = false;

  constructor(private readonly job: DownloadJob) {}

  /** Starts the lookup if this download may use one and it has not started; cheap to call often. */
  begin(): void {
    if (this.recorded || this.stopped) return;
    const { rec } = this.job;
    const state = rec.sidecar ?? DEFAULT_STATE;
    if (rec.userChecksum || state.found) return;
    let running: Promise<Outcome>;
    if (state.named) {
      running = this.named(state.named);
    } else {
      const searching = state.search && !state.none && this.job.ctx.sidecars.searching && !rec.serverChecksum;
      if (!searching || rec.total === null || rec.total < SIDECAR_MIN_FILE_BYTES) return;
      running = this.search();
    }
    const generation = ++this.generation;
    this.recorded = running.catch((error: unknown) => ({ undecided: String(error) })).then((outcome) => (generation === this.generation ? this.record(outcome) : outcome));
  }

  /**
   * Before the verdict: the lookup's outcome, waited for at most the sidecar timeout. A
   * named checksum file that fails throws (the download fails and keeps its bytes).
   */
  async settle(): Promise<void> {
    this.begin();
    if (!this.recorded) return;
    const { ctx, rec } = this.job;
    const timer = new AbortController();
    const late = ctx.clock.sleep(ctx.tuning.sidecarTimeoutMs, timer.signal).then(
      (): Outcome => ({ undecided: `no answer within ${ctx.tuning.sidecarTimeoutMs / 1000} s` }),
      (): Outcome => ({ undecided: 'canceled' }),
    );
    const outcome = await Promise.race([this.recorded, late]);
    timer.abort();
    if ('found' in outcome || 'none' in outcome) return;
    // Another attempt asks again; this lookup, if it ends after all, writes nothing.
    this.recorded = null;
    this.generation++;
    if ('failure' in outcome) throw new TransferFailure(outcome.failure);
    ctx.log?.info('checksum file lookup undecided; the verdict goes without it', { id: rec.id, reason: outcome.undecided });
    if (rec.sidecar?.named) {
      throw new TransferFailure(transferError('checksum-file', `The checksum file ${rec.sidecar.named} did not arrive (${outcome.undecided}); Ferry tries again.`, true));
    }
  }

  /** The download stopped or ended: nothing more goes on its record from here. */
  stop(): void {
    this.stopped = true;
  }

  private async named(named: string): Promise<Outcome> {
    const files = this.job.ctx.sidecars;
    const answer = /^https?:\/\//i.test(named) ? await files.fetch(named, this.headersFor, true) : await files.readLocal(named);
    if (!answer.ok) {
      return { failure: transferError('checksum-file', `The checksum file ${named} could not be read (${answer.why}); check --checksum-file.`, !answer.definitive) };
    }
    const names = this.names();
    const entry = pickEntry(answer.entries, names, 'named');
    if (entry === 'ambiguous') {
      return { failure: transferError('checksum-file', `The checksum file ${named} gives two different checksums for ${names[0]}; Ferry will not guess. Name a checksum file with one line for it.`, false) };
    }
    if (!entry) {
      return { failure: transferError('checksum-file', `The checksum file ${named} has no line for ${names.join(' or ')}; name the checksum file that lists it, or leave out --checksum-file.`, false) };
    }
    return { found: { algorithm: entry.algorithm, hex: entry.hex, from: named, name: entry.name } };
  }

  private async search(): Promise<Outcome> {
    const { rec } = this.job;
    const bases = [rec.effectiveUrl, rec.url].filter((u, i, all): u is string => u !== null && all.indexOf(u) === i && new URL(u).origin === new URL(rec.url).origin);
    let decided = true;
    for (const base of bases) {
      const candidates = sidecarCandidates(base);
      if (!candidates) continue;
      const groups: Array<[string[], SumsScope]> = [
        [candidates.directory, 'directory'],
        [candidates.file, 'file'],
      ];
      for (const [urls, scope] of groups) {
        const answers = await Promise.all(urls.map((url) => this.job.ctx.sidecars.fetch(url, this.headersFor, false)));
        for (const [i, answer] of answers.entries()) {
          const found = this.take(answer, urls[i]!, candidates.name, scope);
          if (found) return { found };
          if (!answer.ok && !answer.definitive) decided = false;
        }
      }
    }
    return decided ? { none: true } : { undecided: 'a checksum file could not be asked for' };
  }

  private take(answer: ChecksumFileAnswer, from: string, name: string, scope: SumsScope): SidecarFound | null {
    if (!answer.ok) return null;
    const entry = pickEntry(answer.entries, [name], scope);
    if (entry === 'ambiguous') {
      this.job.ctx.log?.warn('a checksum file gives two different checksums for one file; not used', { id: this.job.rec.id, from, name });
      return null;
    }
    return entry ? { algorithm: entry.algorithm, hex: entry.hex, from, name: entry.name } : null;
  }

  /** The download's own origin rule for the person's headers (http/headers.ts), as every request of it. */
  private readonly headersFor = (target: URL): Record<string, string> => headersForOrigin(this.job.rec.headers, target, this.job.rec.url);

  /** The names a line may give the file: in the URL given, in the URL that served it, as saved. */
  private names(): string[] {
    const { rec } = this.job;
    const fromUrls = [rec.url, rec.effectiveUrl].map((u) => (u ? sidecarCandidates(u)?.name : undefined));
    return [...new Set([...fromUrls, rec.name, rec.requestedName].filter((n): n is string => typeof n === 'string' && n !== ''))];
  }

  /**
   * Puts what was found (or that nothing is there) on the record at once. A store that
   * refuses the write (a disk gone read-only) is the download's own failure to report, on
   * its next write; here, running beside the body, it must not become an unhandled
   * rejection, and what was found still serves this run's verdict.
   */
  private record(outcome: Outcome): Outcome {
    if (this.stopped) return outcome;
    const { rec } = this.job;
    const state = rec.sidecar ?? DEFAULT_STATE;
    try {
      if ('found' in outcome) {
        this.job.save({ sidecar: { ...state, found: outcome.found, none: false } });
        const { from, algorithm, hex, name } = outcome.found;
        this.job.history('reference', { source: 'sidecar', from, algorithm, expected: hex, name, meaning: referenceMeaning('sidecar') });
      } else if ('none' in outcome) {
        this.job.save({ sidecar: { ...state, none: true } });
      }
    } catch (error) {
      this.job.ctx.log?.warn('a checksum file lookup could not be put on record', { id: rec.id, error });
    }
    return outcome;
  }
}
