/** Read-only view of response headers, case-insensitive, with repeated fields joined. */
export interface ResponseHeaders {
  get(name: string): string | undefined;
}

export function headersFromRecord(record: Record<string, string | string[] | undefined>): ResponseHeaders {
  const map = new Map<string, string>();
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined) continue;
    // set-cookie must not be comma-joined, but the engine never reads it.
    map.set(key.toLowerCase(), Array.isArray(value) ? value.join(', ') : value);
  }
  return { get: (name) => map.get(name.toLowerCase()) };
}

/** Headers as undici hands them to a dispatch handler: names and values, alternating, as bytes. */
export function headersFromRaw(raw: ReadonlyArray<Buffer | Buffer[] | string>): ResponseHeaders {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase();
    const field = raw[i + 1]!;
    const value = Array.isArray(field) ? field.map((v) => v.toString('latin1')).join(', ') : field.toString('latin1');
    const before = map.get(name);
    map.set(name, before === undefined ? value : `${before}, ${value}`);
  }
  return { get: (name) => map.get(name.toLowerCase()) };
}

/**
 * The only headers a person gives that may travel to another origin: they say who is
 * asking and in what language, never who the person is. Every other header given with a
 * transfer (Authorization, Cookie, X-Api-Key, any token a site invents) belongs to the
 * origin of the URL the person gave, on every request: the first, every resume, every
 * segment, every block repair, whatever URL a redirect chain recorded.
 */
const ORIGIN_FREE_HEADERS = new Set(['user-agent', 'accept', 'accept-language']);

/**
 * Whether a transfer whose link moves from `from` to `to` (a relink, a mirror, the file a
 * Metalink names) leaves the origin its person's headers were given for: they stay behind.
 */
export function leavesOrigin(from: string, to: string): boolean {
  return new URL(to).origin !== new URL(from).origin;
}

/** The person's headers to send to `target`, given the URL they were given for. */
export function headersForOrigin(given: ReadonlyArray<readonly [string, string]>, target: URL, givenFor: string): Record<string, string> {
  const sameOrigin = target.origin === new URL(givenFor).origin;
  const headers: Record<string, string> = {};
  for (const [k, v] of given) {
    const name = k.toLowerCase();
    if (sameOrigin || ORIGIN_FREE_HEADERS.has(name)) headers[name] = v;
  }
  return headers;
}

/** Parses `K: V` as given to --header; returns an error sentence on bad input. */
export function parseHeaderArgument(text: string): [string, string] | string {
  const colon = text.indexOf(':');
  const name = colon > 0 ? text.slice(0, colon).trim() : '';
  if (!name || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    return `header "${redactHeaderText(text)}" must look like "Name: value"`;
  }
  const value = text.slice(colon + 1).trim();
  if (/[\r\n\0]/.test(value)) return `header ${name} contains a line break or NUL; remove it`;
  const lower = name.toLowerCase();
  if (['range', 'if-range', 'accept-encoding', 'host', 'content-length', 'transfer-encoding', 'connection'].includes(lower)) {
    return `header ${name} is managed by Ferry (it decides ranges, encodings and connections itself); remove it`;
  }
  return [name, value];
}

/** Secrets never reach a log: header values that may carry them are masked. */
export function redactHeaderText(text: string): string {
  const colon = text.indexOf(':');
  return colon < 0 ? text : `${text.slice(0, colon)}: ***`;
}
