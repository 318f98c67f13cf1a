/**
 * The service contract carried over any message channel (Electron IPC, a MessagePort, a
 * WebSocket), in the manner of VS Code's ChannelServer/ChannelClient: the client is a
 * proxy with one method per command; the server checks every message against the command
 * schemas before the implementation sees it, and answers malformed input with a typed
 * error instead of falling over.
 */
import { type Result, err } from './result';
import { type Schema, validate } from './schema';
import {
  COMMANDS,
  COMMAND_NAMES,
  type CommandName,
  type ServiceError,
  type ServiceEvent,
  type ServiceImplementation,
  type TransferClient,
} from './service';

/** A two-way message pipe carrying structured-clonable (and JSON-able) values. */
export interface Channel {
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): () => void;
  /** Called once when the other side is gone. */
  onClose(listener: () => void): () => void;
}

/** What goes over the wire. */
export type WireMessage =
  | { t: 'call'; id: number; method: string; arg: unknown }
  | { t: 'reply'; id: number; result: Result<unknown, ServiceError> }
  | { t: 'event'; event: ServiceEvent }
  /** The server could not even tell which call a message was; it says so and goes on. */
  | { t: 'fault'; error: ServiceError };

const MAX_CALL_ID = Number.MAX_SAFE_INTEGER;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Serves `impl` on `channel` until the channel closes or the returned function is called.
 * `log` hears about internal failures (with stacks), which the client only sees as a sentence.
 */
export function serveService(impl: ServiceImplementation, channel: Channel, log: (message: string) => void = () => undefined): () => void {
  let open = true;
  const send = (message: WireMessage): void => {
    if (open) channel.send(message);
  };
  const stopEvents = impl.onEvent((event) => send({ t: 'event', event }));
  const stopMessages = channel.onMessage((message) => {
    void answer(message).catch((error: unknown) => log(`serving a call failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`));
  });
  const stop = (): void => {
    if (!open) return;
    open = false;
    stopEvents();
    stopMessages();
    stopClose();
  };
  const stopClose = channel.onClose(stop);

  async function answer(message: unknown): Promise<void> {
    if (!isRecord(message) || message.t !== 'call' || !Number.isSafeInteger(message.id) || (message.id as number) < 0) {
      send({ t: 'fault', error: { code: 'invalid-argument', message: 'a message must be {"t":"call","id":<whole number>,"method":<name>,"arg":<argument>}' } });
      return;
    }
    const id = message.id as number;
    const method = message.method;
    if (typeof method !== 'string' || !Object.hasOwn(COMMANDS, method)) {
      const shown = typeof method === 'string' ? JSON.stringify(method.slice(0, 60)) : String(typeof method);
      send({ t: 'reply', id, result: err({ code: 'unknown-method', message: `there is no command ${shown}; the commands are ${COMMAND_NAMES.join(', ')}` }) });
      return;
    }
    const name = method as CommandName;
    const checked = validate(COMMANDS[name] as Schema<unknown, unknown>, message.arg);
    if (!checked.ok) {
      send({ t: 'reply', id, result: err({ code: 'invalid-argument', message: `${name}: ${checked.error.message}`, field: checked.error.at }) });
      return;
    }
    let result: Result<unknown, ServiceError>;
    try {
      result = await impl.call(name, checked.value as never);
    } catch (error) {
      log(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      result = err({ code: 'internal', message: `${name} failed unexpectedly: ${error instanceof Error ? error.message : String(error)}` });
    }
    send({ t: 'reply', id, result });
  }

  return stop;
}

/** The client side: a TransferClient whose every command goes over `channel`. */
export function createClient(channel: Channel): TransferClient & { dispose(): void } {
  let nextId = 1;
  let closed = false;
  const pending = new Map<number, (result: Result<unknown, ServiceError>) => void>();
  const listeners = new Set<(event: ServiceEvent) => void>();
  const gone = (): Result<never, ServiceError> => err({ code: 'internal', message: 'the connection to the Ferry engine closed; reload to reconnect' });

  const stopMessages = channel.onMessage((message) => {
    if (!isRecord(message)) return;
    if (message.t === 'reply' && typeof message.id === 'number') {
      const resolve = pending.get(message.id);
      pending.delete(message.id);
      resolve?.(message.result as Result<unknown, ServiceError>);
    } else if (message.t === 'event') {
      for (const listener of [...listeners]) listener(message.event as ServiceEvent);
    }
  });
  const close = (): void => {
    if (closed) return;
    closed = true;
    stopMessages();
    for (const resolve of pending.values()) resolve(gone());
    pending.clear();
  };
  const stopClose = channel.onClose(close);

  const call = (method: string, arg: unknown): Promise<Result<unknown, ServiceError>> => {
    if (closed) return Promise.resolve(gone());
    const id = nextId;
    nextId = nextId >= MAX_CALL_ID ? 1 : nextId + 1;
    return new Promise((resolve) => {
      pending.set(id, resolve);
      channel.send({ t: 'call', id, method, arg: arg === undefined ? null : arg } satisfies WireMessage);
    });
  };

  const client: Record<string, unknown> = {
    onEvent(listener: (event: ServiceEvent) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    dispose() {
      stopClose();
      close();
    },
  };
  for (const name of COMMAND_NAMES) client[name] = (arg: unknown) => call(name, arg);
  return client as unknown as TransferClient & { dispose(): void };
}
