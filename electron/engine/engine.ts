import type Database from 'better-sqlite3';
import type { DigestReference } from '../common/integrity';
import type { TransferRecord } from '../common/transfer';
import { type Clock, DEFAULT_TUNING, type DownloadTuning, type EngineContext, type EngineEvent, systemClock } from './context';
import { DownloadTask } from './download/download-task';
import { HashPool } from './hash/hash-pool';
import type { Transport } from './http/transport';
import { UndiciTransport } from './http/undici-transport';
import { openDatabase } from './store/database';
import { TransferStore } from './store/transfers';

export interface EngineOptions {
  dataDir: string;
  /** What the lock file says holds the data directory, e.g. "ferry get". */
  command?: string;
  transport?: Transport;
  clock?: Clock;
  tuning?: Partial<DownloadTuning>;
  onEvent?: (event: EngineEvent) => void;
}

export interface AddDownload {
  url: string;
  dir: string;
  name?: string | null;
  checksum?: DigestReference | null;
  headers?: Array<[string, string]>;
}

/**
 * The transfer engine: plain Node, handed its data directory, transport and clock, so the
 * same engine runs in the app, the CLI and tests. One per data directory at a time.
 */
export class Engine {
  readonly store: TransferStore;
  private readonly context: EngineContext;
  private readonly running = new Map<string, { task: DownloadTask; controller: AbortController; done: Promise<TransferRecord> }>();
  private closed = false;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly db: Database.Database,
    readonly movedAsideStore: string | null,
    options: EngineOptions,
  ) {
    this.store = new TransferStore(db);
    this.context = {
      store: this.store,
      transport: options.transport ?? new UndiciTransport(),
      hashPool: new HashPool(2),
      clock: options.clock ?? systemClock,
      tuning: { ...DEFAULT_TUNING, ...options.tuning },
      emit: (event) => options.onEvent?.(event),
    };
  }

  /** Opens the data directory; throws DataDirLockedError when another engine holds it. */
  static open(options: EngineOptions): Engine {
    const { db, movedAside } = openDatabase(options.dataDir, options.command ?? 'ferry');
    const engine = new Engine(db, movedAside, options);
    engine.recoverInterrupted();
    return engine;
  }

  /**
   * Adds a download, or finds the unfinished one with the same URL, folder and name so a
   * repeated request continues it instead of starting a duplicate.
   */
  addDownload(input: AddDownload): { record: TransferRecord; existing: boolean } {
    const name = input.name ?? null;
    const found = this.store.findUnfinishedDownload(input.url, input.dir, name);
    if (found) {
      // A checksum given now (or again) is the reference from here on.
      if (input.checksum) this.store.update(found.id, { userChecksum: input.checksum }, this.context.clock.now());
      return { record: this.store.get(found.id)!, existing: true };
    }
    const record = this.store.createDownload(
      { url: input.url, dir: input.dir, requestedName: name, headers: input.headers ?? [], userChecksum: input.checksum ?? null, blockSize: this.context.tuning.blockSize },
      this.context.clock.now(),
    );
    return { record, existing: false };
  }

  /** Runs a download to its end (or until paused); the promise carries its final record. */
  run(id: string): Promise<TransferRecord> {
    const active = this.running.get(id);
    if (active) return active.done;
    const record = this.store.get(id);
    if (!record) return Promise.reject(new Error(`no transfer ${id}`));
    if (record.state === 'completed' || record.state === 'canceled') return Promise.resolve(record);
    const task = new DownloadTask(this.context, record);
    const controller = new AbortController();
    const done = task.run(controller.signal).finally(() => this.running.delete(id));
    this.running.set(id, { task, controller, done });
    return done;
  }

  /**
   * Runs downloads with Ferry's own limits: at most `maxActive` at once and at most
   * `maxPerHost` per host, counted here rather than left to an HTTP agent (DESIGN.md
   * section 5). Resolves with every final record, in the order given.
   */
  async runAll(ids: string[], limits: { maxActive: number; maxPerHost: number }): Promise<TransferRecord[]> {
    const results = new Map<string, TransferRecord>();
    const waiting = [...ids];
    const perHost = new Map<string, number>();
    const hostOf = (id: string): string => {
      const r = this.store.get(id);
      try {
        return new URL(r?.effectiveUrl ?? r?.url ?? '').host;
      } catch {
        return '';
      }
    };
    await new Promise<void>((resolve) => {
      let active = 0;
      const pump = (): void => {
        if (this.closed && active === 0) return resolve();
        for (let i = 0; i < waiting.length && active < limits.maxActive && !this.closed; ) {
          const id = waiting[i]!;
          const host = hostOf(id);
          if ((perHost.get(host) ?? 0) >= limits.maxPerHost) {
            i++;
            continue;
          }
          waiting.splice(i, 1);
          active++;
          perHost.set(host, (perHost.get(host) ?? 0) + 1);
          void this.run(id)
            .then((record) => results.set(id, record), () => results.set(id, this.store.get(id)!))
            .finally(() => {
              active--;
              perHost.set(host, (perHost.get(host) ?? 1) - 1);
              pump();
            });
        }
        if (active === 0 && (waiting.length === 0 || this.closed)) resolve();
      };
      pump();
    });
    return ids.map((id) => results.get(id) ?? this.store.get(id)!);
  }

  /** Stops a running download with a checkpoint; its state becomes paused. */
  async pause(id: string): Promise<void> {
    const active = this.running.get(id);
    if (!active) return;
    active.controller.abort(new Error('paused'));
    await active.done.catch(() => undefined);
  }

  progress(id: string): { bytes: number; total: number | null } | null {
    const active = this.running.get(id);
    if (active) return active.task.progress();
    const record = this.store.get(id);
    return record ? { bytes: record.offset, total: record.total } : null;
  }

  list(): TransferRecord[] {
    return this.store.list();
  }

  unfinished(): TransferRecord[] {
    return this.store.unfinished();
  }

  /** Pauses everything with checkpoints, then releases the data directory. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      await Promise.all([...this.running.keys()].map((id) => this.pause(id)));
      await this.context.hashPool.close();
      await this.context.transport.close();
      this.db.close();
    })();
    return this.closing;
  }

  /** A transfer left `active` by a crash is paused: nothing runs until asked. */
  private recoverInterrupted(): void {
    for (const record of this.store.unfinished()) {
      if (record.state === 'active') this.store.setState(record.id, 'paused', this.context.clock.now());
    }
  }
}
