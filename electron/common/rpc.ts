/**
 * The service contract carried over any message channel (Electron IPC, a MessagePort, a
 * WebSocket), in the manner of VS Code's ChannelServer/ChannelClient: the client is a
 * proxy with one method per command; the server checks every message against the command
 * schemas before the implementation sees it, and answers malformed input with a typed
 * error instead of falling over.
 *
 * The client opens with a `hello` carrying the protocol version (and Ferry's version where
 * known); the server answers with its own before anything else. (Answering, rather than
 * speaking first, means no hello is lost to a client that starts listening a moment after
 * its socket opens.) A window and an engine of different major versions do not guess at
 * each other: the one that notices says so in one sentence and the channel closes. A call can be
 * canceled (an AbortSignal): the client answers `canceled` at once and tells the server,
 * whose implementation gets an aborted signal and whose answer is no longer waited for.
 */
import { type Result, err } from './result';
import { type Schema, validate } from './schema';
import {
  type CallOptions,
  COMMANDS,
  COMMAND_NAMES,
  type CommandName,
  type ServiceError,
  type ServiceEvent,
  type ServiceImplementation,
  type TransferClient,
} from './service';

/**
 * The wire protocol's version, MAJOR.MINOR: a new minor only adds what the other side may
 * ignore; a new major changes what both must understand. Before hellos existed was 0.
 */
export const PROTOCOL_VERSION = '1.4';

/** A two-way message pipe carrying structured-clonable (and JSON-able) values. */
export interface Channel {
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): () => void;
  /** Called once when the other side is gone. */
  onClose(listener: () => void): () => void;
  /** Ends the channel from this side (a peer of another version); where absent, this side just stops listening. */
  close?(): void;
}

/** Who is speaking: the protocol, and the Ferry version where the side knows it. */
export interface Hello {
  t: 'hello';
  protocol: string;
  app: string | null;
}

/** What goes over the wire. */
export type WireMessage =
  | Hello
  | { t: 'call'; id: number; method: string; arg: unknown }
  /** The client no longer waits for this call; the server aborts its signal. */
  | { t: 'cancel'; id: number }
  | { t: 'reply'; id: number; result: Result<unknown, ServiceError> }
  | { t: 'event'; event: ServiceEvent }
  /** The server could not even tell which call a message was (or will not talk to this peer); it says so. */
  | { t: 'fault'; error: ServiceError };

const MAX_CALL_ID = Number.MAX_SAFE_INTEGER;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A peer's hello as this side may show it: short, printable, whatever the peer sent. */
function readHello(message: Record<string, unknown>): Hello {
  const shown = (value: unknown, max: number): string | null =>
    typeof value === 'string' && value.length > 0 ? value.slice(0, max).replace(/[^\x20-\x7e]/g, '?') : null;
  return { t: 'hello', protocol: shown(message.protocol, 20) ?? '?', app: shown(message.app, 40) };
}

const major = (protocol: string): string => protocol.split('.')[0]!;

/** Whether two sides can talk: the same major version. */
export function compatible(a: string, b: string): boolean {
  return major(a) === major(b);
}

/** The one sentence a person sees when the window and the engine cannot talk. `window` null: a window from before hellos. */
export function mismatchMessage(window: Hello | null, engine: Hello): string {
  const who = (hello: Hello | null): string =>
    hello === null ? 'an older Ferry (protocol 0)' : hello.app ? `Ferry ${hello.app} (protocol ${hello.protocol})` : `protocol ${hello.protocol}`;
  return `This window is from ${who(window)}, the engine is ${who(engine)}: reload the window.`;
}

const canceled = (name: string): Result<never, ServiceError> => err({ code: 'canceled', message: `${name} was canceled` });

/**
 * Serves `impl` on `channel` until the channel closes or the returned function is called.
 * `log` hears about internal failures (with stacks), which the client only sees as a
 * sentence; `app` is Ferry's version, for the hello.
 */
