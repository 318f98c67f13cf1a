#!/usr/bin/env node
/**
 * The `ferry` command (shared/DESIGN.md section 7: tools outside the project rely on
 * its flags, its NDJSON and its exit codes exactly).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { type DigestReference, parseChecksumArgument } from '../common/integrity';
import type { TransferRecord } from '../common/transfer';
import {
  DEFAULT_LIMITS,
  DataDirLockedError,
  Engine,
  type EngineEvent,
  type Limits,
  PUT_NEEDS_FOLDER_URL,
  SealError,
  StoreTooNewError,
  KeyFileSecretBox,
  collectFiles,
  defaultDataDir,
  defaultDownloadDir,
  ensureDir,
  ferryVersion,
  headlessHost,
  openEngineService,
  parseHeaderArgument,
  redactCredentials,
  uploadTarget,
} from '../engine';
import { Output } from './output';
import { editDistance, explainParseError } from './arg-errors';
import { startServer } from './serve';
import { DEFAULT_SERVE_PORT, loadServeIdentity, saveServeIdentity } from './serve-identity';

export const EXIT = { ok: 0, failed: 1, usage: 2, mismatch: 3, locked: 4, sigint: 130, sigterm: 143 } as const;

class UsageError extends Error {}

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'] & object;

/** parseArgs, with its errors said for a person (did you mean...?). */
function parse<O extends Options>(args: string[], options: O, command: string, allowPositionals: boolean) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    const known = Object.keys(options);
    const sentence = explainParseError(error, command, known);
    throw sentence ? new UsageError(sentence) : error;
  }
}

const USAGE = `Usage:
  ferry get <url>... [--dir DIR] [--name NAME] [--checksum ALGO:HEX] [--connections N]
                     [--max-active N] [--max-per-host N] [--limit-rate BYTES_PER_S]
                     [--stall-timeout SECONDS] [--header "K: V"]... [--data-dir DIR] [--json] [--force]
  ferry put <path>... --to <url> [--protocol tus|put] [--max-active N] [--max-per-host N]
                     [--limit-rate R] [--stall-timeout SECONDS] [--header "K: V"]... [--data-dir DIR] [--json]
  ferry resume [--data-dir DIR] [--json]     run every unfinished transfer to its end
               [--connections N] [--max-active N] [--max-per-host N] [--stall-timeout SECONDS]
  ferry list   [--data-dir DIR] [--json]     transfers and their states
  ferry serve  [--host 127.0.0.1] [--port N] [--data-dir DIR] [--json] [--new-token]
  ferry --version

--limit-rate takes bytes per second (500000, 500K, 2M); --connections splits a large file.
Exit codes: 0 all completed, 1 a transfer failed, 2 usage error, 3 integrity mismatch,
4 another Ferry holds the data directory, 130/143 interrupted (progress saved).`;

const COMMON_OPTIONS = {
  'data-dir': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const TRANSFER_OPTIONS = {
  ...COMMON_OPTIONS,
  connections: { type: 'string' },
  'max-active': { type: 'string' },
  'max-per-host': { type: 'string' },
  'stall-timeout': { type: 'string' },
  header: { type: 'string', multiple: true },
} as const;

const GET_OPTIONS = {
  ...TRANSFER_OPTIONS,
  dir: { type: 'string' },
  name: { type: 'string' },
  checksum: { type: 'string' },
  'limit-rate': { type: 'string' },
  force: { type: 'boolean' },
} as const;

function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`--${flag} must be a whole number of at least 1, got "${value}"`);
  return Number(value);
}

function transferLimits(values: { 'max-active'?: string; 'max-per-host'?: string; connections?: string }): Omit<Limits, 'bandwidth'> {
  return {
    maxActive: positiveInt(values['max-active'], 'max-active', DEFAULT_LIMITS.maxActive),
    maxPerHost: positiveInt(values['max-per-host'], 'max-per-host', DEFAULT_LIMITS.maxPerHost),
    maxConnections: positiveInt(values.connections, 'connections', DEFAULT_LIMITS.maxConnections),
  };
}

