import { setFlagsFromString } from 'node:v8';
import { blockDigestsLoaded } from '../hash/block-digest';

let settled = false;
let pending: Promise<void> | null = null;

/**
 * Keeps undici's HTTP parser on V8's baseline WebAssembly code, once the block hasher has
 * compiled; null once that is done (the caller need not wait).
 *
 * Why: undici parses HTTP/1.1 with llhttp compiled to WebAssembly. V8 first compiles it
 * with Liftoff, its baseline compiler, then, once the parser runs hot, recompiles llhttp's
 * one huge function with TurboFan. Measured (issue 13): 160 ms of CPU and 30-35 MB of peak
 * RSS once per process; a 16 KiB `ferry get` peaked at 102 MB with it and 66 MB without.
 * The parser reads a few hundred bytes of headers per response (a body passes through it
 * as spans), so its baseline code costs nothing measurable. Modules compiled after
 * `--liftoff-only` keep their baseline code.
 *
 * The one WebAssembly module whose speed matters, the block hasher (XXH3-128,
 * hash/block-digest.ts), is compiled on this thread first, before the first request (about
 * 3 ms, even in a run of small files that never needs it). V8 shares a compiled module by
 * its bytes across threads, so hashing threads that compile it later get that compilation,
 * which still tiers up: measured 0.09 CPU-s per 512 MiB, against 0.15 under Liftoff.
 * The desktop app's engine downloads through Electron's network stack and never calls this.
 */
export function baselineParser(): Promise<void> | null {
  if (settled) return null;
  pending ??= blockDigestsLoaded().then(() => {
    settled = true;
    try {
      setFlagsFromString('--liftoff-only');
    } catch {
      // A V8 without the flag: the parser tiers up as before, which is only a cost.
    }
  });
  return pending;
}
