#!/usr/bin/env node
/**
 * The `ferry` command (shared/DESIGN.md section 7: tools outside the project rely on
 * its flags, its NDJSON and its exit codes exactly).
 */
// First: the compile cache applies only to modules loaded after it.
import './compile-cache';
import * as path from 'node:path';
import { parseChecksumArgument } from '../common/integrity';
import { formatBytes } from '../common/format';
import { DataDirLockedError, MetalinkError, type MetalinkFile, PUT_NEEDS_FOLDER_URL, isMetalinkSource, loadMetalink, SealError, StoreTooNewError, collectFiles, defaultDataDir, defaultDownloadDir, ferryVersion } from '../engine';
import { editDistance } from './arg-errors';
import {
  COMMON_OPTIONS,
  TRANSFER_OPTIONS,
  UsageError,
  engineFlagsGiven,
  parse,
  parseChecksumFile,
  parseHeaders,
  parseRate,
  parseUrl,
  positiveInt,
  prepareDir,
  readUrlList,
  transferLimits,
} from './args';
import { DoorError } from './door-runner';
import { Output, flushLines } from './output';
import { type DownloadRequest, EXIT, type Runner, openRunner, resolveId } from './runner';
import { timeWindowsOf } from './window-args';

export { EXIT, exitCodeFor } from './runner';

const USAGE = `Usage:
  ferry get <url>... [--input-file FILE] [--dir DIR] [--name NAME] [--checksum ALGO:HEX]
                     [--connections N] [--max-active N] [--max-per-host N] [--limit-rate BYTES_PER_S]
                     [--stall-timeout SECONDS] [--header "K: V"]... [--data-dir DIR] [--json] [--force]
                     [--verbose] [--checksum-file URL|PATH] [--no-sidecar]
  ferry put <path>... --to <url> [--protocol tus|put] [--max-active N] [--max-per-host N]
                     [--limit-rate R] [--stall-timeout SECONDS] [--header "K: V"]... [--data-dir DIR]
                     [--json] [--verbose]
  ferry resume [--data-dir DIR] [--json]     run every unfinished transfer to its end
               [--connections N] [--max-active N] [--max-per-host N] [--stall-timeout SECONDS]
  ferry list   [--data-dir DIR] [--json]     transfers and their states
  ferry relink <id> <url> [--data-dir DIR] [--json]   a new link for an unfinished download,
               taken only when it serves the same bytes (the id as ferry list shows it)
  ferry serve  [--host 127.0.0.1] [--port N] [--data-dir DIR] [--json] [--new-token]
  ferry browser install|uninstall [--browser NAME]... [--data-dir DIR] [--json]
               the native-messaging host for Ferry's browser extension (every browser found)
  ferry native-host [--data-dir DIR]   the host itself (the browser starts it)
  ferry --version

--limit-rate takes bytes per second (500000, 500K, 2M); --connections splits a large file.
--active-hours [DAYS@]HH:MM-HH:MM runs transfers only then (22:00-07:00, mon-fri@09:00-18:00;
DAYS as mon, mon-fri or sat+sun); outside, they wait with their bytes saved. Also for put and resume,
--limit-rate-schedule WINDOW=RATE limits bandwidth inside a window (09:00-18:00=1M), --limit-rate outside it.
--input-file (-i) reads URLs one a line (- for standard input; # starts a comment).
Without --checksum, a download of 1 MiB or more looks on its own origin for a checksum file
(SHA256SUMS and the like in its folder, <url>.sha256 beside it); a match is verified (source
sidecar), a difference exits 3. --checksum-file names one (a URL or a local file, any size);
--no-sidecar turns the search off.
A folder put or an --input-file shows one progress line and a summary; --verbose prints a
line per file.
When the app or ferry serve runs on the data directory, get, put, resume, list and relink hand
their work to it and follow it there.
Exit codes: 0 all completed, 1 a transfer failed, 2 usage error, 3 integrity mismatch,
4 another Ferry without a local door holds the data directory, 130/143 interrupted (progress saved).`;

