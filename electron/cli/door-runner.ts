/**
 * A CLI command's work handed to the Ferry already running on the data directory, through
 * its local door (DESIGN.md section 9), and followed there: the queue's snapshot and change
 * batches, as the window follows it. The command prints what it would print with its own
 * engine and exits with the same code. Ctrl-C pauses what this command set moving (the
 * running Ferry keeps it, resumable) and leaves alone what was already moving before.
 */
import { followQueue } from '../common/follow';
import { formatBytes, formatDuration } from '../common/format';
import type { ServiceError, TransferSummary } from '../common/service';
import type { Result } from '../common/result';
import type { DoorClient } from '../engine';
import { UsageError } from './args';
import { type Output, type TransferView, isEnded } from './output';
import { type AddedView, type DownloadRequest, EXIT, type Runner, type UploadRequest, exitCodeFor, onStopSignals } from './runner';

/** The running Ferry could not be followed (it speaks another protocol, or went away at once). */
export class DoorError extends Error {}

const MAX_URLS_PER_CALL = 10_000;

/** A service answer, or its error said as the CLI says errors: bad input is exit 2, the rest exit 1. */
function value<T>(result: Result<T, ServiceError>): T {
  if (result.ok) return result.value;
  const { code, message } = result.error;
  if (code === 'invalid-argument' || code === 'rejected' || code === 'not-found') throw new UsageError(message);
  throw new DoorError(`the running Ferry answered: ${message}`);
}

export class DoorRunner implements Runner {
  readonly handedOver = true;
  private readonly rows = new Map<string, TransferView>();
  /** Ids removed from the queue while followed (a person removed them in the window). */
  private readonly removed = new Set<string>();
  /** Told after every change batch which ids it touched (null: the door closed). */
  private readonly listeners = new Set<(ids: string[] | null) => void>();
  private closed = false;
  /** What was already moving before this command added anything: Ctrl-C leaves it moving. */
  private movingBefore: Set<string> | null = null;
  private stopFollowing: () => void = () => undefined;

  private constructor(
    private readonly client: DoorClient,
    private readonly output: Output,
  ) {}

  static async open(client: DoorClient, output: Output): Promise<DoorRunner> {
    const runner = new DoorRunner(client, output);
    client.onClose(() => {
      runner.closed = true;
      runner.changed(null);
    });
    try {
      runner.stopFollowing = await followQueue(client, {
        snapshot: (snapshot) => {
          for (const row of snapshot.transfers) runner.rows.set(row.id, row);
        },
        changes: (event) => {
          for (const id of event.removed) {
            runner.removed.add(id);
          }
          for (const change of event.changes) runner.rows.set(change.id, { ...runner.rows.get(change.id), ...change } as TransferSummary);
          runner.changed([...event.removed, ...event.changes.map((c) => c.id)]);
        },
      });
    } catch (error) {
      client.dispose();
      throw new DoorError(`cannot follow the running Ferry: ${(error as Error).message}`);
    }
    return runner;
  }

  private changed(ids: string[] | null): void {
    for (const listener of [...this.listeners]) listener(ids);
  }

