import { lookAtHeap } from './core/collections';
import { splitCredentials } from './http/url-credentials';
import { EngineClosedError } from './scheduler/failures';
import type { HeaderSealer } from './secrets';

/** A URL without user information and header values sealed: what the store may hold. */
export interface Cleaned {
  url: string;
  headers: Array<[string, string]>;
}

/**
 * How many transfers one add writes per transaction. Ten thousand links added at once were
 * one burst that held every input, its sealed copy and its new record alive together, and
 * the heap kept the room it had grown to (issue 13: +54 MB of peak RSS for 10,000 queued
 * downloads); in groups, each group's garbage dies young, and the engine's thread gets a
 * turn between groups. A store failure part-way leaves the earlier groups added, which the
 * same request repeated finds and continues (adds never start duplicates). Groups of 100,
 * not 500: what the first groups started moves one step (a connect, a request sent, an
 * answer read) at each turn between groups, so shorter groups start it sooner (2,000
 * uploads, 3 runs each: the first request 283-321 ms after exec with 500, 158-228 with 100).
 */
export const ADD_GROUP = 100;

/** What an add may do with each group as it is written (Engine.addDownloads). */
export interface GroupOptions<O> {
  /** Hears each group's answers once written, before the next group is added. */
  onGroup?: (answers: O[]) => void;
  /** The engine is closing: no further group, and the add fails with EngineClosedError. */
  stop?: () => boolean;
  /**
   * The caller's stop (a Ctrl-C while a CLI adds): no further group, and a group still
   * proving finished files (ifDone 'reuse') is dropped unwritten rather than waited for.
   */
  signal?: AbortSignal;
}

/**
 * Runs `add` over `inputs` a group at a time, in order; the answers in the same order (of
 * the groups added, when `signal` ended it early). Between groups the event loop takes a
 * turn, so what `onGroup` started moves while the rest is added: ten thousand uploads'
 * first request waited 0.53 s for every add, against 0.08 s for tus-js-client (issue 13).
 */
export async function inGroups<I, O>(inputs: I[], add: (group: I[]) => Promise<O[]>, { onGroup, stop, signal }: GroupOptions<O> = {}): Promise<O[]> {
  const answers: O[] = [];
  for (let at = 0; at < inputs.length; at += ADD_GROUP) {
    if (at > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    if (signal?.aborted) break;
    // The engine closing mid-add is no answer to give as if all went well (the service's add).
    if (stop?.()) throw new EngineClosedError(`${answers.length} of ${inputs.length} transfers were added (the same request adds the rest)`);
    const group = await add(inputs.slice(at, at + ADD_GROUP));
    onGroup?.(group);
    answers.push(...group);
    if (inputs.length > ADD_GROUP) lookAtHeap();
  }
  return answers;
}

/** `work`'s answer, or null as soon as `signal` aborts (the work goes on, unheard). */
export function unlessAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T | null> {
  if (!signal) return work;
  if (signal.aborted) return Promise.resolve(null);
  return new Promise<T | null>((resolve, reject) => {
    const stop = (): void => resolve(null);
    signal.addEventListener('abort', stop, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', stop));
  });
}

/**
 * A URL's user:pass@ becomes an `Authorization: Basic` header (a header given explicitly
 * wins, as with curl) and leaves the URL that is stored, shown and compared; every header
 * value is sealed.
 */
export async function cleaned(input: { url: string; headers?: Array<[string, string]> }, sealer: HeaderSealer): Promise<Cleaned> {
  const { url, authorization } = splitCredentials(input.url);
  const given = input.headers ?? [];
  const explicit = given.some(([name]) => name.toLowerCase() === 'authorization');
  const headers: Array<[string, string]> = authorization && !explicit ? [...given, ['Authorization', authorization]] : given;
  return { url, headers: await sealer.seal(headers) };
}

/** `input` unchanged when it carries no secret (no headers, no user:pass@); throws otherwise. */
export function withoutSecrets<T extends { url: string; headers?: unknown }>(input: T): T {
  if ('headers' in input && Array.isArray(input.headers) && input.headers.length > 0) {
    throw new Error('headers are secrets: add this transfer with addDownloads / addUploads, which seal them');
  }
  if (splitCredentials(input.url).authorization !== null) {
    throw new Error('a URL with user information carries a credential: add it with addDownloads / addUploads, which seal it');
  }
  return input;
}

/**
 * The same target given twice in one add is one transfer. Within a group the store finds
 * the first; across groups the first may have started (GroupOptions.onGroup) and even ended
 * before the second's group is written, when the store would no longer call it unfinished.
 * Only an add that starts its groups as they are written (`starts`) keeps the keys.
 */
export class SameInOneAdd<R extends { id: string }> {
  /** The first answer for each key: its transfer, and whether it was already done. */
  private readonly first = new Map<string, { id: string; alreadyDone?: boolean }>();

  constructor(
    private readonly read: (id: string) => R | undefined,
    private readonly starts: boolean,
  ) {}

  /**
   * What `key` was added as earlier in this add (the transfer as it is now, found again,
   * already done if the first answer said so), else `add()`'s answer, remembered.
   */
  once<A extends { record: R; existing: boolean; alreadyDone?: true }>(key: string, add: () => A): A | { record: R; existing: true; alreadyDone?: true } {
    if (!this.starts) return add();
    const earlier = this.first.get(key);
    const record = earlier === undefined ? undefined : this.read(earlier.id);
    if (record) return earlier!.alreadyDone ? { record, existing: true, alreadyDone: true } : { record, existing: true };
    const added = add();
    this.first.set(key, added.alreadyDone ? { id: added.record.id, alreadyDone: true } : { id: added.record.id });
    return added;
  }
}