/** Bytes per second: a whole number, optionally with K, M or G (powers of 1024), e.g. 500K. */
function parseRate(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([kmg]?)i?b?$/i.exec(text.trim());
  const value = m ? Number(m[1]) * 1024 ** ' kmg'.indexOf((m[2] || ' ').toLowerCase()) : NaN;
  if (!m || !(value >= 1)) throw new UsageError(`--limit-rate must be bytes per second, such as 500000, 500K or 2M; got "${text}"`);
  return Math.floor(value);
}

function parseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`"${redactCredentials(text)}" is not a URL; give a full address such as https://example.com/file.iso`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`"${redactCredentials(text)}" uses ${url.protocol.replace(':', '')}; Ferry downloads http and https URLs only`);
  }
  // A user:pass@ stays in: the engine turns it into a sealed Basic header and drops it from the URL.
  return url.href;
}

function parseHeaders(values: string[] | undefined): Array<[string, string]> {
  return (values ?? []).map((text) => {
    const parsed = parseHeaderArgument(text);
    if (typeof parsed === 'string') throw new UsageError(parsed);
    return parsed;
  });
}

/** A folder to download into: created if missing, and proven writable before anything starts. */
function prepareDir(dir: string): string {
  const resolved = path.resolve(dir);
  try {
    ensureDir(resolved);
    fs.accessSync(resolved, fs.constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`cannot write to the folder ${resolved} (${code}); choose another with --dir`);
  }
  if (!fs.statSync(resolved).isDirectory()) throw new UsageError(`${resolved} is not a folder; choose another with --dir`);
  return resolved;
}

interface Session {
  engine: Engine;
  output: Output;
}

function openEngine(dataDir: string | undefined, command: string, output: Output, settings: { stallSeconds?: number; limits?: Partial<Limits> } = {}): Engine {
  const resolved = dataDir ? path.resolve(dataDir) : defaultDataDir();
  try {
    const engine = Engine.open({
      dataDir: resolved,
      command,
      // Header values are sealed with the data directory's key file, as under ferry serve.
      secrets: new KeyFileSecretBox(resolved),
      tuning: settings.stallSeconds ? { stallTimeoutMs: settings.stallSeconds * 1000 } : {},
      limits: settings.limits ?? {},
      onEvent: (event: EngineEvent) => output.event(event),
      onEngineError: (error) => output.note(`ferry: engine error: ${error.message}`),
    });
    if (engine.storeDamage) output.note(engine.storeDamage.message);
    return engine;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code && ['ENOENT', 'EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'SQLITE_CANTOPEN', 'SQLITE_READONLY'].includes(code)) {
      throw new UsageError(`cannot use the data directory ${resolved} (${code}); pass another --data-dir or set FERRY_DATA_DIR`);
    }
    throw error;
  }
}

