/**
 * Metalink 4 (RFC 5854) as Ferry reads it: each file's name, size, whole-file hashes,
 * piece hashes and its mirrors in priority order. A document is at most 1 MiB, and a DTD
 * or an entity declaration is refused outright (no XML external entities, no "billion
 * laughs"): only the five predefined entities and character references are expanded.
 */
import type { DigestAlgorithm } from '../../common/integrity';

export const METALINK_MAX_BYTES = 1 << 20;
export const METALINK_MEDIA_TYPE = 'application/metalink4+xml';

export interface MetalinkMirror {
  url: string;
  /** 1 is the most preferred (RFC 5854 4.2.16.1); absent ones come last. */
  priority: number;
  location: string | null;
}

export interface MetalinkFile {
  /** A file name, never a path (RFC 5854 4.1.2.1 forbids traversal; Ferry takes the last part only). */
  name: string;
  size: number | null;
  /** Whole-file digests Ferry can check, strongest first. */
  hashes: Array<{ algorithm: DigestAlgorithm; hex: string }>;
  pieces: { length: number; algorithm: DigestAlgorithm; hashes: string[] } | null;
  /** http(s) mirrors only, most preferred first (ties keep document order). */
  mirrors: MetalinkMirror[];
}

/** RFC 5854 hash type names (IANA "Hash Function Textual Names") Ferry can check. */
const HASH_TYPES: Record<string, DigestAlgorithm> = { 'sha-256': 'sha256', 'sha-512': 'sha512', 'sha-1': 'sha1', md5: 'md5' };
const STRENGTH: DigestAlgorithm[] = ['sha512', 'sha256', 'sha1', 'md5'];
const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128, sha1: 40, md5: 32 };

interface Element {
  name: string;
  attrs: Record<string, string>;
  children: Element[];
  text: string;
}

export class MetalinkError extends Error {}

/** The files a Metalink 4 document describes; a MetalinkError names what is wrong. */
export function parseMetalink(text: string): MetalinkFile[] {
  if (Buffer.byteLength(text) > METALINK_MAX_BYTES) throw new MetalinkError(`the Metalink is larger than ${METALINK_MAX_BYTES >> 20} MiB`);
  const root = parseXml(text);
  if (localName(root.name) !== 'metalink') throw new MetalinkError(`the document is <${root.name}>, not a Metalink 4 <metalink>`);
  const files = root.children.filter((e) => localName(e.name) === 'file').map(readFile);
  if (files.length === 0) throw new MetalinkError('the Metalink describes no file');
  return files;
}

function readFile(file: Element): MetalinkFile {
  const raw = file.attrs.name ?? '';
  const name = raw.split(/[\\/]/).filter((p) => p !== '' && p !== '.' && p !== '..').pop() ?? '';
  if (!name) throw new MetalinkError(`a <file> has no usable name ("${raw}")`);
  const child = (n: string): Element[] => file.children.filter((e) => localName(e.name) === n);
  const sizeText = child('size')[0]?.text.trim();
  const size = sizeText && /^\d+$/.test(sizeText) ? Number(sizeText) : null;
  const hashes = child('hash')
    .map((h) => ({ algorithm: HASH_TYPES[(h.attrs.type ?? '').toLowerCase()], hex: h.text.trim().toLowerCase() }))
    .filter((h): h is { algorithm: DigestAlgorithm; hex: string } => !!h.algorithm && new RegExp(`^[0-9a-f]{${HEX_LENGTH[h.algorithm]}}$`).test(h.hex))
    .sort((a, b) => STRENGTH.indexOf(a.algorithm) - STRENGTH.indexOf(b.algorithm));
  const piecesEl = child('pieces')[0];
  let pieces: MetalinkFile['pieces'] = null;
  if (piecesEl) {
    const algorithm = HASH_TYPES[(piecesEl.attrs.type ?? '').toLowerCase()];
    const length = Number(piecesEl.attrs.length);
    const list = piecesEl.children.filter((e) => localName(e.name) === 'hash').map((e) => e.text.trim().toLowerCase());
    if (algorithm && Number.isSafeInteger(length) && length > 0 && list.every((h) => h.length === HEX_LENGTH[algorithm] && /^[0-9a-f]+$/.test(h))) {
      pieces = { length, algorithm, hashes: list };
    }
  }
  const mirrors = child('url')
    .map((u, order) => ({ url: u.text.trim(), priority: Number(u.attrs.priority) || Number.MAX_SAFE_INTEGER, location: u.attrs.location ?? null, order }))
    .filter((m) => /^https?:\/\//i.test(m.url) && isUrl(m.url))
    .sort((a, b) => a.priority - b.priority || a.order - b.order)
    .map(({ url, priority, location }) => ({ url, priority, location }));
  if (mirrors.length === 0) throw new MetalinkError(`the Metalink gives no http or https link for ${name}`);
  return { name, size, hashes, pieces, mirrors };
}

function isUrl(text: string): boolean {
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}

const localName = (name: string): string => name.slice(name.indexOf(':') + 1);

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    const known = ENTITIES[ref];
    if (known === undefined) throw new MetalinkError(`the Metalink uses an unknown entity &${ref};`);
    return known;
  });
}

/** A small XML reader for Metalink's subset: elements, attributes, text, CDATA, comments, PIs. */
function parseXml(text: string): Element {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new MetalinkError('the Metalink declares a DTD or entities, which Ferry does not read');
  const stack: Element[] = [];
  let root: Element | null = null;
  let at = 0;
  const fail = (what: string): never => {
    throw new MetalinkError(`the Metalink is not well-formed XML (${what} at character ${at})`);
  };
  while (at < text.length) {
    const lt = text.indexOf('<', at);
    if (lt < 0) {
      if (text.slice(at).trim() !== '') fail('text after the document');
      break;
    }
    if (lt > at && stack.length > 0) stack.at(-1)!.text += decode(text.slice(at, lt));
    else if (lt > at && text.slice(at, lt).trim() !== '') fail('text outside the root element');
    at = lt;
    if (text.startsWith('<?', at)) {
      const end = text.indexOf('?>', at);
      if (end < 0) fail('an unclosed processing instruction');
      at = end + 2;
    } else if (text.startsWith('<!--', at)) {
      const end = text.indexOf('-->', at);
      if (end < 0) fail('an unclosed comment');
      at = end + 3;
    } else if (text.startsWith('<![CDATA[', at)) {
      const end = text.indexOf(']]>', at);
      if (end < 0 || stack.length === 0) fail('a misplaced CDATA section');
      stack.at(-1)!.text += text.slice(at + 9, end);
      at = end + 3;
    } else if (text.startsWith('</', at)) {
      const end = text.indexOf('>', at);
      if (end < 0) fail('an unclosed end tag');
      const name = text.slice(at + 2, end).trim();
      const open = stack.pop();
      if (!open || open.name !== name) fail(`</${name}> without its start tag`);
      at = end + 1;
    } else {
      const m = /^<([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/.exec(text.slice(at, at + 65536));
      if (!m) fail('a malformed tag');
      const attrs: Record<string, string> = {};
      for (const a of m![2]!.matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/g)) attrs[localName(a[1]!)] = decode(a[2] ?? a[3] ?? '');
      const element: Element = { name: m![1]!, attrs, children: [], text: '' };
      if (stack.length > 0) stack.at(-1)!.children.push(element);
      else if (root) fail('a second root element');
      else root = element;
      if (m![3] !== '/') stack.push(element);
      at += m![0].length;
    }
  }
  if (!root || stack.length > 0) fail('an unclosed element');
  return root!;
}
