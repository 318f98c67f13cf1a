/**
 * Node's argument parser speaks to programmers ("Unknown option '--dri'"); a person gets
 * what was wrong, the flag they probably meant, and where the list is.
 */

/** Edit distance, with a swap of two neighbours counted as one edit ("--dri" for "--dir"). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The known flag closest to `given`, when it is close enough to be a slip; else null. */
export function nearestFlag(given: string, known: readonly string[]): string | null {
  const bare = given.replace(/^-+/, '').split('=')[0]!.toLowerCase();
  let best: { name: string; distance: number } | null = null;
  for (const name of known) {
    // A beginning typed out is the closest of all; of several flags it begins, the shortest (--limit-rat: --limit-rate, not --limit-rate-schedule).
    const distance = name.startsWith(bare) && bare.length >= 3 ? 0.5 + (name.length - bare.length) / 1000 : editDistance(bare, name);
    if (!best || distance < best.distance) best = { name, distance };
  }
  if (!best) return null;
  return best.distance <= Math.max(1, Math.floor(best.name.length / 3)) ? `--${best.name}` : null;
}

/** A sentence for a parse error of `ferry <command>`, or null when it is not one. */
export function explainParseError(error: unknown, command: string, known: readonly string[]): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : '';
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
  const help = `ferry ${command} --help lists them`;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const near = nearestFlag(quoted, known);
    return near ? `unknown option ${quoted}; did you mean ${near}?` : `unknown option ${quoted} (${help})`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flag = quoted.split(' ')[0] ?? quoted;
    return /does not take an argument/.test(message) ? `${flag} takes no value; drop what follows it (${help})` : `${flag} needs a value, as in ${flag} VALUE`;
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `ferry ${command} takes no argument "${quoted}" (${help})`;
  return null;
}