  /** Resolves once `ready()` holds, checked after every change batch (or the door closing). */
  private until(ready: () => boolean): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (!ready()) return;
        this.listeners.delete(check);
        resolve();
      };
      this.listeners.add(check);
    });
  }

  /** The rows of `ids` once the running Ferry has told of each. */
  private async viewsOf(ids: string[], flags: { existing: Set<string>; alreadyDone: Set<string> }): Promise<AddedView[]> {
    await this.until(() => this.closed || ids.every((id) => this.rows.has(id)));
    if (this.closed) throw new DoorError('the running Ferry stopped before it took the work; run the command again');
    return ids.map((id) => ({ view: this.rows.get(id)!, existing: flags.existing.has(id), alreadyDone: flags.alreadyDone.has(id) }));
  }

  /** Notes what moves now, before the command's own add starts anything. */
  private beforeAdding(): void {
    this.movingBefore ??= new Set([...this.rows.values()].filter((row) => row.state === 'active').map((row) => row.id));
  }

  async addDownloads(request: DownloadRequest): Promise<AddedView[]> {
    this.beforeAdding();
    // The contract takes up to 10,000 URLs a call: a longer list goes in several.
    const added = { ids: [] as string[], existing: [] as string[], alreadyDone: [] as string[] };
    for (let at = 0; at < request.urls.length; at += MAX_URLS_PER_CALL) {
      const urls = request.urls.slice(at, at + MAX_URLS_PER_CALL);
      const part = value(
        await this.client.addDownloads({
          urls,
          dir: request.dir,
          name: request.name,
          checksum: request.checksum,
          headers: request.headers,
          ifDone: request.ifDone,
          mirrors: request.mirrors,
          pieces: request.pieces ?? null,
          checksumSource: request.checksumSource,
          checksumFile: request.checksumFile,
          sidecar: request.sidecar,
        }),
      );
      added.ids.push(...part.ids);
      added.existing.push(...part.existing);
      added.alreadyDone.push(...part.alreadyDone);
    }
    return this.viewsOf(added.ids, { existing: new Set(added.existing), alreadyDone: new Set(added.alreadyDone) });
  }

  async addUploads(request: UploadRequest): Promise<AddedView[]> {
    this.beforeAdding();
    const added = value(await this.client.addUploads({ paths: request.paths, to: { url: request.to, protocol: request.protocol, headers: request.headers } }));
    return this.viewsOf(added.ids, { existing: new Set(added.existing), alreadyDone: new Set() });
  }

  async unfinished(): Promise<TransferView[]> {
    return [...this.rows.values()].filter((row) => !isEnded(row));
  }

  async relink(id: string, url: string): Promise<{ how: string; droppedHeaders: boolean }> {
    this.beforeAdding();
    const taken = value(await this.client.relink({ id, url }));
    // Followed from the change batch that carries the new link: the row as it was (failed,
    // say) would otherwise read as the end of the run.
    await this.until(() => this.closed || this.rows.get(id)?.url === url);
    return taken;
  }

  async list(): Promise<TransferView[]> {
    return [...this.rows.values()].sort((a, b) => a.seq - b.seq);
  }

  async run(ids: string[]): Promise<number> {
    const { output } = this;
    // What already moved before this command came is the running Ferry's business: Ctrl-C leaves it moving.
    this.beforeAdding();
    const movingBefore = this.movingBefore!;
    const waiting = ids.filter((id) => !isEnded(this.rows.get(id)) && !movingBefore.has(id));
    if (waiting.length > 0) value(await this.client.resume({ ids: waiting }));

    const told = new Map<string, { started: boolean; paused: boolean; retryingSince: number | null; resumes: number; restarts: number; ended: boolean }>();
    for (const id of ids) {
      const row = this.rows.get(id);
      told.set(id, { started: false, paused: false, retryingSince: null, resumes: row?.resumes ?? 0, restarts: row?.restarts ?? 0, ended: isEnded(row) });
      if (isEnded(row)) output.endedOne();
    }
    // Kept as batches arrive, so neither a batch nor a progress tick walks every id: a run
    // of thousands costs what its changed and active rows cost.
    let open = ids.filter((id) => !told.get(id)!.ended).length;
    const active = new Set<string>();
    const tell = (changed: string[] | null): void => {
      for (const id of changed ?? ids) {
        const seen = told.get(id);
        const row = this.rows.get(id);
        if (!seen || !row || seen.ended) continue;
        if (row.state === 'active') active.add(id);
        else active.delete(id);
        if (isEnded(row) || this.removed.has(id)) {
          seen.ended = true;
          open--;
          active.delete(id);
          output.endedOne();
          continue;
        }
        if (row.state === 'active' && !seen.started) {
          seen.started = true;
          output.event({ type: 'started', id, direction: row.direction, name: row.name, total: row.total, url: row.url });
        }
        if (row.state === 'paused' && !seen.paused) output.note(`${row.name} was paused in Ferry; waiting until it is resumed there (Ctrl-C stops waiting).`);
        seen.paused = row.state === 'paused';
        if (row.retrying && row.retrying.since !== seen.retryingSince) {
          seen.retryingSince = row.retrying.since;
          const wait = row.retrying.delayMs > 0 ? ` Retrying in ${formatDuration(row.retrying.delayMs / 1000)}.` : '';
          if (output.json) output.emit({ type: 'retrying', id, error: { message: row.retrying.message }, delayMs: row.retrying.delayMs });
          else output.note(`${row.retrying.message}${wait}`);
        }
        if (row.resumes > seen.resumes || row.restarts > seen.restarts) void this.tellHistory(row, seen);
      }
    };

    let interrupted: number | null = null;
    let wake = (): void => undefined;
    const offSignals = onStopSignals((code) => {
      if (interrupted !== null) return;
      interrupted = code;
      wake();
    });
    const activeOfMine = (): Array<{ id: string; bytes: number; total: number | null }> =>
      [...active].map((id) => {
        const row = this.rows.get(id)!;
        return { id, bytes: row.bytes, total: row.total };
      });
    output.watch(ids.length, activeOfMine);
    try {
      tell(null);
      this.listeners.add(tell);
      await Promise.race([
        this.until(() => this.closed || open === 0),
        new Promise<void>((resolve) => (wake = resolve)),
      ]);
      const views = ids.map((id) => this.viewOf(id));
      if (interrupted !== null) {
        const mine = ids.filter((id) => !movingBefore.has(id) && !isEnded(this.rows.get(id)) && !this.removed.has(id));
        if (mine.length > 0 && !this.closed) {
          await this.client.pause({ ids: mine });
          // The rows say paused (with their checkpoint) in the next change batch; a Ferry that never says so is not waited on for long.
          await Promise.race([this.until(() => this.closed || mine.every((id) => this.rows.get(id)?.state !== 'active')), new Promise((r) => setTimeout(r, 3000).unref())]);
        }
        output.note('Stopped: the running Ferry keeps the progress; resume there, or run the same command.');
        output.stoppedAll(ids.map((id) => this.viewOf(id)));
        return interrupted;
      }
      if (this.closed && views.some((v) => !isEnded(v))) {
        output.note('The running Ferry stopped before these transfers ended; their progress is saved. Run the same command to continue.');
        output.stoppedAll(views);
        return EXIT.failed;
      }
      output.results(views);
      return exitCodeFor(views);
    } finally {
      this.listeners.delete(tell);
      output.unwatch();
      offSignals();
    }
  }

  /** A row as the result tells of it; one removed from the queue meanwhile ended as canceled. */
  private viewOf(id: string): TransferView {
    const row = this.rows.get(id)!;
    if (!this.removed.has(id) || isEnded(row)) return row;
    return { ...row, state: 'canceled', error: { code: 'canceled', message: 'It was removed from the queue in Ferry.', retryable: false } };
  }

  /** A resume or a restart, told with what the details record of it (the validator, the overlap checked). */
  private async tellHistory(row: TransferView, seen: { resumes: number; restarts: number }): Promise<void> {
    const resumed = row.resumes > seen.resumes;
    const restarted = row.restarts > seen.restarts;
    seen.resumes = row.resumes;
    seen.restarts = row.restarts;
    const details = await this.client.details({ id: row.id });
    if (!details.ok) return;
    const resume = details.value.resumes.at(-1);
    const restart = details.value.restarts.at(-1);
    if (resumed && resume) {
      const segments = resume.segments !== null && resume.segments > 1 ? `${resume.segments} segments with ` : '';
      const validator = resume.validator ? ` (validator ${resume.validator})` : '';
      if (this.output.json) this.output.emit({ type: 'resumed', id: row.id, offset: resume.offset, validator: resume.validator, segments: resume.segments ?? 1 });
      else this.output.note(`Resuming ${segments}at ${formatBytes(resume.offset)} held${validator}${resume.overlap ? `; overlap check: ${resume.overlap}` : ''}`);
    }
    if (restarted && restart) {
      if (this.output.json) this.output.emit({ type: 'restarted', id: row.id, reason: restart.reason });
      else this.output.note(`Restarting from 0: ${restart.reason}`);
    }
  }

  async close(): Promise<void> {
    this.stopFollowing();
    this.client.dispose();
  }
}
