/**
 * A hashing thread. Hashing a 1 GiB download costs seconds of CPU; doing it here keeps
 * the engine's event loop free. The sessions themselves are hash-core.ts.
 */
import { parentPort } from 'node:worker_threads';
import { blockDigestsLoaded } from './block-digest';
import { type Session, handleHashMessage } from './hash-core';
import type { ToWorker } from './protocol';

const sessions = new Map<number, Session>();

function handle(message: ToWorker): void {
  const answer = handleHashMessage(sessions, message);
  if (answer) parentPort!.postMessage(answer);
}

// Messages wait, in order, for XXH3-128 to load (milliseconds, once per thread), so every
// block this thread starts gets it and a recorded XXH3-128 digest can always be checked.
let waiting: ToWorker[] | null = [];
parentPort!.on('message', (message: ToWorker) => (waiting ? waiting.push(message) : handle(message)));
void blockDigestsLoaded().then(() => {
  const queued = waiting ?? [];
  waiting = null;
  for (const message of queued) handle(message);
});
