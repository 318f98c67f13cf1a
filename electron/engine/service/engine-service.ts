import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseChecksumArgument } from '../../common/integrity';
import { type Result, err, ok } from '../../common/result';
import type {
  CommandArgument,
  CommandName,
  CommandValues,
  DestinationHeader,
  HostInfo,
  Notice,
  ResumeRecord,
  ServiceError,
  ServiceEvent,
  ServiceImplementation,
  Settings,
  TransferDetails,
  UploadDestination,
} from '../../common/service';
import type { TransferError } from '../../common/errors';
import type { TransferRecord } from '../../common/transfer';
import type { Added, Engine } from '../engine';
import type { EngineEvent } from '../context';
import { ensureDir } from '../fs/ensure-dir';
import { parseHeaderArgument } from '../http/headers';
import { DEFAULT_LIMITS } from '../scheduler/scheduler';
import { SealError, type SecretBox, isSealed, unsealHeaders } from '../secrets';
import { PUT_NEEDS_FOLDER_URL, collectFiles, uploadTarget } from '../upload/collect';
import { ChangeBatcher } from './change-batcher';
import { NoticeCollector } from './notices';
import { referenceOrigin, sidecarChoice } from './references';
import { summarize } from './summary';
import { type NativeHostCommand, browserHostsOf, setBrowserHosts } from './browser-hosts';
import { hostLimitsOf, windowsProblem } from './time-and-hosts';

/** What the program hosting the engine (desktop app, `ferry serve`) provides. */
export interface ServiceHost {
  kind: HostInfo['kind'];
  version: string;
  dataDir: string;
  defaultDownloadDir: string;
  secrets: SecretBox;
  /** Shows the file in the system's file manager; null where the host cannot. */
  reveal: ((file: string) => Promise<Result<null, ServiceError>>) | null;
  /** Opens the file with its default application; null where the host cannot. */
  open: ((file: string) => Promise<Result<null, ServiceError>>) | null;
  log?: (message: string) => void;
  /** How the browser extension's native host is started on this machine; null where this host cannot register one. */
  nativeHost?: NativeHostCommand | null;
}

type Handlers = {
  [K in CommandName]: (argument: CommandArgument<K>, signal?: AbortSignal) => Promise<Result<CommandValues[K], ServiceError>> | Result<CommandValues[K], ServiceError>;
};

/** Settings as stored: secret header values sealed, never in clear. */
type StoredSettings = Settings;

const SETTINGS_KEY = 'settings';

const invalid = (field: string, message: string): Result<never, ServiceError> => err({ code: 'invalid-argument', field, message });
/** Header pairs as a person gave them, each checked as `ferry get --header` checks it. */
function checkHeaders(pairs: Array<[string, string]>, field: string): Result<Array<[string, string]>, ServiceError> {
  const headers: Array<[string, string]> = [];
  for (const [i, [k, v]] of pairs.entries()) {
    const parsed = parseHeaderArgument(`${k}: ${v}`);
    if (typeof parsed === 'string') return invalid(`${field}[${i}]`, parsed);
    headers.push(parsed);
  }
  return ok(headers);
}

const rejected = (message: string): Result<never, ServiceError> => err({ code: 'rejected', message });

/**
 * The TransferService on the engine's side: every command as the window may call it,
 * arguments already checked against their schemas (rpc.ts), answers as Results. It turns
 * engine events into coalesced change batches and notices for every connected client.
 */
export class EngineService implements ServiceImplementation {
  private readonly listeners = new Set<(event: ServiceEvent) => void>();
  private readonly batcher: ChangeBatcher;
  private readonly notices: NoticeCollector;
  private settings: StoredSettings;
  /** The setSettings call that runs now; the next one waits for it (see setSettings). */
  private settingsTurn: Promise<unknown> = Promise.resolve();
  private readonly handlers: Handlers;
  /** What happened as the engine opened (a damaged store kept aside), told to each client that connects. */
  private readonly startupNotices: Notice[];

