import type Database from 'better-sqlite3';
import type { DigestReference } from '../common/integrity';
import * as path from 'node:path';
import type { TransferRecord, UploadProtocol } from '../common/transfer';
import { type Clock, DEFAULT_TUNING, type DownloadTuning, type EngineContext, type EngineEvent, systemClock } from './context';
import { logEngineEvent } from './event-log';
import { HashPool, INLINE_HASH_MAX_BYTES } from './hash/hash-pool';
import { stillDone } from './still-done';
import { type Cleaned, type GroupOptions, SameInOneAdd, cleaned, inGroups, unlessAborted, withoutSecrets } from './add-inputs';
import { type RelinkResult, relinkDownload } from './download/relink-download';
import type { Transport } from './http/transport';
import { CountedTransport } from './http/counted-transport';
import { UndiciTransport } from './http/undici-transport';
import { DownloadTask } from './download/download-task';
import { UploadTask } from './upload/upload-task';
import { BandwidthLimiter } from './scheduler/bandwidth';
import { RequestLimiter } from './scheduler/request-limiter';
import { HostPoliteness } from './scheduler/host-politeness';
import { type WindowState, WindowKeeper } from './scheduler/time-windows';
import { HostLimitStore } from './store/host-limits';
import type { TimeWindows } from '../common/time-windows';
import { EngineError, describeError } from './scheduler/failures';
import { DEFAULT_LIMITS, type Limits, type Placement, Scheduler, type ScheduledTask } from './scheduler/scheduler';
import { type StoreDamage, openDatabase } from './store/database';
import { type FinishedState, TransferStore } from './store/transfers';
import { SettingsStore } from './store/settings';
import { FileLogger, type Logger, isLogLevel } from './log';
import { withoutUserinfo } from './http/url-credentials';
import { HeaderSealer, KeyFileSecretBox, type SecretBox } from './secrets';
import { type CapturedFrom, capturedDetail } from './store/captured';
import { SidecarCache } from './references/sidecar-cache';
import { type SidecarChoice, sidecarStateFor } from './references/sidecar-state';

export interface EngineOptions {
  dataDir: string;
  /** What the lock file says holds the data directory, e.g. "ferry get". */
  command?: string;
  transport?: Transport;
  clock?: Clock;
  tuning?: Partial<DownloadTuning>;
  limits?: Partial<Limits>;
  onEvent?: (event: EngineEvent) => void;
  /**
   * Hears failures that belong to no one transfer (a store that cannot record what the
   * queue did, a listener that threw, connections that could not be replaced). The engine
   * stays up and the queue goes on; the CLI prints these and `ferry serve` logs them.
   * Without it they go to stderr.
   */
  onEngineError?: (error: Error) => void;
  /** Seals header values for the store and opens them for requests; see secrets.ts. By default a key file in the data directory. */
  secrets?: SecretBox;
  /** better-sqlite3's native module built for this runtime, when it is not the default one. */
  sqliteBinding?: string;
  /** Where the engine writes what it does; default ferry.log in the data directory (log.ts). */
  logger?: Logger;
  /** Active hours and a bandwidth schedule (common/time-windows.ts); none by default. */
  timeWindows?: TimeWindows;
  /** Hears each edge of the time windows crossed (the queue held or let go, the limit changed). */
  onTimeWindow?: (state: WindowState) => void;
}

export interface AddUpload {
  /** The local file, as an absolute path. */
  source: string;
  /** The tus endpoint (or, with put, the URL to PUT to); a user:pass@ in it is a credential. */
  url: string;
  relativePath?: string | null;
  protocol?: UploadProtocol;
  /** As the person gave them, in clear: the engine seals every value before storing it. */
  headers?: Array<[string, string]>;
}

export interface AddDownload extends SidecarChoice {
  /** A user:pass@ in it is a credential: sent as Basic auth, never kept in the URL. */
  url: string;
  dir: string;
  name?: string | null;
  checksum?: DigestReference | null;
  /** As the person gave them, in clear: the engine seals every value before storing it. */
  headers?: Array<[string, string]>;
  /**
   * When the same download completed before and its file still verifies: 'reuse' answers
   * with that record instead of a second copy (the CLI's rerun); 'download' (the default,
   * and `ferry get --force`) downloads it again.
   */
  ifDone?: 'reuse' | 'download';
  /** Other links to the same file (a Metalink's mirrors), without user information. */
  mirrors?: string[];
  /** A Metalink's piece hashes. */
  pieces?: TransferRecord['pieces'];
  /** Handed over by the browser: recorded as a 'captured' history entry (store/captured.ts). */
  captured?: CapturedFrom | null;
}

