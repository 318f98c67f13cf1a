/**
 * Turns an untrusted name (from a server, a URL or a user) into one that is safe on
 * Windows, macOS and Linux: no directories, no traversal, no reserved device names,
 * no control or direction-override characters, no trailing dots or spaces, short enough
 * that `<name> (99).ferrypart` still fits in 255 bytes.
 */

export const FALLBACK_NAME = 'download';
const MAX_NAME_BYTES = 200;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$/i;
// Characters Windows forbids, plus controls; both separators so nothing names a directory.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f<>:"/\\|?*]/g;
// Bidirectional overrides and isolates make "gpj.exe" read as "exe.jpg".
const BIDI = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const COMPOUND_EXTENSIONS = ['.tar.gz', '.tar.bz2', '.tar.xz', '.tar.zst', '.tar.lz', '.tar.z'];

export function sanitizeFilename(input: string | null | undefined): string {
  if (!input) return FALLBACK_NAME;
  // A name with separators is a path: keep what it ends with, never a directory.
  const base = input.split(/[/\\]/).filter((s) => s.length > 0).pop() ?? '';
  if (/^[\s.]*$/.test(base)) return FALLBACK_NAME; // ".", "..", "   "
  let name = base.normalize('NFC').replace(BIDI, '').replace(FORBIDDEN, '_');
  name = name.replace(/^[\s.]+/, (m) => (m.includes('.') ? '_' : '')); // no hidden or dot-only names
  name = name.replace(/[\s.]+$/, ''); // Windows drops trailing dots and spaces
  if (!name) return FALLBACK_NAME;
  const { stem } = splitExtension(name);
  if (WINDOWS_RESERVED.test(stem) || WINDOWS_RESERVED.test(name)) name = `_${name}`;
  return limitBytes(name);
}

export function splitExtension(name: string): { stem: string; ext: string } {
  const lower = name.toLowerCase();
  for (const compound of COMPOUND_EXTENSIONS) {
    if (lower.endsWith(compound) && lower.length > compound.length) {
      return { stem: name.slice(0, -compound.length), ext: name.slice(-compound.length) };
    }
  }
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return { stem: name, ext: '' };
  return { stem: name.slice(0, dot), ext: name.slice(dot) };
}

/** `name (n).ext`, the way every desktop names a copy. */
export function numberedName(name: string, n: number): string {
  if (n === 0) return name;
  const { stem, ext } = splitExtension(name);
  return `${stem} (${n})${ext}`;
}

function limitBytes(name: string): string {
  if (Buffer.byteLength(name) <= MAX_NAME_BYTES) return name;
  let { stem, ext } = splitExtension(name);
  if (Buffer.byteLength(ext) > 32) {
    stem = name;
    ext = '';
  }
  const room = MAX_NAME_BYTES - Buffer.byteLength(ext);
  let out = '';
  for (const ch of stem) {
    if (Buffer.byteLength(out + ch) > room) break;
    out += ch;
  }
  return out.replace(/[\s.]+$/, '') + ext;
}