const GET_OPTIONS = {
  ...TRANSFER_OPTIONS,
  dir: { type: 'string' },
  name: { type: 'string' },
  checksum: { type: 'string' },
  'limit-rate': { type: 'string' },
  force: { type: 'boolean' },
  'input-file': { type: 'string', short: 'i' },
  verbose: { type: 'boolean', short: 'v' },
  'checksum-file': { type: 'string' },
  'no-sidecar': { type: 'boolean' },
} as const;

const dataDirOf = (given: string | undefined): string => (given ? path.resolve(given) : defaultDataDir());

/** Opens where the work runs, runs `work` there, and closes it whatever happens. */
async function withRunner(
  values: Record<string, unknown>,
  command: string,
  output: Output,
  settings: Parameters<typeof openRunner>[3],
  work: (runner: Runner) => Promise<number>,
): Promise<number> {
  const runner = await openRunner(dataDirOf(values['data-dir'] as string | undefined), command, output, { ...settings, engineFlags: engineFlagsGiven(values) });
  try {
    return await work(runner);
  } finally {
    await runner.close();
  }
}

/** A Metalink's file, and where the Metalink came from (its URL, or a local path). */
type DescribedFile = MetalinkFile & { from: string };

/** The files the Metalinks describe, each said in a note; a Metalink that cannot be read is a usage error (exit 2). */
async function describedBy(sources: string[]): Promise<DescribedFile[]> {
  const files: DescribedFile[] = [];
  for (const source of sources) {
    try {
      files.push(...(await loadMetalink(source)).map((file) => ({ ...file, from: source })));
    } catch (error) {
      if (error instanceof MetalinkError) throw new UsageError(error.message);
      throw new UsageError(`cannot read the Metalink ${source} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }
  return files;
}

async function commandGet(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, GET_OPTIONS, 'get', true);
  if (values.help) return usage();
  // A Metalink (a .meta4 or .metalink link or file) stands for the files it describes.
  const metalinks = positionals.filter(isMetalinkSource);
  const urls = positionals.filter((p) => !metalinks.includes(p)).map(parseUrl);
  if (values['input-file'] !== undefined) {
    const listed = readUrlList(values['input-file']);
    if (listed.length === 0 && urls.length === 0 && metalinks.length === 0) throw new UsageError(`the input file ${values['input-file']} has no URL in it (one a line; # starts a comment)`);
    for (const url of listed) (isMetalinkSource(url) ? metalinks : urls).push(url);
  }
  if (urls.length === 0 && metalinks.length === 0) throw new UsageError('ferry get needs at least one URL (or --input-file FILE with one a line)');
  if (metalinks.length > 0 && (values.name !== undefined || values.checksum !== undefined)) {
    throw new UsageError('--name and --checksum go with a plain URL; a Metalink names its files and gives their checksums');
  }
  const described = await describedBy(metalinks);
  // A list of links is a batch: one progress line and a summary, as a folder put.
  const output = new Output({ json: Boolean(values.json), condensed: values['input-file'] !== undefined && urls.length > 1 && !values.verbose });
  if (values.name !== undefined && urls.length > 1) throw new UsageError('--name goes with a single URL; drop it or give one URL');
  if (values.name !== undefined && !values.name.trim()) throw new UsageError('--name is empty');
  if (values.checksum !== undefined) {
    const parsed = parseChecksumArgument(values.checksum);
    if (typeof parsed === 'string') throw new UsageError(parsed);
    if (urls.length > 1) throw new UsageError('--checksum goes with a single URL; run one ferry get per checksum');
  }
  const checksumFile = parseChecksumFile(values['checksum-file'], values.checksum);
  const headers = parseHeaders(values.header);
  const limits = { ...transferLimits(values), bandwidth: values['limit-rate'] === undefined ? null : parseRate(values['limit-rate']) };
  const stall = positiveInt(values['stall-timeout'], 'stall-timeout', 30);
  const folder = prepareDir(values.dir ?? defaultDownloadDir());
  try {
    return await withRunner(values, 'ferry get', output, { stallSeconds: stall, limits, timeWindows: timeWindowsOf(values) }, async (runner) => {
      const ifDone = values.force ? 'download' : 'reuse';
      // --checksum-file and --no-sidecar: for plain URLs, and for a Metalink's file that gives no checksum.
      const references = { checksumFile, ...(values['no-sidecar'] ? { sidecar: false } : {}) };
      // Only the ids stay for the run: what an add answers, and the URLs given (this
      // closure would hold them to the end: 10,000 links from a list), are let go before it.
      const ids = await addGets(runner, output, urls.splice(0), described, { dir: folder.path, name: values.name ?? null, checksum: values.checksum ?? null, headers, ifDone, ...references });
      return runner.run(ids);
    });
  } finally {
    folder.tidy();
  }
}

/**
 * Adds a get's URLs and its Metalinks' files and says which continue or were done already;
 * answers their ids. `request`: what every plain URL shares (a Metalink's file gives its
 * own name and checksum, and the references only when it has no checksum).
 */
async function addGets(runner: Runner, output: Output, urls: string[], described: DescribedFile[], request: Omit<DownloadRequest, 'urls'>): Promise<string[]> {
  const added = urls.length > 0 ? await runner.addDownloads({ urls, ...request }) : [];
  const { checksumFile, sidecar, headers, ...shared } = request;
  for (const file of described) {
    const [first, ...mirrors] = file.mirrors.map((m) => m.url);
    // Headers given with a Metalink's web address belong to its origin: a file it names on
    // another origin gets none of them (found in review: they went to the first mirror).
    // With a local Metalink the person named no origin, and the headers go with its files.
    const remote = /^https?:\/\//i.test(file.from);
    const elsewhere = remote && headers.length > 0 && new URL(first!).origin !== new URL(file.from).origin;
    if (elsewhere) output.note(`${file.name}: its links are on another origin than the Metalink's (${new URL(file.from).origin}); the --header values are not sent to them`);
    const hash = file.hashes[0];
    const checksum = hash ? `${hash.algorithm}:${hash.hex}` : null;
    const links = `${file.mirrors.length} link${file.mirrors.length > 1 ? 's' : ''}`;
    output.note(`${file.name}: ${links} from its Metalink, ${hash ? `checked against its ${hash.algorithm}` : 'which gives no checksum Ferry can check'}`);
    const references = hash ? {} : { checksumFile, ...(sidecar === undefined ? {} : { sidecar }) };
    added.push(...(await runner.addDownloads({ ...shared, headers: elsewhere ? [] : headers, urls: [first!], name: file.name, checksum, checksumSource: 'metalink', mirrors, pieces: file.pieces, ...references })));
  }
  for (const { view, existing, alreadyDone } of added) {
    // view.url: the URL as kept, without a password the person typed.
    if (alreadyDone) output.note(`Already downloaded: ${view.path} still has the SHA-256 it was saved with; nothing to fetch (--force downloads it again).`);
    else if (existing) output.note(`Continuing the unfinished download of ${view.url} (${formatBytes(view.bytes)} held).`);
  }
  return added.map((a) => a.view.id);
}

const PUT_OPTIONS = {
  ...TRANSFER_OPTIONS,
  to: { type: 'string' },
  protocol: { type: 'string' },
  'limit-rate': { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
} as const;

async function commandPut(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, PUT_OPTIONS, 'put', true);
  if (values.help) return usage();
  if (positionals.length === 0) throw new UsageError('ferry put needs at least one file or folder');
  if (!values.to) throw new UsageError('ferry put needs --to <url>: the tus endpoint, or with --protocol put the URL to PUT to');
  const to = parseUrl(values.to);
  const protocol = values.protocol ?? 'tus';
  if (protocol !== 'tus' && protocol !== 'put') throw new UsageError(`--protocol must be tus or put, got "${protocol}"`);
  const headers = parseHeaders(values.header);
  const limits = { ...transferLimits(values), bandwidth: values['limit-rate'] === undefined ? null : parseRate(values['limit-rate']) };
  const stall = positiveInt(values['stall-timeout'], 'stall-timeout', 30);
  const { files, skipped } = await collectFiles(positionals);
  const output = new Output({ json: Boolean(values.json), condensed: files.length > 1 && !values.verbose });
  if (protocol === 'put') output.note('Plain PUT cannot resume: a file interrupted part-way is sent again from its start.');
  for (const s of skipped) output.note(`Skipping ${s.path}: ${s.reason}.`);
  if (files.length === 0) throw new UsageError('nothing to upload: no readable file among the paths given');
  if (protocol === 'put' && files.length > 1 && !to.endsWith('/')) {
    throw new UsageError(`with --protocol put, ${PUT_NEEDS_FOLDER_URL}: give --to such a URL`);
  }
  if (files.length > 1 && !values.json) output.note(`Uploading ${files.length} files to ${to}${values.verbose ? '' : '; --verbose prints a line per file'}`);
  return withRunner(values, 'ferry put', output, { stallSeconds: stall, limits, timeWindows: timeWindowsOf(values) }, async (runner) => {
    const added = await runner.addUploads({ paths: positionals.map((p) => path.resolve(p)), files, to, protocol, headers });
    const continuing = added.filter((a) => a.existing);
    if (continuing.length === 1 && added.length === 1) {
      output.note(`Continuing the unfinished upload of ${continuing[0]!.view.path} (${formatBytes(continuing[0]!.view.bytes)} confirmed by the server).`);
    } else if (continuing.length > 0) {
      output.note(`Continuing ${continuing.length} unfinished uploads (${formatBytes(continuing.reduce((n, a) => n + a.view.bytes, 0))} confirmed by the server).`);
    }
    return runner.run(added.map((a) => a.view.id));
  });
}

async function commandResume(args: string[]): Promise<number> {
  const { values } = parse(args, TRANSFER_OPTIONS, 'resume', false);
  if (values.help) return usage();
  const output = new Output({ json: Boolean(values.json) });
  const stall = positiveInt(values['stall-timeout'], 'stall-timeout', 30);
  return withRunner(values, 'ferry resume', output, { stallSeconds: stall, limits: transferLimits(values), timeWindows: timeWindowsOf(values) }, async (runner) => {
    const ids = (await runner.unfinished()).map((v) => v.id);
    if (ids.length === 0) {
      output.note('Nothing to resume: every transfer has ended.');
      return EXIT.ok;
    }
    return runner.run(ids);
  });
}

async function commandRelink(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, COMMON_OPTIONS, 'relink', true);
  if (values.help) return usage();
  if (positionals.length !== 2) throw new UsageError('ferry relink takes a transfer\'s id (ferry list shows it) and its new URL');
  const [given, text] = positionals as [string, string];
  const url = parseUrl(text);
  const output = new Output({ json: Boolean(values.json) });
  return withRunner(values, 'ferry relink', output, {}, async (runner) => {
    const id = resolveId(given, await runner.list());
    const taken = await runner.relink(id, url);
    output.note(`New link taken: ${taken.how}.`);
    if (taken.droppedHeaders) output.note('The headers given for the old link stay with its origin; the new link is asked without them.');
    return runner.run([id]);
  });
}

async function commandList(args: string[]): Promise<number> {
  const { values } = parse(args, COMMON_OPTIONS, 'list', false);
  if (values.help) return usage();
  const output = new Output({ json: Boolean(values.json) });
  return withRunner(values, 'ferry list', output, {}, async (runner) => {
    output.list(await runner.list());
    return EXIT.ok;
  });
}

const COMMANDS = ['get', 'put', 'resume', 'list', 'relink', 'serve', 'browser', 'native-host'];

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
      case 'relink':
        return await commandRelink(rest);
      case 'put':
        return await commandPut(rest);
      case 'serve':
        // Loaded only for the command that needs it: `ferry get` pays neither the start nor the
        // heap of a web server (a larger heap made V8 trade its cheap young-generation
        // collections of body chunks for full ones: about 0.9 CPU-s a GiB; issue 13).
        return await (await import('./serve-command.js')).commandServe(rest, usage);
      case 'browser':
        return await (await import('./browser-install.js')).commandBrowser(rest, usage);
      case 'native-host':
        return await (await import('./native-host.js')).commandNativeHost(rest);
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
    flushLines(); // what was printed before the failure comes before its words
    if (error instanceof DataDirLockedError) {
      process.stderr.write(`ferry: ${error.message}\n`);
      return EXIT.locked;
    }
    if (error instanceof SealError || error instanceof DoorError) {
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
    flushLines(); // NDJSON lines still waiting for the turn's end (output.ts)
    process.stdout.write('', () => process.exit(code));
  });
}