/** The task that runs a record: the one place that knows the task classes. */
function createTask(record: TransferRecord, ctx: EngineContext): ScheduledTask {
  if (record.direction === 'upload') return new UploadTask(ctx, record);
  // A download of a known size beyond what is hashed in place, with a partial to read back
  // or beside a stream that hashes in place already, hashes on the threads: they start while
  // it connects. Others may never need them; they start with the first body that does (hash-pool.ts).
  if (record.total !== null && record.total > INLINE_HASH_MAX_BYTES && (record.offset > 0 || !ctx.hashPool.takesStreamInline())) ctx.hashPool.warm();
  return new DownloadTask(ctx, record);
}

/** What an add returns: the record, and whether it was an unfinished one found again. */
export interface Added {
  record: TransferRecord;
  existing: boolean;
  /** The same download completed before and its file still proves to be the bytes it verified. */
  alreadyDone?: true;
}

/**
 * The transfer engine: plain Node, handed its data directory, transport and clock, so the
 * same engine runs in the app, the CLI and tests. One per data directory at a time.
 */
export class Engine {
  readonly store: TransferStore;
  /** What a person set in the window; the CLI leaves it alone. */
  readonly settings: SettingsStore;
  /** The engine's log: redacts secrets itself, so any record is safe to write. */
  readonly log: Logger;
  /** What each host allows, remembered across runs (polite hosts, host-politeness.ts). */
  readonly hosts: HostPoliteness;
  /** Active hours and the bandwidth schedule (time-windows.ts). */
  readonly windows: WindowKeeper;
  private readonly ownsLog: boolean;
  private readonly context: EngineContext;
  private readonly scheduler: Scheduler;
  /** onEngineError, made safe to call from anywhere: it never throws. */
  private readonly reportError: (error: Error) => void;
  /** Seals what add* stores; the same box opens it for the requests. */
  private readonly secrets: SecretBox;
  private closing: Promise<void> | null = null;

  private constructor(
    db: Database.Database,
    /**
     * Set when the store was damaged at open: the one line to tell a person, and where the
     * damaged file was kept. After a fresh store, unfinished downloads' .ferrypart files
     * are known only by what is on disk: no record claims them.
     */
    readonly storeDamage: StoreDamage | null,
    options: EngineOptions,
  ) {
    this.ownsLog = options.logger === undefined;
    this.log = options.logger ?? new FileLogger(options.dataDir, { level: logLevelFromEnv() });
    this.store = new TransferStore(db, (error) => this.log.error('the store refused a batch of writes that may wait (kept, written with the next write)', { error }));
    this.settings = new SettingsStore(db);
    this.secrets = options.secrets ?? new KeyFileSecretBox(options.dataDir);
    const clock = options.clock ?? systemClock;
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.hosts = new HostPoliteness(new HostLimitStore(db), clock);
    const requests = new RequestLimiter(limits.maxPerHost, this.hosts);
    const transport = new CountedTransport(options.transport ?? new UndiciTransport(), requests);
    const tuning = { ...DEFAULT_TUNING, ...options.tuning };
    const onEngineError = options.onEngineError ?? ((error: Error) => void process.stderr.write(`ferry engine: ${error.message}\n`));
    this.reportError = (error) => {
      try {
        onEngineError(error);
      } catch {
        // A host whose error hook throws has nowhere left to hear it.
      }
    };
    this.context = {
      store: this.store,
      transport,
      hashPool: new HashPool(2),
      bandwidth: new BandwidthLimiter(clock),
      requests,
      limits: () => this.scheduler.currentLimits,
      tusServers: new Map(),
      sidecars: new SidecarCache(transport, clock, tuning),
      clock,
      tuning,
      secrets: this.secrets,
      log: this.log,
      emit: (event) => {
        logEngineEvent(this.log, event);
        // A listener's bug is the host's to hear about (and the log's), never a transfer's failure.
        try {
          options.onEvent?.(event);
        } catch (error) {
          this.log.error('an engine event listener failed', { event: event.type, id: event.id, error });
          this.reportError(new EngineError(`a listener failed on the engine's "${event.type}" event: ${describeError(error)}`, { cause: error }));
        }
      },
    };
    this.scheduler = new Scheduler(this.context, { requests, limits, createTask, onEngineError: this.reportError });
    this.windows = new WindowKeeper(clock, { scheduler: this.scheduler, bandwidth: this.context.bandwidth }, options.onTimeWindow, this.reportError);
    if (options.timeWindows) this.windows.set(options.timeWindows);
  }

