/**
 * The filename a server suggests in Content-Disposition (RFC 6266): `filename*` (RFC 8187,
 * charset'lang'percent-encoded) wins over `filename`. Returns null when none is usable.
 * The result is untrusted text; the caller sanitizes it before it touches a file system.
 */
export function filenameFromContentDisposition(value: string | undefined): string | null {
  if (!value) return null;
  const params = parseParameters(value);
  const extended = params.get('filename*');
  if (extended !== undefined) {
    const decoded = decodeExtValue(extended);
    if (decoded) return decoded;
  }
  const plain = params.get('filename');
  return plain ? plain : null;
}

function parseParameters(value: string): Map<string, string> {
  const params = new Map<string, string>();
  let i = value.indexOf(';');
  while (i >= 0 && i < value.length) {
    i++; // past ';'
    while (value[i] === ' ' || value[i] === '\t') i++;
    const eq = value.indexOf('=', i);
    if (eq < 0) break;
    const name = value.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    while (value[i] === ' ' || value[i] === '\t') i++;
    let v = '';
    if (value[i] === '"') {
      i++;
      while (i < value.length && value[i] !== '"') {
        if (value[i] === '\\' && i + 1 < value.length) i++;
        v += value[i];
        i++;
      }
      i = value.indexOf(';', i);
    } else {
      const end = value.indexOf(';', i);
      v = (end < 0 ? value.slice(i) : value.slice(i, end)).trim();
      i = end;
    }
    // RFC 6266 4.1: a repeated parameter makes the header ambiguous; keep the first.
    if (name && !params.has(name)) params.set(name, v);
    if (i < 0) break;
  }
  return params;
}

function decodeExtValue(ext: string): string | null {
  const m = /^([A-Za-z0-9!#$%&+^_`{}~-]+)'[^']*'(.*)$/.exec(ext.trim());
  if (!m) return null;
  const charset = m[1]!.toLowerCase();
  const bytes: number[] = [];
  const text = m[2]!;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '%' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(c.charCodeAt(0) & 0xff);
    }
  }
  const buf = Uint8Array.from(bytes);
  if (charset === 'utf-8') {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(buf);
    } catch {
      return null;
    }
  }
  if (charset === 'iso-8859-1') return new TextDecoder('latin1').decode(buf);
  return null;
}

/** The last non-empty path segment of a URL, percent-decoded; null when there is none. */
export function filenameFromUrl(url: URL): string | null {
  const segments = url.pathname.split('/').filter((s) => s.length > 0);
  const last = segments[segments.length - 1];
  if (!last) return null;
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}
