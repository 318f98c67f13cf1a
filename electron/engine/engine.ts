import type Database from 'better-sqlite3';
import type { DigestReference } from '../common/integrity';
import * as path from 'node:path';
import type { TransferRecord, UploadProtocol } from '../common/transfer';
import { type Clock, DEFAULT_TUNING, type DownloadTuning, type EngineContext, type EngineEvent, systemClock } from './context';
import { HashPool } from './hash/hash-pool';
import type { Transport } from './http/transport';
import { CountedTransport } from './http/counted-transport';
import { UndiciTransport } from './http/undici-transport';
import { BandwidthLimiter } from './scheduler/bandwidth';
import { RequestLimiter } from './scheduler/request-limiter';
import { DEFAULT_LIMITS, type Limits, type Placement, Scheduler } from './scheduler/scheduler';
import { openDatabase } from './store/database';
import { TransferStore } from './store/transfers';
import { SettingsStore } from './store/settings';
import { splitCredentials } from './http/url-credentials';
import { HeaderSealer, KeyFileSecretBox, type SecretBox } from './secrets';

export interface EngineOptions {
  dataDir: string;
  /** What the lock file says holds the data directory, e.g. "ferry get". */
  command?: string;
  transport?: Transport;
  clock?: Clock;
  tuning?: Partial<DownloadTuning>;
  limits?: Partial<Limits>;
  onEvent?: (event: EngineEvent) => void;
  /** Seals header values for the store and opens them for requests; see secrets.ts. By default a key file in the data directory. */
  secrets?: SecretBox;
  /** better-sqlite3's native module built for this runtime, when it is not the default one. */
  sqliteBinding?: string;
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

export interface AddDownload {
  /** A user:pass@ in it is a credential: sent as Basic auth, never kept in the URL. */
  url: string;
  dir: string;
  name?: string | null;
  checksum?: DigestReference | null;
  /** As the person gave them, in clear: the engine seals every value before storing it. */
  headers?: Array<[string, string]>;
}

/** What an add returns: the record, and whether it was an unfinished one found again. */
export interface Added {
  record: TransferRecord;
  existing: boolean;
}

/** A URL without user information and header values sealed: what the store may hold. */
interface Cleaned {
  url: string;
  headers: Array<[string, string]>;
}

/**
 * The transfer engine: plain Node, handed its data directory, transport and clock, so the
 * same engine runs in the app, the CLI and tests. One per data directory at a time.
 */
export class Engine {
  readonly store: TransferStore;
  /** What a person set in the window; the CLI leaves it alone. */
  readonly settings: SettingsStore;
  private readonly context: EngineContext;
  private readonly scheduler: Scheduler;
  /** Seals what add* stores; the same box opens it for the requests. */
  private readonly secrets: SecretBox;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly db: Database.Database,
    readonly movedAsideStore: string | null,
    options: EngineOptions,
  ) {
    this.store = new TransferStore(db);
    this.settings = new SettingsStore(db);
    this.secrets = options.secrets ?? new KeyFileSecretBox(options.dataDir);
    const clock = options.clock ?? systemClock;
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    const requests = new RequestLimiter(limits.maxPerHost);
    this.context = {
      store: this.store,
      transport: new CountedTransport(options.transport ?? new UndiciTransport(), requests),
      hashPool: new HashPool(2),
      bandwidth: new BandwidthLimiter(clock),
      requests,
      limits: () => this.scheduler.currentLimits,
      tusServers: new Map(),
      clock,
      tuning: { ...DEFAULT_TUNING, ...options.tuning },
      secrets: this.secrets,
      emit: (event) => options.onEvent?.(event),
    };
    this.scheduler = new Scheduler(this.context, requests, limits);
  }