  /** The damaged store kept aside at open, if any (see storeDamage). */
  get movedAsideStore(): string | null {
    return this.storeDamage?.keptAs ?? null;
  }

  /**
   * Opens the data directory; throws DataDirLockedError when another engine holds it, and
   * StoreTooNewError for a store a newer Ferry wrote (left untouched).
   */
  static open(options: EngineOptions): Engine {
    const { db, damage } = openDatabase(options.dataDir, options.command ?? 'ferry', options.sqliteBinding);
    const engine = new Engine(db, damage, options);
    engine.log.info('engine started', { command: options.command ?? 'ferry', dataDir: options.dataDir, pid: process.pid, node: process.version });
    if (damage) engine.log.warn('store damaged', { file: damage.file, keptAs: damage.keptAs, reason: damage.reason, freshStore: damage.freshStore });
    engine.recoverInterrupted();
    return engine;
  }

  /**
   * Adds downloads, or finds the unfinished ones with the same URL, folder and name so a
   * repeated request continues them instead of starting duplicates. They do not start.
   *
   * Every front door (the CLI, the service) adds through here, so secrets are handled in one
   * place: a URL's user:pass@ becomes an `Authorization: Basic` header (a header given
   * explicitly wins, as with curl) and leaves the URL that is stored, shown and compared;
   * every header value is sealed before anything is written (add-inputs.ts). Then one
   * transaction per group of ADD_GROUP. `onGroup` hears each group once written, before the
   * next is added (a CLI starts its new transfers there: inGroups); `signal` ends the add
   * with the groups written so far (a CLI's Ctrl-C).
   */
  async addDownloads(inputs: AddDownload[], { onGroup, signal }: GroupOptions<Added> = {}): Promise<Added[]> {
    const sealer = new HeaderSealer(this.secrets);
    const same = new SameInOneAdd((id) => this.store.get(id), onGroup !== undefined);
    const add = async (group: AddDownload[]): Promise<Added[]> => {
      const ready = await Promise.all(group.map(async (input) => ({ ...input, ...(await cleaned(input, sealer)) })));
      const done = await unlessAborted(Promise.all(ready.map((input) => (input.ifDone === 'reuse' ? stillDone(this.context, input) : null))), signal);
      if (!done) return []; // stopped while proving finished files: this group is not added
      return this.store.transaction(() =>
        ready.map((input, i): Added => same.once(`${input.url}\0${input.dir}\0${input.name ?? ''}`, () => (done[i] ? { record: done[i], existing: true, alreadyDone: true } : this.insertDownload(input)))),
      );
    };
    return inGroups(inputs, add, { onGroup, signal, stop: () => this.closing !== null });
  }

  /** addDownloads for uploads: same source and target found again continue the unfinished upload. */
  async addUploads(inputs: AddUpload[], { onGroup, signal }: GroupOptions<Added> = {}): Promise<Added[]> {
    const sealer = new HeaderSealer(this.secrets);
    const same = new SameInOneAdd((id) => this.store.get(id), onGroup !== undefined);
    const add = async (group: AddUpload[]): Promise<Added[]> => {
      const ready = await Promise.all(group.map(async (input) => ({ ...input, ...(await cleaned(input, sealer)) })));
      return this.store.transaction(() => ready.map((input) => same.once(`${input.source}\0${input.url}`, () => this.insertUpload(input))));
    };
    return inGroups(inputs, add, { onGroup, signal, stop: () => this.closing !== null });
  }

  /**
   * A download that carries no secret (no headers, no user:pass@), added at once: what
   * tests and benchmarks add by the thousand. Anything with a secret goes through
   * addDownloads, which seals it; this refuses it rather than store it in clear.
   */
  addDownload(input: Omit<AddDownload, 'headers'>): Added {
    return this.insertDownload({ ...withoutSecrets(input), headers: [] });
  }

  /** addDownload for uploads: no secrets, added at once. */
  addUpload(input: Omit<AddUpload, 'headers'>): Added {
    return this.insertUpload({ ...withoutSecrets(input), headers: [] });
  }