/** Runs transfers to their end, with Ctrl-C and SIGTERM saving progress first. */
async function runTransfers(session: Session, ids: string[]): Promise<number> {
  const { engine, output } = session;
  let interrupted: number | null = null;
  const stop = (code: number) => () => {
    if (interrupted !== null) return;
    interrupted = code;
    output.note('Stopping: saving progress so "ferry resume" or the same command continues...');
    void engine.close();
  };
  const onInt = stop(EXIT.sigint);
  const onTerm = stop(EXIT.sigterm);
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  output.watch(ids.length, () => engine.activeProgress());
  try {
    const records = await engine.runAll(ids);
    if (interrupted !== null) {
      for (const record of records) if (record.state !== 'completed' && record.state !== 'failed') output.stopped(record);
      return interrupted;
    }
    output.results(records);
    return exitCodeFor(records);
  } finally {
    output.unwatch();
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}

export function exitCodeFor(records: TransferRecord[]): number {
  if (records.some((r) => r.integrity.status === 'mismatch')) return EXIT.mismatch;
  if (records.some((r) => r.state !== 'completed')) return EXIT.failed;
  return EXIT.ok;
}

async function commandGet(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, GET_OPTIONS, 'get', true);
  if (values.help) return usage();
  const output = new Output(Boolean(values.json));
  if (positionals.length === 0) throw new UsageError('ferry get needs at least one URL');
  const urls = positionals.map(parseUrl);
  if (values.name !== undefined && urls.length > 1) throw new UsageError('--name goes with a single URL; drop it or give one URL');
  if (values.name !== undefined && !values.name.trim()) throw new UsageError('--name is empty');
  let checksum: DigestReference | null = null;
  if (values.checksum !== undefined) {
    const parsed = parseChecksumArgument(values.checksum);
    if (typeof parsed === 'string') throw new UsageError(parsed);
    if (urls.length > 1) throw new UsageError('--checksum goes with a single URL; run one ferry get per checksum');
    checksum = parsed;
  }
  const headers = parseHeaders(values.header);
  const limits = { ...transferLimits(values), bandwidth: values['limit-rate'] === undefined ? null : parseRate(values['limit-rate']) };
  const stall = positiveInt(values['stall-timeout'], 'stall-timeout', 30);
  const dir = prepareDir(values.dir ?? defaultDownloadDir());

  const engine = openEngine(values['data-dir'], 'ferry get', output, { stallSeconds: stall, limits });
  try {
    const added = await engine.addDownloads(urls.map((url) => ({ url, dir, name: values.name ?? null, checksum, headers, ifDone: values.force ? 'download' : 'reuse' })));
    const ids = added.map(({ record, existing, alreadyDone }) => {
      // record.url: the URL as kept, without a password the person typed.
      if (alreadyDone) output.note(`Already downloaded: ${record.path} still has the SHA-256 it was saved with; nothing to fetch (--force downloads it again).`);
      else if (existing) output.note(`Continuing the unfinished download of ${record.url} (${record.offset} bytes held).`);
      return record.id;
    });
    return await runTransfers({ engine, output }, ids);
  } finally {
    await engine.close();
  }
}

const PUT_OPTIONS = {
  ...TRANSFER_OPTIONS,
  to: { type: 'string' },
  protocol: { type: 'string' },
  'limit-rate': { type: 'string' },
} as const;

async function commandPut(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, PUT_OPTIONS, 'put', true);
  if (values.help) return usage();
  const output = new Output(Boolean(values.json));
  if (positionals.length === 0) throw new UsageError('ferry put needs at least one file or folder');
  if (!values.to) throw new UsageError('ferry put needs --to <url>: the tus endpoint, or with --protocol put the URL to PUT to');
  const to = parseUrl(values.to);
  const protocol = values.protocol ?? 'tus';
  if (protocol !== 'tus' && protocol !== 'put') throw new UsageError(`--protocol must be tus or put, got "${protocol}"`);
  const headers = parseHeaders(values.header);
  const limits = { ...transferLimits(values), bandwidth: values['limit-rate'] === undefined ? null : parseRate(values['limit-rate']) };
  const stall = positiveInt(values['stall-timeout'], 'stall-timeout', 30);
  if (protocol === 'put') output.note('Plain PUT cannot resume: a file interrupted part-way is sent again from its start.');
  const { files, skipped } = await collectFiles(positionals);
  for (const s of skipped) output.note(`Skipping ${s.path}: ${s.reason}.`);
  if (files.length === 0) throw new UsageError('nothing to upload: no readable file among the paths given');
  if (protocol === 'put' && files.length > 1 && !to.endsWith('/')) {
    throw new UsageError(`with --protocol put, ${PUT_NEEDS_FOLDER_URL}: give --to such a URL`);
  }
  const targetOf = (relativePath: string): string => uploadTarget(to, protocol, relativePath);

  const engine = openEngine(values['data-dir'], 'ferry put', output, { stallSeconds: stall, limits });
  try {
    const added = await engine.addUploads(files.map((f) => ({ source: f.path, url: targetOf(f.relativePath), relativePath: f.relativePath, protocol, headers })));
    const ids = added.map(({ record, existing }) => {
      if (existing) output.note(`Continuing the unfinished upload of ${record.source} (${record.offset} bytes confirmed by the server).`);
      return record.id;
    });
    return await runTransfers({ engine, output }, ids);
  } finally {
    await engine.close();
  }
}

