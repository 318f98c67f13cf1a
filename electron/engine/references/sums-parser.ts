import type { DigestAlgorithm } from '../../common/integrity';

/**
 * Checksum files as sites publish them beside their downloads (DESIGN.md section 10):
 * the GNU form of sha256sum and friends (`HEX  NAME`, `HEX *NAME`, a backslash before an
 * escaped name), the BSD form (`SHA256 (NAME) = HEX`, also openssl's `SHA2-256(NAME)= HEX`),
 * a bare `HEX` in a file beside one download, and any of them inside a PGP clearsigned
 * message (Fedora's CHECKSUM): the signed lines are read, the signature is not checked.
 */

/** One line of a checksum file: a digest and the name it describes (null for a bare hex). */
export interface SumsEntry {
  algorithm: DigestAlgorithm;
  /** lowercase hex */
  hex: string;
  name: string | null;
}

/** The algorithm a hex digest's length tells (the GNU form says nothing else). */
const BY_LENGTH: Readonly<Record<number, DigestAlgorithm>> = { 32: 'md5', 40: 'sha1', 64: 'sha256', 128: 'sha512' };
const BSD_NAMES: Readonly<Record<string, DigestAlgorithm>> = { MD5: 'md5', SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' };

const BSD_LINE = /^([A-Za-z0-9-]+) ?\((.*)\) ?= ?([0-9A-Fa-f]+)$/;
const GNU_LINE = /^(\\?)([0-9A-Fa-f]+)(?: [ *]|[ \t]+)(.+)$/;
const BARE_LINE = /^[0-9A-Fa-f]+$/;

/** Every usable line; anything else (comments, a PGP header, an HTML error page) is skipped. */
export function parseSums(text: string): SumsEntry[] {
  const entries: SumsEntry[] = [];
  for (const raw of signedLines(text.split(/\r?\n/))) {
    const line = raw.trimEnd();
    if (line.trim() === '' || line.startsWith('#')) continue;
    const entry = parseLine(line);
    if (entry) entries.push(entry);
  }
  return entries;
}

function parseLine(line: string): SumsEntry | null {
  const bsd = BSD_LINE.exec(line);
  if (bsd) {
    const algorithm = BSD_NAMES[bsd[1]!.toUpperCase().replace(/^SHA-?2?-?(\d{3})$/, 'SHA$1').replace(/^SHA-1$/, 'SHA1')];
    const hex = bsd[3]!.toLowerCase();
    return algorithm && BY_LENGTH[hex.length] === algorithm ? { algorithm, hex, name: plainName(bsd[2]!) } : null;
  }
  const gnu = GNU_LINE.exec(line);
  if (gnu) {
    const algorithm = BY_LENGTH[gnu[2]!.length];
    const name = gnu[1] ? unescapeGnu(gnu[3]!) : gnu[3]!;
    return algorithm ? { algorithm, hex: gnu[2]!.toLowerCase(), name: plainName(name) } : null;
  }
  const bare = line.trim();
  if (BARE_LINE.test(bare) && BY_LENGTH[bare.length]) return { algorithm: BY_LENGTH[bare.length]!, hex: bare.toLowerCase(), name: null };
  return null;
}

/** A clearsigned message's signed lines (dash-escaping undone); any other text as it is. */
function signedLines(lines: string[]): string[] {
  const begin = lines.findIndex((l) => l.trim() === '-----BEGIN PGP SIGNED MESSAGE-----');
  if (begin < 0) return lines;
  // Armor headers (Hash: SHA256) run to the first blank line.
  let at = begin + 1;
  while (at < lines.length && lines[at]!.trim() !== '') at++;
  const out: string[] = [];
  for (at++; at < lines.length && lines[at]!.trim() !== '-----BEGIN PGP SIGNATURE-----'; at++) {
    const line = lines[at]!;
    out.push(line.startsWith('- ') ? line.slice(2) : line);
  }
  return out;
}

/** coreutils escapes a backslash and a newline in a name, and says so with a leading backslash. */
function unescapeGnu(name: string): string {
  return name.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
}

function plainName(name: string): string {
  return name.startsWith('./') ? name.slice(2) : name;
}

/**
 * Where a checksum file sits decides which of its lines describe a download:
 * - `directory` (SHA256SUMS and the like in the download's folder): the line naming the file;
 * - `file` (`<url>.sha256` beside it): a bare hex, or the line naming the file;
 * - `named` (the person's --checksum-file): as `file`, and its only line whatever it names
 *   (the person said it is this file's; a wrong one then ends as a loud mismatch).
 */
export type SumsScope = 'directory' | 'file' | 'named';

/** sha256 first (every download computes it anyway), then the others from strongest. */
const PREFERENCE: readonly DigestAlgorithm[] = ['sha256', 'sha512', 'sha1', 'md5'];

/**
 * The entry that describes a file known by `names` (its name in the URL, after redirects,
 * as saved), or null; 'ambiguous' when the file lists two different digests of one
 * algorithm for it: that is no reference, and never a guess.
 */
export function pickEntry(entries: readonly SumsEntry[], names: readonly string[], scope: SumsScope): SumsEntry | 'ambiguous' | null {
  let matching = entries.filter((e) => e.name !== null && names.includes(e.name));
  if (matching.length === 0 && scope !== 'directory') {
    matching = entries.filter((e) => e.name === null);
    if (matching.length === 0 && scope === 'named' && entries.length === 1) matching = [...entries];
  }
  for (const algorithm of PREFERENCE) {
    const of = matching.filter((e) => e.algorithm === algorithm);
    if (of.length === 0) continue;
    return of.every((e) => e.hex === of[0]!.hex) ? of[0]! : 'ambiguous';
  }
  return null;
}
