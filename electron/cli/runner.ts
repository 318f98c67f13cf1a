/**
 * Where a CLI command's work runs: the CLI's own engine when the data directory is free, or
 * the Ferry already running on it (the app, `ferry serve`), reached through its local door
 * (DESIGN.md sections 7 and 9). Either way the command prints the same lines and ends with
 * the same exit code.
 */
import { DataDirLockedError, connectLocalDoor, ferryVersion } from '../engine';
import { DoorRunner } from './door-runner';
import { type EngineSettings, LocalRunner, openLocalEngine } from './local-runner';
import { UsageError } from './args';
import type { PieceHashes } from '../common/transfer';
import type { Output, TransferView } from './output';

export const EXIT = { ok: 0, failed: 1, usage: 2, mismatch: 3, locked: 4, sigint: 130, sigterm: 143 } as const;

export interface DownloadRequest {
  urls: string[];
  dir: string;
  name: string | null;
  /** As typed (ALGO:HEX), already checked. */
  checksum: string | null;
  headers: Array<[string, string]>;
  ifDone: 'reuse' | 'download';
  /** Other links to the same file (a Metalink's mirrors); with a single URL. */
  mirrors?: string[];
  /** A Metalink's piece hashes, to repair just the pieces a mismatch finds. */
  pieces?: PieceHashes | null;
  /** Where `checksum` came from: the person (default) or a Metalink. */
  checksumSource?: 'user' | 'metalink';
  /** --checksum-file: a URL, or an absolute path already checked readable. */
  checksumFile?: string | null;
  /** --no-sidecar: false; left out, the search runs as the engine's setting says. */
  sidecar?: boolean;
}

export interface UploadRequest {
  /** Files and folders, as absolute paths (a running Ferry walks them itself). */
  paths: string[];
  /** The files found in them, as the command already walked them (its own engine takes these). */
  files: Array<{ path: string; relativePath: string }>;
  to: string;
  protocol: 'tus' | 'put';
  headers: Array<[string, string]>;
}

export interface AddedView {
  view: TransferView;
  /** An unfinished transfer of the same file that now continues. */
  existing: boolean;
  /** A finished download whose file still has its recorded SHA-256: nothing to fetch. */
  alreadyDone: boolean;
}

export interface Runner {
  /** True when the work went to another running Ferry. */
  readonly handedOver: boolean;
  addDownloads(request: DownloadRequest): Promise<AddedView[]>;
  addUploads(request: UploadRequest): Promise<AddedView[]>;
  unfinished(): Promise<TransferView[]>;
  /** Gives download `id` a new link, or throws a UsageError saying why not (exit 2); answers how it proved itself. */
  relink(id: string, url: string): Promise<{ how: string; droppedHeaders: boolean }>;
  list(): Promise<TransferView[]>;
  /** Follows `ids` to their end, printing progress and results; answers the exit code. */
  run(ids: string[]): Promise<number>;
  close(): Promise<void>;
}

/** The transfer `given` names: its whole id, or a prefix of it (as ferry list shows) no other id shares. */
export function resolveId(given: string, views: TransferView[]): string {
  const exact = views.find((v) => v.id === given);
  if (exact) return exact.id;
  const matches = given.length >= 4 ? views.filter((v) => v.id.startsWith(given)) : [];
  if (matches.length === 1) return matches[0]!.id;
  if (matches.length > 1) throw new UsageError(`${matches.length} transfers have ids starting with ${given}; give more of it (ferry list shows them)`);
  throw new UsageError(`no transfer has the id ${given}; ferry list shows the ids`);
}

export function exitCodeFor(views: TransferView[]): number {
  if (views.some((v) => v.integrity.status === 'mismatch')) return EXIT.mismatch;
  if (views.some((v) => v.state !== 'completed')) return EXIT.failed;
  return EXIT.ok;
}

/** Calls `stop` with 130 on Ctrl-C and 143 on SIGTERM until the returned function is called. */
export function onStopSignals(stop: (code: number) => void): () => void {
  const onInt = (): void => stop(EXIT.sigint);
  const onTerm = (): void => stop(EXIT.sigterm);
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return () => {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  };
}

/**
 * The CLI's own engine on `dataDir`; when another Ferry holds it, that Ferry through its
 * door. A holder without a door (another `ferry get`) leaves the DataDirLockedError to say
 * who it is (exit 4).
 */
export async function openRunner(dataDir: string, command: string, output: Output, settings: EngineSettings & { engineFlags?: string[] } = {}): Promise<Runner> {
  try {
    return new LocalRunner(openLocalEngine(dataDir, command, output, settings), output);
  } catch (error) {
    if (!(error instanceof DataDirLockedError)) throw error;
    const client = await connectLocalDoor(dataDir, { app: ferryVersion() });
    if (!client) throw error;
    const runner = await DoorRunner.open(client, output);
    const holder = error.holder ? ` (${error.holder.command}, pid ${error.holder.pid})` : '';
    output.note(`Ferry is already running on this data directory${holder}; handing this over to it.`);
    if (settings.engineFlags?.length) {
      output.note(`${settings.engineFlags.join(', ')} ${settings.engineFlags.length > 1 ? 'apply' : 'applies'} to a Ferry this command starts; the running one keeps its own settings (change them in its Settings).`);
    }
    return runner;
  }
}