async function commandResume(args: string[]): Promise<number> {
  const { values } = parse(args, TRANSFER_OPTIONS, 'resume', false);
  if (values.help) return usage();
  const output = new Output(Boolean(values.json));
  const stall = positiveInt(values['stall-timeout'], 'stall-timeout', 30);
  const engine = openEngine(values['data-dir'], 'ferry resume', output, { stallSeconds: stall, limits: transferLimits(values) });
  try {
    const ids = engine.unfinished().map((r) => r.id);
    if (ids.length === 0) {
      output.note('Nothing to resume: every transfer has ended.');
      return EXIT.ok;
    }
    return await runTransfers({ engine, output }, ids);
  } finally {
    await engine.close();
  }
}

async function commandList(args: string[]): Promise<number> {
  const { values } = parse(args, COMMON_OPTIONS, 'list', false);
  if (values.help) return usage();
  const output = new Output(Boolean(values.json));
  const engine = openEngine(values['data-dir'], 'ferry list', output);
  try {
    output.list(engine.list());
    return EXIT.ok;
  } finally {
    await engine.close();
  }
}

const SERVE_OPTIONS = {
  ...COMMON_OPTIONS,
  host: { type: 'string' },
  port: { type: 'string' },
  'new-token': { type: 'boolean' },
} as const;

/** The built window, when there is one (npm run build puts it in out/renderer). */
function rendererDir(): string | null {
  const dir = path.join(__dirname, '..', '..', 'renderer');
  return fs.existsSync(path.join(dir, 'index.html')) ? dir : null;
}