export function serveService(impl: ServiceImplementation, channel: Channel, log: (message: string) => void = () => undefined, app: string | null = null): () => void {
  const self: Hello = { t: 'hello', protocol: PROTOCOL_VERSION, app };
  let open = true;
  let greeted = false;
  let stopEvents = (): void => undefined;
  /** Calls still running, by id, so a cancel (or the client going away) can abort them. */
  const inFlight = new Map<number, AbortController>();
  const send = (message: WireMessage): void => {
    if (open) channel.send(message);
  };
  const stop = (): void => {
    if (!open) return;
    open = false;
    stopEvents();
    stopMessages();
    stopClose();
    for (const controller of inFlight.values()) controller.abort();
    inFlight.clear();
  };
  /** Says once why this peer is refused, then ends the channel. */
  const refuse = (message: string): void => {
    log(`refused a window: ${message}`);
    send({ t: 'fault', error: { code: 'version-mismatch', message } });
    stop();
    channel.close?.();
  };
  const stopMessages = channel.onMessage((message) => {
    void answer(message).catch((error: unknown) => log(`serving a call failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`));
  });
  const stopClose = channel.onClose(stop);

  async function answer(message: unknown): Promise<void> {
    if (isRecord(message) && message.t === 'hello') {
      if (greeted) return;
      const peer = readHello(message);
      send(self);
      if (!compatible(peer.protocol, PROTOCOL_VERSION)) return refuse(mismatchMessage(peer, self));
      greeted = true;
      stopEvents = impl.onEvent((event) => send({ t: 'event', event }));
      return;
    }
    if (isRecord(message) && message.t === 'cancel') {
      if (typeof message.id === 'number') inFlight.get(message.id)?.abort();
      return;
    }
    if (!isRecord(message) || message.t !== 'call' || !Number.isSafeInteger(message.id) || (message.id as number) < 0) {
      send({ t: 'fault', error: { code: 'invalid-argument', message: 'a message must be {"t":"call","id":<whole number>,"method":<name>,"arg":<argument>}' } });
      return;
    }
    const id = message.id as number;
    if (!greeted) {
      // A call before any hello comes from a window older than hellos: it hears why in the reply it waits for.
      const message = mismatchMessage(null, self);
      send({ t: 'reply', id, result: err({ code: 'version-mismatch', message }) });
      return refuse(message);
    }
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
    const controller = new AbortController();
    inFlight.set(id, controller);
    let result: Result<unknown, ServiceError>;
    try {
      const running = (async () => impl.call(name, checked.value as never, controller.signal))();
      result = await untilAborted(running, controller.signal, () => canceled(name));
    } catch (error) {
      log(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      result = err({ code: 'internal', message: `${name} failed unexpectedly: ${error instanceof Error ? error.message : String(error)}` });
    } finally {
      if (inFlight.get(id) === controller) inFlight.delete(id);
    }
    send({ t: 'reply', id, result });
  }

  return stop;
}

/** `work`, or `whenAborted()` as soon as `signal` aborts, whichever comes first. The work itself goes on unobserved. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal, whenAborted: () => T): Promise<T> {
  if (signal.aborted) return Promise.resolve(whenAborted());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => resolve(whenAborted());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export interface ClientOptions {
  /** Ferry's version on this side, for the hello and the mismatch message; null where unknown (a web page). */
  app?: string | null;
  /** The engine will not talk to this window (another major version): the sentence to show. The client has closed. */
  onRefused?: (message: string) => void;
}

/** The client side: a TransferClient whose every command goes over `channel`. */
export function createClient(channel: Channel, options: ClientOptions = {}): TransferClient & { dispose(): void } {
  const self: Hello = { t: 'hello', protocol: PROTOCOL_VERSION, app: options.app ?? null };
  let nextId = 1;
  let closed = false;
  /** Why calls fail once closed: the engine went away, or will not talk to this window. */
  let closedWith: ServiceError = { code: 'internal', message: 'the connection to the Ferry engine closed; reload to reconnect' };
  let greeted = false;
  const pending = new Map<number, (result: Result<unknown, ServiceError>) => void>();
  const listeners = new Set<(event: ServiceEvent) => void>();

  const close = (): void => {
    if (closed) return;
    closed = true;
    stopMessages();
    for (const resolve of pending.values()) resolve(err(closedWith));
    pending.clear();
  };
  /** The engine speaks another major version: every call gets the sentence, once, and the channel ends. */
  const refused = (message: string): void => {
    if (closed) return;
    closedWith = { code: 'version-mismatch', message };
    close();
    stopClose();
    channel.close?.();
    options.onRefused?.(message);
  };

  const stopMessages = channel.onMessage((message) => {
    if (!isRecord(message)) return;
    if (!greeted) {
      // An engine from before hellos answers ours with a fault or speaks first with something else.
      if (message.t !== 'hello') return refused(mismatchMessage(self, { t: 'hello', protocol: '0', app: null }));
      const peer = readHello(message);
      if (!compatible(peer.protocol, PROTOCOL_VERSION)) return refused(mismatchMessage(self, peer));
      greeted = true;
      return;
    }
    if (message.t === 'reply' && typeof message.id === 'number') {
      const resolve = pending.get(message.id);
      pending.delete(message.id);
      resolve?.(message.result as Result<unknown, ServiceError>);
    } else if (message.t === 'event') {
      for (const listener of [...listeners]) listener(message.event as ServiceEvent);
    } else if (message.t === 'fault' && isRecord(message.error) && message.error.code === 'version-mismatch') {
      refused(String(message.error.message));
    }
  });
  const stopClose = channel.onClose(close);
  channel.send(self satisfies WireMessage);

  const call = (method: string, arg: unknown, callOptions: CallOptions = {}): Promise<Result<unknown, ServiceError>> => {
    if (closed) return Promise.resolve(err(closedWith));
    const { signal } = callOptions;
    if (signal?.aborted) return Promise.resolve(canceled(method));
    const id = nextId;
    nextId = nextId >= MAX_CALL_ID ? 1 : nextId + 1;
    return new Promise((resolve) => {
      const onAbort = (): void => {
        if (!pending.delete(id)) return;
        resolve(canceled(method));
        if (!closed) channel.send({ t: 'cancel', id } satisfies WireMessage);
      };
      pending.set(id, (result) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(result);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
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
  for (const name of COMMAND_NAMES) client[name] = (arg: unknown, callOptions?: CallOptions) => call(name, arg, callOptions);
  return client as unknown as TransferClient & { dispose(): void };
}
