import * as path from 'node:path';
import { MessageChannelMain, type MessagePortMain, type UtilityProcess, safeStorage, shell, utilityProcess } from 'electron';
import { type Result, err, ok } from '../common/result';
import type { ServiceError } from '../common/service';
import type { FromEngine, HostRequest, PowerEvent, ToEngine } from './engine-protocol';

const SEALED = 'ferry-sealed:os1:';

/**
 * The main process's side of the engine process: starts it, answers what only the main
 * process can do (safeStorage, shell), hands out MessagePorts to the service, and stops it
 * with every transfer checkpointed.
 */
export class EngineHost {
  private child: UtilityProcess | null = null;
  private stopping: Promise<void> | null = null;

  /** Starts the engine; resolves once it has opened the data directory. */
  async start(options: { dataDir: string; downloadDir: string; version: string }): Promise<Result<null, { message: string; locked: boolean }>> {
    const child = utilityProcess.fork(path.join(__dirname, 'engine-process.js'), [], { serviceName: 'Ferry engine', stdio: 'inherit' });
    this.child = child;
    child.on('message', (message: FromEngine) => {
      if (message.type === 'request') void this.answer(message.id, message);
    });
    const secretStorage = safeStorage.isEncryptionAvailable() ? 'os-keychain' : 'key-file';
    this.post({ type: 'init', ...options, secretStorage });
    return new Promise((resolve) => {
      const onMessage = (message: FromEngine): void => {
        if (message.type === 'ready') resolve(ok(null));
        else if (message.type === 'failed') resolve(err({ message: message.message, locked: message.locked }));
        else return;
        child.off('message', onMessage);
      };
      child.on('message', onMessage);
      child.once('exit', (code) => resolve(err({ message: `the engine process ended at start (exit code ${code})`, locked: false })));
    });
  }

  /** A new MessagePort connected to the TransferService. */
  connect(): MessagePortMain {
    const { port1, port2 } = new MessageChannelMain();
    this.child?.postMessage({ type: 'connect' } satisfies ToEngine, [port1]);
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
