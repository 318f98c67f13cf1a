/**
 * A hashing thread. Hashing a 1 GiB download costs seconds of CPU; doing it here keeps
 * the engine's event loop free. The sessions themselves are hash-core.ts.
 */
import { parentPort } from 'node:worker_threads';
import { type Session, handleHashMessage } from './hash-core';
import type { ToWorker } from './protocol';

const sessions = new Map<number, Session>();

parentPort!.on('message', (message: ToWorker) => {
  const answer = handleHashMessage(sessions, message);
  if (answer) parentPort!.postMessage(answer);
});