  private insertDownload(input: AddDownload & Cleaned): Added {
    const added = this.insertOrFindDownload(input);
    if (input.captured) this.store.addHistory(added.record.id, 'captured', capturedDetail(input.captured), this.context.clock.now());
    return added;
  }

  private insertOrFindDownload(input: AddDownload & Cleaned): Added {
    const name = input.name ?? null;
    const found = this.store.findUnfinishedDownload(input.url, input.dir, name);
    if (found) {
      // A checksum, checksum file or headers given now (or again) are the ones from here on.
      const sidecar = sidecarStateFor(found.sidecar, input);
      const changes = { ...(input.checksum ? { userChecksum: input.checksum } : {}), ...(input.headers.length > 0 ? { headers: input.headers } : {}), ...(sidecar !== found.sidecar ? { sidecar } : {}) };
      if (Object.keys(changes).length > 0) this.store.update(found.id, changes, this.context.clock.now());
      return { record: this.store.get(found.id)!, existing: true };
    }
    const record = this.store.createDownload(
      { url: input.url, dir: input.dir, requestedName: name, headers: input.headers, userChecksum: input.checksum ?? null, blockSize: this.context.tuning.blockSize, mirrors: input.mirrors?.map(withoutUserinfo), pieces: input.pieces ?? null, sidecar: sidecarStateFor(null, input) },
      this.context.clock.now(),
    );
    return { record, existing: false };
  }

  private insertUpload(input: AddUpload & Cleaned): Added {
    const found = this.store.findUnfinishedUpload(input.source, input.url);
    if (found) {
      if (input.headers.length === 0) return { record: found, existing: true };
      this.store.update(found.id, { headers: input.headers }, this.context.clock.now());
      return { record: this.store.get(found.id)!, existing: true };
    }
    const record = this.store.createUpload(
      {
        url: input.url,
        source: input.source,
        dir: path.dirname(input.source),
        name: path.basename(input.source),
        relativePath: input.relativePath ?? null,
        protocol: input.protocol ?? 'tus',
        headers: input.headers,
        blockSize: this.context.tuning.blockSize,
      },
      this.context.clock.now(),
    );
    return { record, existing: false };
  }

  /** Queues transfers (resuming paused ones, retrying failed or canceled ones). */
  start(ids: string[]): void {
    this.scheduler.start(ids);
  }

  /**
   * Queues one transfer and resolves with its record once it settles, or with its last
   * checkpoint when the engine closes first; rejects (never throws, never hangs) when the
   * engine has closed or the store cannot be read.
   */
  async run(id: string): Promise<TransferRecord> {
    this.scheduler.start([id]);
    return this.scheduler.settled(id);
  }

  /** Queues transfers and resolves with every record, in the order given, once all settle (as run does). */
  async runAll(ids: string[]): Promise<TransferRecord[]> {
    this.scheduler.start(ids);
    return Promise.all(ids.map((id) => this.scheduler.settled(id)));
  }

  settled(id: string): Promise<TransferRecord> {
    return this.scheduler.settled(id);
  }

  /** settled() for many, without a promise each (Scheduler.settledEach). */
  settledEach(ids: readonly string[], each: (index: number, record: TransferRecord) => void): Promise<void> {
    return this.scheduler.settledEach(ids, each);
  }

  /** A new link for an unfinished download, taken only when it proves to serve the same bytes (relink-download.ts). */
  relink(id: string, url: string): Promise<RelinkResult> {
    const deps = { ctx: this.context, pause: (ids: string[]) => this.pause(ids), start: (ids: string[]) => this.start(ids), isActive: (x: string) => this.activeProgress().some((p) => p.id === x) };
    return relinkDownload(deps, id, url);
  }

  /** Stops transfers with a checkpoint; they stay paused until started again. */
  pause(ids: string[]): Promise<void> {
    return this.scheduler.pause(ids);
  }

  /** Pauses every unfinished transfer (queued and active). */
  pauseAll(): Promise<void> {
    return this.scheduler.pause(this.store.unfinished().map((r) => r.id));
  }

  /** Queues every paused transfer again. */
  resumeAll(): void {
    this.scheduler.start(this.store.unfinished().filter((r) => r.state === 'paused').map((r) => r.id));
  }

  cancel(ids: string[]): Promise<void> {
    return this.scheduler.cancel(ids);
  }

