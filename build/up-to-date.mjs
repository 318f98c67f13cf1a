// Whether a build step must run again: the decision `npm run build` (and so `npm start`)
// makes for each TypeScript project and each esbuild bundle (build/build.mjs). Pure: the
// caller passes what the step's last successful run recorded (its stamp), a way to read a
// file's mtime, and the step's inputs as they are now where it can list them.
//
// A stamp: { key, startedAt, inputs: { [file]: mtimeMs }, outputs: [file] }. `key`: the
// tool's version and the step's options. `startedAt`: when that run began. `inputs`: what
// the step reads, with their mtimes.

/**
 * Why the step must run again, or null when it is up to date.
 *
 * Stale when: there is no stamp; the options changed; an output is missing; an input is
 * gone or new; an input's mtime differs from the one recorded (newer, or older when an old copy
 * was put back); or an input was recorded with an mtime at or after the run began (it was
 * saved while the tool ran, which may have read it before that save).
 *
 * @param {{ key: string, startedAt: number, inputs: Record<string, number>, outputs: string[] } | null} stamp
 * @param {string} key the options of the build about to run
 * @param {(file: string) => number | null} mtimeOf a file's mtime in ms, null when it is missing
 * @param {string[]} [current] the inputs as they are now, where the caller can list them: one
 *   the stamp does not know (a new file) makes the build stale too
 * @returns {string | null}
 */
export function staleReason(stamp, key, mtimeOf, current = []) {
  if (!stamp) return 'no finished build recorded';
  if (stamp.key !== key) return 'its build options changed';
  for (const output of stamp.outputs) if (mtimeOf(output) === null) return `${output} is missing`;
  for (const [input, recorded] of Object.entries(stamp.inputs)) {
    const now = mtimeOf(input);
    if (now === null) return `${input} is gone`;
    if (now !== recorded || recorded >= stamp.startedAt) return `${input} changed`;
  }
  for (const input of current) if (!Object.hasOwn(stamp.inputs, input)) return `${input} is new`;
  return null;
}

/**
 * Reads a stamp file's text; anything unreadable or of another shape reads as no stamp,
 * which only means one more build.
 *
 * @param {string | null} text
 */
export function parseStamp(text) {
  if (text === null) return null;
  try {
    const stamp = JSON.parse(text);
    const ok =
      typeof stamp?.key === 'string' &&
      typeof stamp.startedAt === 'number' &&
      Array.isArray(stamp.outputs) &&
      stamp.outputs.every((o) => typeof o === 'string') &&
      stamp.inputs !== null &&
      typeof stamp.inputs === 'object' &&
      Object.values(stamp.inputs).every((m) => typeof m === 'number');
    return ok ? stamp : null;
  } catch {
    return null;
  }
}