async function commandServe(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, SERVE_OPTIONS, 'serve', true);
  if (values.help) return usage();
  if (positionals.length > 0) throw new UsageError(`ferry serve takes no arguments, got "${positionals[0]}"`);
  const json = Boolean(values.json);
  const host = values.host ?? '127.0.0.1';
  const explicitPort = values.port === undefined ? null : Number(values.port);
  if (!/^\d+$/.test(values.port ?? '0') || (explicitPort ?? 0) > 65535) throw new UsageError(`--port must be a port number from 0 to 65535 (0 picks a free one), got "${values.port}"`);
  const dataDir = values['data-dir'] ? path.resolve(values['data-dir']) : defaultDataDir();
  const output = new Output(json);
  const log = (message: string): void => void process.stderr.write(`ferry serve: ${message}\n`);
  let opened: ReturnType<typeof openEngineService>;
  try {
    ensureDir(dataDir);
    opened = openEngineService({
      dataDir,
      command: 'ferry serve',
      onEngineError: (error) => log(`engine error: ${error.message}`),
      host: headlessHost(dataDir, defaultDownloadDir(), log),
    });
  } catch (error) {
    if (error instanceof DataDirLockedError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code) throw new UsageError(`cannot use the data directory ${dataDir} (${code}); pass another --data-dir or set FERRY_DATA_DIR`);
    throw error;
  }
  const { engine, service } = opened;
  // A long-running server outlives a bug in one code path: it is logged with its stack and
  // the server goes on (the engine already turns its own failures into transfer failures).
  process.on('unhandledRejection', (reason) => {
    engine.log.error('unhandled rejection in ferry serve', { error: reason });
    log(`unexpected error (kept running; see ferry.log): ${reason instanceof Error ? reason.message : String(reason)}`);
  });
  if (engine.storeDamage) output.note(engine.storeDamage.message);
  // The same data directory gives the same URL after a restart: its token, and its last port
  // when free (else the default, else any free one), so a bookmark or an open tab still works.
  const identity = loadServeIdentity(dataDir, Boolean(values['new-token']));
  const port = explicitPort ?? identity.port ?? DEFAULT_SERVE_PORT;
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    const start = (on: number) => startServer({ host, port: on, engine, service, rendererDir: rendererDir(), log, token: identity.token });
    server = await start(port).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE' || explicitPort !== null) throw error;
      log(`port ${port} is taken; listening on another one (the address below changes)`);
      return start(0);
    });
    if (server.port !== identity.port) saveServeIdentity(dataDir, { ...identity, port: server.port });
  } catch (error) {
    service.close();
    await engine.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`port ${port} on ${host} is taken; pick another with --port, or --port 0 for any free one`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UsageError(`cannot listen on ${host}: this machine has no such address; leave --host out for 127.0.0.1`);
    throw error;
  }
  // Listening for Ctrl-C and SIGTERM before the address is printed: a signal sent as soon
  // as the address appears must save progress like any other, not kill the process.
  const stopped = new Promise<'SIGINT' | 'SIGTERM'>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  service.autoResume();
  if (json) process.stdout.write(`${JSON.stringify({ type: 'listening', url: server.url })}\n`);
  else process.stdout.write(`Ferry is running. Open ${server.url}\n`);
  const loopback = ['127.0.0.1', 'localhost', '::1'].includes(host);
  if (!loopback) {
    log(`listening on ${host}: anyone who can reach this address and has the token can move files as this user`);
    if (!json) for (const other of server.urls.filter((u) => u !== server.url)) process.stdout.write(`  or ${other}\n`);
  }
  if (!rendererDir()) log('the window is not built (run npm run build); the service answers on /rpc');
  const signal = await stopped;
  log('stopping: saving every transfer\'s progress');
  await server.close();
  service.close();
  await engine.close();
  return signal === 'SIGINT' ? EXIT.sigint : EXIT.sigterm;
}

const COMMANDS = ['get', 'put', 'resume', 'list', 'serve'];

function unknownCommand(command: string): string {
  const near = COMMANDS.find((c) => editDistance(command.toLowerCase(), c) <= 1);
  return near ? `unknown command "${command}"; did you mean ferry ${near}?` : `unknown command "${command}"; ferry --help lists them`;
}

function usage(): number {
  process.stdout.write(`${USAGE}\n`);
  return EXIT.ok;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'get':
        return await commandGet(rest);
      case 'resume':
        return await commandResume(rest);
      case 'list':
        return await commandList(rest);
      case 'put':
        return await commandPut(rest);
      case 'serve':
        return await commandServe(rest);
      case undefined:
        // A bare `ferry` is a question, not a command: the usage, on stderr, exit 2.
        process.stderr.write(`${USAGE}\n`);
        return EXIT.usage;
      case '--version':
      case '-V':
      case 'version':
        process.stdout.write(`ferry ${ferryVersion()}\n`);
        return EXIT.ok;
      case 'help':
      case '--help':
      case '-h':
        return usage();
      default:
        throw new UsageError(unknownCommand(command));
    }
  } catch (error) {
    if (error instanceof DataDirLockedError) {
      process.stderr.write(`ferry: ${error.message}\n`);
      return EXIT.locked;
    }
    if (error instanceof SealError) {
      process.stderr.write(`ferry: ${error.message}\n`);
      return EXIT.failed;
    }
    if (error instanceof UsageError || error instanceof StoreTooNewError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`ferry: ${(error as Error).message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`ferry: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT.failed;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    // Everything is saved and closed by now. Exiting at once, once stdout has drained,
    // spares the tens of milliseconds Node spends waiting on handles it no longer needs.
    process.stdout.write('', () => process.exit(code));
  });
}
