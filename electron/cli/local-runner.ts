/**
 * The CLI's own engine on the data directory: what `ferry get` and the rest do when no other
 * Ferry holds it. Ctrl-C and SIGTERM save progress before the exit.
 */
import { parseChecksumArgument } from '../common/integrity';
import type { TimeWindows } from '../common/time-windows';
import { describeWindowState } from './window-note';
import { type Added, Engine, type EngineEvent, type Limits, KeyFileSecretBox, summarize, uploadTarget } from '../engine';
import { UsageError } from './args';
import { type Output, type TransferView } from './output';
import { type AddedView, type DownloadRequest, type Runner, type UploadRequest, onStopSignals } from './runner';
import { ResultCollector } from './result-collector';

export interface EngineSettings {
  stallSeconds?: number;
  limits?: Partial<Limits>;
  /** --active-hours and --limit-rate-schedule (window-args.ts). */
  timeWindows?: TimeWindows;
}

const UNUSABLE_DATA_DIR = ['ENOENT', 'EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'SQLITE_CANTOPEN', 'SQLITE_READONLY'];

/** Opens an engine on `dataDir`; a DataDirLockedError passes through for the caller to knock on the door. */
export function openLocalEngine(dataDir: string, command: string, output: Output, settings: EngineSettings = {}): Engine {
  try {
    const engine = Engine.open({
      dataDir,
      command,
      // Header values are sealed with the data directory's key file, as under ferry serve.
      secrets: new KeyFileSecretBox(dataDir),
      tuning: settings.stallSeconds ? { stallTimeoutMs: settings.stallSeconds * 1000 } : {},
      limits: settings.limits ?? {},
      onEvent: (event: EngineEvent) => output.event(event),
      onEngineError: (error) => output.note(`ferry: engine error: ${error.message}`),
      timeWindows: settings.timeWindows,
      onTimeWindow: (state) => output.note(describeWindowState(state, true)),
    });
    if (engine.storeDamage) output.note(engine.storeDamage.message);
    if (settings.timeWindows && !engine.windows.state.active) output.note(describeWindowState(engine.windows.state, false));
    return engine;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code && UNUSABLE_DATA_DIR.includes(code)) {
      throw new UsageError(`cannot use the data directory ${dataDir} (${code}); pass another --data-dir or set FERRY_DATA_DIR`);
    }
    throw error;
  }
}

export class LocalRunner implements Runner {
  readonly handedOver = false;

  /** New transfers started as their group of adds was written (startAdded): run() leaves them be. */
  private readonly started = new Set<string>();
  private interrupted: number | null = null;
  /** Aborted by a Ctrl-C while the command adds: no further group is added (Engine.addDownloads). */
  private readonly adding = new AbortController();
  /** run() listens for the transfers' ends. */
  private running = false;
  private offSignals: (() => void) | null = null;

  constructor(
    private readonly engine: Engine,
    private readonly output: Output,
  ) {}

  /**
   * New transfers start as soon as their group of adds is written (Engine.addDownloads), so
   * the first requests go out while thousands more are added (issue 13). Ctrl-C stops them
   * from then on as it does in run(). Only new ones: a transfer found again starts in run(),
   * once the command has said it continues.
   */
  private readonly startAdded = (added: Added[]): void => {
    const ids = added.filter((a) => !a.existing).map((a) => a.record.id);
    if (ids.length === 0 || this.interrupted !== null) return;
    this.listenForStop();
    for (const id of ids) this.started.add(id);
    this.engine.start(ids);
  };

  /**
   * Ctrl-C or SIGTERM closes the engine with checkpoints and run() says what stopped. While
   * the command is still adding: no further group is added (a group still proving finished
   * files is dropped), what runs stops at once with its checkpoint and nothing more starts
   * (the queue suspended), and run() closes the engine once it listens for all of it, so
   * that each transfer added still has its line. The same command adds the rest and
   * continues the others. Safe to call twice.
   */
  private listenForStop(): void {
    this.offSignals ??= onStopSignals((code) => {
      if (this.interrupted !== null) return;
      this.interrupted = code;
      if (this.running) {
        this.output.note('Stopping: saving progress so "ferry resume" or the same command continues...');
        void this.engine.close();
      } else {
        this.output.note('Stopping while the list is still being added: saving progress; the same command adds the rest and continues ("ferry resume" continues what was added)...');
        this.adding.abort();
        void this.engine.suspend();
      }
    });
  }

  async addDownloads(request: DownloadRequest): Promise<AddedView[]> {
    const parsed = request.checksum === null ? null : parseChecksumArgument(request.checksum);
    if (typeof parsed === 'string') throw new UsageError(parsed);
    const checksum = parsed && request.checksumSource === 'metalink' ? { ...parsed, source: 'metalink' as const } : parsed;
    const added = await this.engine.addDownloads(
      request.urls.map((url) => ({
        url,
        dir: request.dir,
        name: request.name,
        checksum,
        headers: request.headers,
        ifDone: request.ifDone,
        mirrors: request.mirrors,
        pieces: request.pieces ?? null,
        checksumFile: request.checksumFile,
        sidecar: request.sidecar,
      })),
      { onGroup: this.startAdded, signal: this.adding.signal },
    );
    return added.map(({ record, existing, alreadyDone }) => ({ view: summarize(record, null), existing, alreadyDone: alreadyDone === true }));
  }

  async addUploads(request: UploadRequest): Promise<AddedView[]> {
    const added = await this.engine.addUploads(
      request.files.map((f) => ({ source: f.path, url: uploadTarget(request.to, request.protocol, f.relativePath), relativePath: f.relativePath, protocol: request.protocol, headers: request.headers })),
      { onGroup: this.startAdded, signal: this.adding.signal },
    );
    return added.map(({ record, existing }) => ({ view: summarize(record, null), existing, alreadyDone: false }));
  }

  async unfinished(): Promise<TransferView[]> {
    return this.engine.unfinished().map((r) => summarize(r, null));
  }

  async relink(id: string, url: string): Promise<{ how: string; droppedHeaders: boolean }> {
    const result = await this.engine.relink(id, url);
    if (!result.ok) throw new UsageError(result.code === 'not-found' ? `${result.reason}; ferry list shows the ids` : `the new link was not taken: ${result.reason}. The old link and the bytes held are kept.`);
    return { how: result.how, droppedHeaders: result.droppedHeaders };
  }

  async list(): Promise<TransferView[]> {
    return this.engine.list().map((r) => summarize(r, null));
  }

  async run(ids: string[]): Promise<number> {
    const { engine, output } = this;
    this.listenForStop();
    this.running = true;
    output.watch(ids.length, () => engine.activeProgress());
    try {
      // Each record becomes what is printed for it as it settles (result-collector.ts).
      const results = new ResultCollector(output, ids.length);
      if (this.interrupted === null) engine.start(this.started.size === 0 ? ids : ids.filter((id) => !this.started.has(id)));
      this.started.clear();
      const settled = engine.settledEach(ids, (i, record) => results.add(i, summarize(record, null)));
      // Stopped while adding: what started stops now (listenForStop).
      if (this.interrupted !== null) void engine.close();
      await settled;
      if (this.interrupted !== null) {
        results.printStopped();
        return this.interrupted;
      }
      results.printResults();
      return results.exitCode();
    } finally {
      output.unwatch();
      this.offSignals?.();
      this.offSignals = null;
      this.running = false;
    }
  }

  close(): Promise<void> {
    return this.engine.close();
  }
}