  remove(ids: string[], options: { deleteFiles: boolean }): Promise<void> {
    return this.scheduler.remove(ids, options);
  }

  /**
   * Forgets the transfers that ended in one of `states`, never their files; returns their
   * ids. Failed downloads go through `remove`, which discards their partials (nothing could
   * resume them once forgotten). Completed and canceled ones hold no partial, so thousands
   * go in one transaction.
   */
  async clearFinished(states: readonly FinishedState[]): Promise<string[]> {
    const found = this.store.finished(states);
    const failed = found.filter((f) => f.state === 'failed').map((f) => f.id);
    const ended = found.filter((f) => f.state !== 'failed').map((f) => f.id);
    this.store.removeMany(ended);
    for (const id of ended) this.context.emit({ type: 'removed', id });
    if (failed.length > 0) await this.scheduler.remove(failed, { deleteFiles: false });
    return found.map((f) => f.id);
  }

  move(id: string, placement: Placement): void {
    this.scheduler.move(id, placement);
  }

  setPriority(id: string, priority: number): void {
    this.scheduler.setPriority(id, priority);
  }

  get limits(): Limits {
    return this.scheduler.currentLimits;
  }

  setLimits(changes: Partial<Limits>): void {
    this.scheduler.setLimits(changes);
    this.windows.apply(); // a scheduled rate stays in force over the new base
  }

  /** Active hours and a bandwidth schedule, in force at once; `windows.state` says where they stand. */
  setTimeWindows(windows: TimeWindows): void {
    this.windows.set(windows);
  }

  /** Applies to requests from now on (each request arms its watchdog with the current value). */
  setStallTimeout(ms: number): void {
    this.context.tuning.stallTimeoutMs = ms;
  }

  get stallTimeoutMs(): number {
    return this.context.tuning.stallTimeoutMs;
  }

  /** Whether downloads search their origin for checksum files (a download's own --no-sidecar still counts). */
  setSidecarLookup(on: boolean): void {
    this.context.sidecars.searching = on;
  }

  /** Sleep and network hooks; the desktop shell wires them to powerMonitor and the OS. */
  suspend(): Promise<void> {
    return this.scheduler.suspend();
  }

  wake(): Promise<void> {
    return this.scheduler.wake();
  }

  offline(): Promise<void> {
    return this.scheduler.goOffline();
  }

  online(): Promise<void> {
    return this.scheduler.goOnline();
  }

  progress(id: string): { bytes: number; total: number | null } | null {
    return this.scheduler.progress(id);
  }

  /** Bytes held by every transfer moving now. */
  activeProgress(): Array<{ id: string; bytes: number; total: number | null }> {
    return this.scheduler.activeProgress();
  }

  list(): TransferRecord[] {
    return this.store.list();
  }

  unfinished(): TransferRecord[] {
    return this.store.unfinished();
  }

  /** Stops everything with checkpoints, then releases the data directory. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.windows.close();
      const steps: Array<[string, () => unknown]> = [
        ['stopping the queue', () => this.scheduler.close()],
        ['stopping the bandwidth limit', () => this.context.bandwidth.close()],
        ['stopping the hashing threads', () => this.context.hashPool.close()],
        ['stopping checksum file lookups', () => this.context.sidecars.close()],
        ['closing connections', () => this.context.transport.close()],
      ];
      // Each step is tried whatever the one before did, so the store is always closed and
      // the data directory released.
      for (const [what, step] of steps) {
        try {
          await step();
        } catch (error) {
          this.reportError(new EngineError(`${what} failed while closing: ${describeError(error)}`, { cause: error }));
        }
      }
      this.store.close(); // writes what waits in its batch first
      this.log.info('engine stopped');
      // A logger handed in belongs to the host, which may log on after the engine is gone.
      if (this.ownsLog) this.log.close();
      else this.log.flush();
    })();
    return this.closing;
  }

  /** A transfer left `active` by a crash goes back to the queue, its checkpoint intact. */
  private recoverInterrupted(): void {
    for (const record of this.store.unfinished()) {
      if (record.state === 'active') this.store.setState(record.id, 'queued', this.context.clock.now());
    }
  }
}

/** FERRY_LOG_LEVEL=debug (or error, warn, info) for a more or less talkative ferry.log. */
function logLevelFromEnv(): 'error' | 'warn' | 'info' | 'debug' {
  const level = process.env.FERRY_LOG_LEVEL;
  return isLogLevel(level) ? level : 'info';
}