  /** Opens the data directory; throws DataDirLockedError when another engine holds it. */
  static open(options: EngineOptions): Engine {
    const { db, movedAside } = openDatabase(options.dataDir, options.command ?? 'ferry', options.sqliteBinding);
    const engine = new Engine(db, movedAside, options);
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
   * every header value is sealed before anything is written. Then one transaction for all.
   */
  async addDownloads(inputs: AddDownload[]): Promise<Added[]> {
    const sealer = new HeaderSealer(this.secrets);
    const ready = await Promise.all(inputs.map(async (input) => ({ ...input, ...(await this.clean(input, sealer)) })));
    return this.store.transaction(() => ready.map((input) => this.insertDownload(input)));
  }

  /** addDownloads for uploads: same source and target found again continue the unfinished upload. */
  async addUploads(inputs: AddUpload[]): Promise<Added[]> {
    const sealer = new HeaderSealer(this.secrets);
    const ready = await Promise.all(inputs.map(async (input) => ({ ...input, ...(await this.clean(input, sealer)) })));
    return this.store.transaction(() => ready.map((input) => this.insertUpload(input)));
  }

  /**
   * A download that carries no secret (no headers, no user:pass@), added at once: what
   * tests and benchmarks add by the thousand. Anything with a secret goes through
   * addDownloads, which seals it; this refuses it rather than store it in clear.
   */
  addDownload(input: Omit<AddDownload, 'headers'>): Added {
    return this.insertDownload({ ...this.withoutSecrets(input), headers: [] });
  }

  /** addDownload for uploads: no secrets, added at once. */
  addUpload(input: Omit<AddUpload, 'headers'>): Added {
    return this.insertUpload({ ...this.withoutSecrets(input), headers: [] });
  }

  private async clean(input: { url: string; headers?: Array<[string, string]> }, sealer: HeaderSealer): Promise<Cleaned> {
    const { url, authorization } = splitCredentials(input.url);
    const given = input.headers ?? [];
    const explicit = given.some(([name]) => name.toLowerCase() === 'authorization');
    const headers: Array<[string, string]> = authorization && !explicit ? [...given, ['Authorization', authorization]] : given;
    return { url, headers: await sealer.seal(headers) };
  }

  private withoutSecrets<T extends { url: string; headers?: unknown }>(input: T): T {
    if ('headers' in input && Array.isArray(input.headers) && input.headers.length > 0) {
      throw new Error('headers are secrets: add this transfer with addDownloads / addUploads, which seal them');
    }
    if (splitCredentials(input.url).authorization !== null) {
      throw new Error('a URL with user information carries a credential: add it with addDownloads / addUploads, which seal it');
    }
    return input;
  }

  private insertDownload(input: AddDownload & Cleaned): Added {
    const name = input.name ?? null;
    const found = this.store.findUnfinishedDownload(input.url, input.dir, name);
    if (found) {
      // A checksum or headers given now (or again) are the ones from here on.
      const changes = { ...(input.checksum ? { userChecksum: input.checksum } : {}), ...(input.headers.length > 0 ? { headers: input.headers } : {}) };
      if (Object.keys(changes).length > 0) this.store.update(found.id, changes, this.context.clock.now());
      return { record: this.store.get(found.id)!, existing: true };
    }
    const record = this.store.createDownload(
      { url: input.url, dir: input.dir, requestedName: name, headers: input.headers, userChecksum: input.checksum ?? null, blockSize: this.context.tuning.blockSize },
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

  /** Queues one transfer and resolves with its record once it settles. */
  run(id: string): Promise<TransferRecord> {
    this.scheduler.start([id]);
    return this.scheduler.settled(id);
  }

  /** Queues transfers and resolves with every record, in the order given, once all settle. */
  runAll(ids: string[]): Promise<TransferRecord[]> {
    this.scheduler.start(ids);
    return Promise.all(ids.map((id) => this.scheduler.settled(id)));
  }

  settled(id: string): Promise<TransferRecord> {
    return this.scheduler.settled(id);
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
  }

  /** Applies to requests from now on (each request arms its watchdog with the current value). */
  setStallTimeout(ms: number): void {
    this.context.tuning.stallTimeoutMs = ms;
  }

  get stallTimeoutMs(): number {
    return this.context.tuning.stallTimeoutMs;
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
      await this.scheduler.close();
      this.context.bandwidth.close();
      await this.context.hashPool.close();
      await this.context.transport.close();
      this.db.close();
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
