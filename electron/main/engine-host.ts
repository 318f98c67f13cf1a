import * as path from 'node:path';
import { MessageChannelMain, type MessagePortMain, type UtilityProcess, safeStorage, shell, utilityProcess } from 'electron';
import { type Result, err, ok } from '../common/result';
import type { ServiceError } from '../common/service';
import type { FromEngine, HostRequest, PowerEvent, ToEngine } from './engine-protocol';
import { EngineSupervisor, type SupervisorDecision } from './engine-supervisor';

const SEALED = 'ferry-sealed:os1:';

type StartOptions = { dataDir: string; downloadDir: string; version: string; nativeHost: { command: string[] } | { unavailable: string } };
type Started = Result<null, { message: string; locked: boolean }>;

/** What the shell hears about an engine that ended on its own (see EngineSupervisor). */
export interface EngineHostEvents {
  /** It ended; `decision` says whether it is being restarted and the sentence to show. */
  ended(decision: SupervisorDecision): void;
  /** A new engine is up after a restart: connect to it again (old ports are dead). */
  restarted(): void;
}

/**
 * The main process's side of the engine process: starts it, answers what only the main
 * process can do (safeStorage, shell), hands out MessagePorts to the service, stops it
 * with every transfer checkpointed, and notices when it ends without being asked
 * (restarting it as EngineSupervisor decides).
 */
export class EngineHost {
  private child: UtilityProcess | null = null;
  private stopping: Promise<void> | null = null;
  private options: StartOptions | null = null;

  constructor(
    private readonly events: EngineHostEvents,
    private readonly supervisor = new EngineSupervisor(),
  ) {}

  /** Starts the engine; resolves once it has opened the data directory. */
  start(options: StartOptions): Promise<Started> {
    this.options = options;
    return this.spawn(options);
  }

  private async spawn(options: StartOptions): Promise<Started> {
    const child = utilityProcess.fork(path.join(__dirname, 'engine-process.js'), [], { serviceName: 'Ferry engine', stdio: 'inherit' });
    this.child = child;
    child.on('message', (message: FromEngine) => {
      if (message.type === 'request') void this.answer(message.id, message);
    });
    const secretStorage = safeStorage.isEncryptionAvailable() ? 'os-keychain' : 'key-file';
    this.post({ type: 'init', ...options, secretStorage });
    const started = await new Promise<Started>((resolve) => {
      const onMessage = (message: FromEngine): void => {
        if (message.type === 'ready') resolve(ok(null));
        else if (message.type === 'failed') resolve(err({ message: message.message, locked: message.locked }));
        else return;
        child.off('message', onMessage);
      };
      child.on('message', onMessage);
      child.once('exit', (code) => resolve(err({ message: `the engine process ended at start (exit code ${code})`, locked: false })));
    });
    // From here an exit nobody asked for is a crash: the supervisor decides what follows.
    if (started.ok) child.once('exit', (code) => this.ended(child, { at: Date.now(), code }));
    return started;
  }

  private ended(child: UtilityProcess, exit: { at: number; code: number | null; startFailure?: string; locked?: boolean }): void {
    if (child !== this.child) return;
    this.child = null;
    const decision = this.supervisor.exited({ ...exit, expected: this.stopping !== null });
    if (decision.action === 'none') return;
    this.events.ended(decision);
    if (decision.action === 'restart') setTimeout(() => void this.restart(), decision.delayMs);
  }

  private async restart(): Promise<void> {
    if (this.stopping || !this.options) return;
    const started = await this.spawn(this.options);
    if (started.ok) return this.events.restarted();
    // It could not open the data directory (or ended on the way): one more crash.
    const child = this.child;
    child?.kill();
    if (child) this.ended(child, { at: Date.now(), code: null, startFailure: started.error.message, locked: started.error.locked });
  }

  /** A new MessagePort connected to the TransferService; closed at once while there is no engine (its client says so). */
  connect(): MessagePortMain {
    const { port1, port2 } = new MessageChannelMain();
    if (this.child) this.child.postMessage({ type: 'connect' } satisfies ToEngine, [port1]);
    else port1.close();
    return port2;
  }

  power(event: PowerEvent): void {
    this.post({ type: 'power', event });
  }

  /** Checkpoints every transfer and ends the engine process. Safe to call twice. */
  stop(timeoutMs = 15_000): Promise<void> {
    this.stopping ??= new Promise<void>((resolve) => {
      const child = this.child;
      if (!child) return resolve();
      const timer = setTimeout(() => {
        child.kill(); // progress up to the last checkpoint is safe either way
        resolve();
      }, timeoutMs);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.post({ type: 'shutdown' });
    });
    return this.stopping;
  }

  private post(message: ToEngine): void {
    this.child?.postMessage(message);
  }

  private async answer(id: number, request: HostRequest): Promise<void> {
    this.post({ type: 'answer', id, result: await this.perform(request) });
  }

  private async perform(request: HostRequest): Promise<Result<string | null, ServiceError>> {
    try {
      switch (request.kind) {
        case 'seal':
          return ok(SEALED + safeStorage.encryptString(request.text).toString('base64'));
        case 'unseal':
          if (!request.text.startsWith(SEALED)) return err({ code: 'rejected', message: 'this secret was not sealed by the OS keychain; enter it again in Settings' });
          return ok(safeStorage.decryptString(Buffer.from(request.text.slice(SEALED.length), 'base64')));
        case 'reveal':
          shell.showItemInFolder(request.text);
          return ok(null);
        case 'open': {
          const failure = await shell.openPath(request.text);
          return failure ? err({ code: 'rejected', message: `the system could not open ${request.text}: ${failure}` }) : ok(null);
        }
      }
    } catch (error) {
      return err({ code: 'rejected', message: `${request.kind} failed: ${(error as Error).message}` });
    }
  }
}