  constructor(
    private readonly engine: Engine,
    private readonly host: ServiceHost,
    options: { batchIntervalMs?: number; noticeQuietMs?: number } = {},
  ) {
    this.batcher = new ChangeBatcher(
      { get: (id) => engine.store.get(id), list: () => engine.store.list(), activeProgress: () => engine.activeProgress() },
      () => Date.now(),
      (event) => this.emit(event),
      options.batchIntervalMs,
      (error) => {
        engine.log.error('a change batch could not be built; it goes with the next one', { error });
        this.host.log?.(`a change batch failed: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
    this.notices = new NoticeCollector((notice) => this.emit({ type: 'notice', notice }), options.noticeQuietMs);
    this.settings = this.loadSettings();
    this.applyLimits();
    const damage = engine.storeDamage;
    this.startupNotices = damage ? [{ level: 'error', title: damage.freshStore ? 'Ferry started a new store' : "Ferry's store lost its last changes", body: damage.message, ids: [] }] : [];
    this.handlers = {
      snapshot: () => this.snapshot(),
      addDownloads: (a) => this.addDownloads(a),
      addUploads: (a, signal) => this.addUploads(a, signal),
      pause: async ({ ids }) => this.withKnown(ids, () => this.engine.pause(ids)),
      resume: async ({ ids }) => this.withKnown(ids, () => this.engine.start(ids)),
      retry: async ({ ids }) => this.withKnown(ids, () => this.engine.start(ids)),
      cancel: async ({ ids }) => this.withKnown(ids, () => this.engine.cancel(ids)),
      remove: async ({ ids, deleteFiles }) => this.withKnown(ids, () => this.engine.remove(ids, { deleteFiles })),
      move: async ({ id, placement }) => this.withKnown([id], () => this.engine.move(id, placement)),
      setPriority: async ({ id, priority }) => this.withKnown([id], () => this.engine.setPriority(id, priority)),
      pauseAll: async () => {
        await this.engine.pauseAll();
        return ok(null);
      },
      resumeAll: () => {
        this.engine.resumeAll();
        return ok(null);
      },
      getSettings: () => ok(this.publicSettings()),
      setSettings: (a) => this.setSettings(a),
      clearFinished: async ({ states }) => ok({ removed: (await this.engine.clearFinished(states)).length }),
      details: ({ id }) => this.details(id),
      relink: ({ id, url }) => this.relink(id, url),
      reveal: ({ id }) => this.fileAction(id, this.host.reveal, 'Showing a file in its folder'),
      openFile: ({ id }) => this.fileAction(id, this.host.open, 'Opening a file'),
      browserHosts: () => ok(browserHostsOf(this.host.dataDir, this.host.nativeHost ?? null)),
      setBrowserHosts: ({ install }) => setBrowserHosts(this.host.dataDir, this.host.nativeHost ?? null, install),
    };
  }

  /** Feed every engine event here (Engine.open's onEvent). */
  engineEvent(event: EngineEvent): void {
    if (event.type === 'removed') this.batcher.forget(event.id);
    else if (event.type === 'retrying') this.batcher.retrying(event.id, event.error.message, event.delayMs);
    else this.batcher.touch(event.id);
    if (event.type === 'ended') this.notices.ended(event.record);
  }

  /** At launch: unfinished transfers continue when the setting says so (paused ones wait for a person). */
  autoResume(): void {
    if (!this.settings.autoResume) return;
    this.engine.start(this.engine.unfinished().filter((r) => r.state !== 'paused').map((r) => r.id));
  }

  /** `signal`: the caller canceled (rpc.ts); a command that has not acted yet then does nothing. */
  async call<K extends CommandName>(name: K, argument: CommandArgument<K>, signal?: AbortSignal): Promise<Result<CommandValues[K], ServiceError>> {
    const handler = this.handlers[name] as (a: CommandArgument<K>, s?: AbortSignal) => Promise<Result<CommandValues[K], ServiceError>> | Result<CommandValues[K], ServiceError>;
    return handler(argument, signal);
  }

  onEvent(listener: (event: ServiceEvent) => void): () => void {
    this.listeners.add(listener);
    // After the subscriber has finished setting up, so it hears the notice like any other.
    if (this.startupNotices.length > 0) {
      setImmediate(() => {
        if (this.listeners.has(listener)) for (const notice of this.startupNotices) listener({ type: 'notice', notice });
      });
    }
    return () => this.listeners.delete(listener);
  }

  /** Sends out whatever is pending now (a quit, a test that wants the last batch). */
  flush(): void {
    this.batcher.flush();
    this.notices.flush();
  }

  close(): void {
    this.flush();
    this.batcher.close();
    this.notices.close();
    this.listeners.clear();
  }

  private emit(event: ServiceEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.host.log?.(`an event listener failed: ${(error as Error).stack ?? String(error)}`);
      }
    }
  }

  // ---------------------------------------------------------------- commands

  private snapshot(): Result<CommandValues['snapshot'], ServiceError> {
    const { transfers, batch } = this.batcher.snapshot();
    return ok({ transfers, settings: this.publicSettings(), host: this.hostInfo(), batch });
  }

  private hostInfo(): HostInfo {
    return {
      kind: this.host.kind,
      canRevealFiles: this.host.reveal !== null,
      secretStorage: this.host.secrets.kind,
      dataDir: this.host.dataDir,
      version: this.host.version,
    };
  }

  private async addDownloads(a: CommandArgument<'addDownloads'>): Promise<Result<CommandValues['addDownloads'], ServiceError>> {
    if (a.name !== null && a.urls.length > 1) return invalid('name', 'a file name goes with a single URL; leave it out to add several');
    if (a.name !== null && (a.name.includes('/') || a.name.includes('\\') || a.name === '.' || a.name === '..')) {
      return invalid('name', `"${a.name}" is not a file name: leave out folders (choose the folder with dir)`);
    }
    const parsed = a.checksum === null ? null : parseChecksumArgument(a.checksum);
    if (typeof parsed === 'string') return invalid('checksum', parsed);
    const checksum = parsed && a.checksumSource === 'metalink' ? { ...parsed, source: 'metalink' as const } : parsed;
    if (a.mirrors && a.mirrors.length > 0 && a.urls.length > 1) return invalid('mirrors', 'mirrors go with a single URL');
    const references = sidecarChoice(a, checksum !== null);
    if (!references.ok) return references;
    const headers = checkHeaders(a.headers ?? [], 'headers');
    if (!headers.ok) return headers;
    const dir = a.dir ?? this.settings.downloadDir;
    const ready = writableFolder(dir, 'dir');
    if (!ready.ok) return ready;
    // The engine seals the header values (and a URL's user:pass@) and adds the lot in one
    // transaction: ten thousand URLs pasted at once are one write.
    const ifDone = a.ifDone ?? 'download';
    const added = await sealedAdd(() => this.engine.addDownloads(a.urls.map((url) => ({ url, dir: ready.value, name: a.name, checksum, headers: headers.value, ifDone, mirrors: a.mirrors ?? [], pieces: a.pieces, captured: a.capture, ...references.value }))));
    if (!added.ok) return added;
    // A finished file reused as it is has nothing to start.
    const done = added.value.filter((x) => x.alreadyDone);
    const started = this.started(added.value.filter((x) => !x.alreadyDone));
    return ok({ ids: added.value.map((x) => x.record.id), existing: started.existing, alreadyDone: done.map((x) => x.record.id) });
  }

  private async addUploads(a: CommandArgument<'addUploads'>, signal?: AbortSignal): Promise<Result<CommandValues['addUploads'], ServiceError>> {
    if ((a.destination === null) === (a.to === null)) return invalid('destination', 'name either a destination from the settings or a URL to upload to (to), not both and not neither');
    const destination = a.to ? { name: a.to.url, url: a.to.url, protocol: a.to.protocol, headers: null } : this.settings.uploadDestinations.find((d) => d.id === a.destination);
    if (!destination) {
      const known = this.settings.uploadDestinations.map((d) => `"${d.name}" (${d.id})`).join(', ');
      return err({ code: 'not-found', field: 'destination', message: `there is no upload destination ${a.destination}; ${known ? `the destinations are ${known}` : 'add one in Settings first'}` });
    }
    const relative = a.paths.findIndex((p) => !path.isAbsolute(p));
    if (relative >= 0) return invalid(`paths[${relative}]`, `"${a.paths[relative]}" is not a full path; give the file's absolute path`);
    const { files, skipped } = await collectFiles(a.paths);
    // Walking a big folder takes a while; a person who gave up meanwhile gets nothing added.
    if (signal?.aborted) return err({ code: 'canceled', message: 'addUploads was canceled; nothing was added' });
    if (files.length === 0) return rejected(`nothing to upload: ${skipped.map((s) => `${s.path} (${s.reason})`).join('; ') || 'the folders are empty'}`);
    if (destination.protocol === 'put' && files.length > 1 && !destination.url.endsWith('/')) {
      return rejected(a.to ? `${PUT_NEEDS_FOLDER_URL}: give such a URL` : `${PUT_NEEDS_FOLDER_URL}; change the destination "${destination.name}" in Settings`);
    }
    // The destination's secret values are sealed in the settings; the engine takes every
    // header in clear and seals all of them (the plain ones too) into each transfer's record.
    let headers: Array<[string, string]>;
    if (a.to) {
      const checked = checkHeaders(a.to.headers, 'to.headers');
      if (!checked.ok) return checked;
      headers = checked.value;
    } else {
      const stored = destination.headers!.filter((h) => h.value !== null).map((h): [string, string] => [h.name, h.value!]);
      try {
        headers = await unsealHeaders(this.host.secrets, stored);
      } catch (error) {
        return rejected(`the secrets of the destination "${destination.name}" cannot be opened (${(error as Error).message}); enter them again in Settings`);
      }
    }
    const added = await sealedAdd(() =>
      this.engine.addUploads(
        files.map((file) => ({ source: file.path, url: uploadTarget(destination.url, destination.protocol, file.relativePath), relativePath: file.relativePath, protocol: destination.protocol, headers })),
      ),
    );
    return added.ok ? ok({ ...this.started(added.value), skipped }) : added;
  }

  /** Starts what was just added, and tells the clients about it. */
  private started(added: Added[]): { ids: string[]; existing: string[] } {
    const ids = added.map((a) => a.record.id);
    for (const id of ids) this.batcher.touch(id);
    this.engine.start(ids);
    return { ids, existing: added.filter((a) => a.existing).map((a) => a.record.id) };
  }

  /** Runs `action` when every id is known; otherwise names the unknown ones and does nothing. */
  private async withKnown(ids: string[], action: () => unknown): Promise<Result<null, ServiceError>> {
    const unknown = ids.filter((id) => !this.engine.store.get(id));
    if (unknown.length > 0) {
      const shown = unknown.slice(0, 5).join(', ') + (unknown.length > 5 ? ` and ${unknown.length - 5} more` : '');
      return err({ code: 'not-found', field: 'ids', message: `no transfer with id ${shown}; it may have been removed (refresh the list)` });
    }
    await action();
    for (const id of ids) this.batcher.touch(id);
    return ok(null);
  }

  private details(id: string): Result<TransferDetails, ServiceError> {
    const record = this.engine.store.get(id);
    if (!record) return err({ code: 'not-found', field: 'id', message: `no transfer with id ${id}; it may have been removed` });
    const live = this.engine.activeProgress().find((p) => p.id === id);
    const history = this.engine.store.history(id);
    const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
    const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
    const resumes: ResumeRecord[] = history
      .filter((h) => h.kind === 'resume')
      .map((h) => ({ at: h.at, offset: num(h.detail.offset) ?? 0, validator: str(h.detail.validator), overlap: str(h.detail.overlap), segments: num(h.detail.segments) }));
    return ok({
      summary: summarize(record, live ? { ...live, speed: 0 } : null),
      urlChain: record.urlChain.length > 0 ? record.urlChain : [record.url],
      effectiveUrl: record.effectiveUrl,
      validators: { etag: record.etag, lastModified: record.lastModified, ifRange: record.ifRange },
      source: record.source,
      protocol: record.protocol,
      uploadUrl: record.uploadUrl,
      sha256: record.sha256,
      resumes,
      repairs: history.filter((h) => h.kind === 'repair').map((h) => ({ at: h.at, blocks: Array.isArray(h.detail.blocks) ? (h.detail.blocks as number[]) : [] })),
      restarts: history.filter((h) => h.kind === 'restart').map((h) => ({ at: h.at, reason: str(h.detail.reason) ?? 'unknown' })),
      errors: history.filter((h) => h.kind === 'error').map((h) => ({ at: h.at, error: h.detail as unknown as TransferError })),
      history,
      hostLimits: hostLimitsOf(this.engine, record),
      reference: referenceOrigin(record),
    });
  }

  private async relink(id: string, url: string): Promise<Result<CommandValues['relink'], ServiceError>> {
    const result = await this.engine.relink(id, url);
    if (!result.ok) return err({ code: result.code === 'not-found' ? 'not-found' : 'rejected', field: result.code === 'not-found' ? 'id' : 'url', message: result.code === 'not-found' ? `${result.reason}; it may have been removed` : `the new link was not taken: ${result.reason}. The old link and the bytes held are kept.` });
    this.batcher.touch(id);
    this.engine.start([id]);
    return ok({ how: result.how, droppedHeaders: result.droppedHeaders });
  }

  private async fileAction(id: string, action: ServiceHost['reveal'], what: string): Promise<Result<null, ServiceError>> {
    const record = this.engine.store.get(id);
    if (!record) return err({ code: 'not-found', field: 'id', message: `no transfer with id ${id}; it may have been removed` });
    if (!action) return err({ code: 'unsupported', message: `${what} needs the desktop app; under ferry serve the file is at ${fileOf(record) ?? 'its folder'}` });
    const file = fileOf(record);
    if (!file) return rejected(`${record.name ?? 'this transfer'} has no file yet: it is not completed`);
    if (!fs.existsSync(file)) return rejected(`the file is no longer at ${file}; it was moved or deleted`);
    return action(file);
  }

  // ---------------------------------------------------------------- settings

  private defaults(): Settings {
    return {
      downloadDir: this.host.defaultDownloadDir,
      maxActive: DEFAULT_LIMITS.maxActive,
      maxPerHost: DEFAULT_LIMITS.maxPerHost,
      maxConnections: DEFAULT_LIMITS.maxConnections,
      bandwidth: DEFAULT_LIMITS.bandwidth,
      stallTimeoutSeconds: 30,
      autoResume: true,
      // Many Linux desktops show no tray icons (GNOME without an extension): a window closed
      // into an invisible tray would look like a quit that never happened.
      keepRunningInTray: process.platform !== 'linux',
      sidecarLookup: true,
      uploadDestinations: [],
      activeHours: [],
      bandwidthSchedule: [],
    };
  }

  private loadSettings(): StoredSettings {
    return { ...this.defaults(), ...(this.engine.settings.get<Partial<StoredSettings>>(SETTINGS_KEY) ?? {}) };
  }

  private applyLimits(): void {
    const s = this.settings;
    this.engine.setLimits({ maxActive: s.maxActive, maxPerHost: s.maxPerHost, maxConnections: s.maxConnections, bandwidth: s.bandwidth });
    this.engine.setStallTimeout(s.stallTimeoutSeconds * 1000);
    this.engine.setTimeWindows({ activeHours: s.activeHours, bandwidthSchedule: s.bandwidthSchedule });
    this.engine.setSidecarLookup(s.sidecarLookup);
  }

  /** The settings as a client sees them: secret values replaced by a hint. */
  private publicSettings(): Settings {
    return {
      ...this.settings,
      uploadDestinations: this.settings.uploadDestinations.map((d) => ({
        ...d,
        headers: d.headers.map((h) => (h.secret ? { name: h.name, value: null, secret: true, hint: h.hint ?? null } : { ...h })),
      })),
    };
  }

  /**
   * One change at a time: a change that seals a secret awaits the host (the desktop's
   * keychain is a round trip to the main process), and two windows changing different
   * fields meanwhile would each start from the same old settings and the last would undo
   * the first. Each call starts from what the one before it left.
   */
  private setSettings(a: CommandArgument<'setSettings'>): Promise<Result<Settings, ServiceError>> {
    const turn = this.settingsTurn.then(() => this.changeSettings(a));
    this.settingsTurn = turn.catch(() => undefined);
    return turn;
  }

  private async changeSettings(a: CommandArgument<'setSettings'>): Promise<Result<Settings, ServiceError>> {
    const next: StoredSettings = { ...this.settings };
    if (a.downloadDir !== null) {
      const ready = writableFolder(a.downloadDir, 'downloadDir');
      if (!ready.ok) return ready;
      next.downloadDir = ready.value;
    }
    for (const key of ['maxActive', 'maxPerHost', 'maxConnections', 'stallTimeoutSeconds'] as const) if (a[key] !== null) next[key] = a[key];
    if (a.bandwidth !== null) next.bandwidth = a.bandwidth === 0 ? null : a.bandwidth;
    if (a.autoResume !== null) next.autoResume = a.autoResume;
    if (a.keepRunningInTray !== null) next.keepRunningInTray = a.keepRunningInTray;
    const windows = windowsProblem(a);
    if (windows) return invalid(windows.field, windows.message);
    if (a.activeHours !== null) next.activeHours = a.activeHours;
    if (a.bandwidthSchedule !== null) next.bandwidthSchedule = a.bandwidthSchedule;
    if (a.sidecarLookup !== null) next.sidecarLookup = a.sidecarLookup;
    if (a.uploadDestinations !== null) {
      const destinations: UploadDestination[] = [];
      for (const [i, d] of a.uploadDestinations.entries()) {
        const previous = d.id ? this.settings.uploadDestinations.find((p) => p.id === d.id) : undefined;
        const headers = await this.destinationHeaders(d.headers, previous, `uploadDestinations[${i}]`);
        if (!headers.ok) return headers;
        destinations.push({ id: d.id ?? crypto.randomUUID(), name: d.name, url: d.url, protocol: d.protocol, headers: headers.value });
      }
      next.uploadDestinations = destinations;
    }
    this.settings = next;
    this.engine.settings.setMany({ [SETTINGS_KEY]: next });
    this.applyLimits();
    const visible = this.publicSettings();
    this.emit({ type: 'settings', settings: visible });
    return ok(visible);
  }

  /** Checks each header; seals new secret values; keeps a stored secret the client left as null. */
  private async destinationHeaders(
    input: Array<{ name: string; value: string | null; secret: boolean }>,
    previous: UploadDestination | undefined,
    at: string,
  ): Promise<Result<DestinationHeader[], ServiceError>> {
    const out: DestinationHeader[] = [];
    for (const [j, h] of input.entries()) {
      const field = `${at}.headers[${j}]`;
      if (h.value === null) {
        const kept = previous?.headers.find((p) => p.name.toLowerCase() === h.name.toLowerCase() && p.secret);
        if (!h.secret || !kept) return invalid(`${field}.value`, `header ${h.name} has no value; type one`);
        out.push(kept);
        continue;
      }
      const parsed = parseHeaderArgument(`${h.name}: ${h.value}`);
      if (typeof parsed === 'string') return invalid(field, parsed);
      if (isSealed(h.value)) return invalid(`${field}.value`, `header ${h.name}'s value looks like a sealed secret; type the real value`);
      out.push(
        h.secret
          ? { name: parsed[0], value: await this.host.secrets.seal(parsed[1]), secret: true, hint: parsed[1].length > 8 ? `…${parsed[1].slice(-4)}` : null }
          : { name: parsed[0], value: parsed[1], secret: false },
      );
    }
    return ok(out);
  }
}

/** Runs an add; a header value that cannot be sealed is the client's to hear about, in words. */
async function sealedAdd(add: () => Promise<Added[]>): Promise<Result<Added[], ServiceError>> {
  try {
    return ok(await add());
  } catch (error) {
    if (error instanceof SealError) return rejected(error.message);
    throw error;
  }
}

/** The file a person means by "open" or "show": the downloaded file, or the upload's source. */
function fileOf(record: TransferRecord): string | null {
  if (record.direction === 'upload') return record.source;
  return record.state === 'completed' ? record.path : null;
}

/** A folder to save into: absolute, created if missing, proven writable. */
function writableFolder(dir: string, field: string): Result<string, ServiceError> {
  if (!path.isAbsolute(dir)) return invalid(field, `"${dir}" is not a full path; choose a folder such as ${path.join(path.sep, 'home', 'you', 'Downloads')}`);
  try {
    ensureDir(dir);
    fs.accessSync(dir, fs.constants.W_OK);
    if (!fs.statSync(dir).isDirectory()) return invalid(field, `${dir} is a file, not a folder; choose a folder`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return rejected(`cannot write to the folder ${dir} (${code}); choose another folder`);
  }
  return ok(path.resolve(dir));
}
