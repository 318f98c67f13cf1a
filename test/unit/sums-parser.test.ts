/**
 * Checksum files as real download sites publish them (issue 15's real-world check). The
 * fixtures in test/fixtures/sidecars are written from each project's documented layout,
 * offline: the file names and the forms are theirs, the digests are invented.
 *
 * - Debian (cdimage.debian.org, .../iso-cd/): SHA256SUMS and SHA512SUMS, GNU form `HEX  NAME`.
 * - Ubuntu (releases.ubuntu.com/24.04/): SHA256SUMS, GNU binary form `HEX *NAME`.
 * - Fedora (download.fedoraproject.org/.../iso/): `Fedora-<edition>-<version>-<arch>-CHECKSUM`,
 *   BSD form `SHA256 (NAME) = HEX`, with `# NAME: N bytes` comments, inside a PGP clearsigned wrapper.
 * - Node.js (nodejs.org/dist/vX/): SHASUMS256.txt, GNU form, names with folders (win-x64/node.exe).
 * - Go (dl.google.com/go/): `go1.x.os-arch.tar.gz.sha256` beside each file, a bare hex without a newline.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { parseSums, pickEntry } from '../../electron/engine/references/sums-parser';
import { sidecarCandidates } from '../../electron/engine/references/sidecar-candidates';

const FIXTURES = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'sidecars');
const fixture = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
/** The digest a fixture line holds for `name`, read straight from the text (not through the parser). */
function hexIn(text: string, name: string): string {
  const line = text.split('\n').find((l) => l.includes(name))!;
  return /[0-9a-f]{64,128}/.exec(line)![0];
}

describe('parseSums: the forms real sites publish', () => {
  test('Debian SHA256SUMS (GNU, two spaces): every image, sha256 by length', () => {
    const text = fixture('debian-SHA256SUMS');
    const entries = parseSums(text);
    assert.equal(entries.length, 4);
    assert.ok(entries.every((e) => e.algorithm === 'sha256'));
    const netinst = pickEntry(entries, ['debian-12.5.0-amd64-netinst.iso'], 'directory');
    assert.deepEqual(netinst, { algorithm: 'sha256', hex: hexIn(text, 'debian-12.5.0-amd64-netinst.iso'), name: 'debian-12.5.0-amd64-netinst.iso' });
  });

  test('Debian SHA512SUMS: 128 hex digits are sha512', () => {
    const text = fixture('debian-SHA512SUMS');
    const found = pickEntry(parseSums(text), ['debian-edu-12.5.0-amd64-netinst.iso'], 'directory');
    assert.ok(found && found !== 'ambiguous');
    assert.equal(found.algorithm, 'sha512');
    assert.equal(found.hex, hexIn(text, 'debian-edu-12.5.0-amd64-netinst.iso'));
  });

  test('Ubuntu SHA256SUMS (GNU binary mode, *NAME): the star is not part of the name', () => {
    const text = fixture('ubuntu-SHA256SUMS');
    const found = pickEntry(parseSums(text), ['ubuntu-24.04-live-server-amd64.iso'], 'directory');
    assert.ok(found && found !== 'ambiguous');
    assert.equal(found.name, 'ubuntu-24.04-live-server-amd64.iso');
    assert.equal(found.hex, hexIn(text, 'ubuntu-24.04-live-server-amd64.iso'));
  });

  test('Fedora CHECKSUM (BSD form in a PGP clearsigned message): the lines inside count, comments and the signature do not', () => {
    const text = fixture('Fedora-Workstation-40-1.14-x86_64-CHECKSUM');
    const entries = parseSums(text);
    assert.deepEqual(entries, [
      { algorithm: 'sha256', hex: hexIn(text, 'SHA256 (Fedora'), name: 'Fedora-Workstation-Live-x86_64-40-1.14.iso' },
    ]);
  });

  test('Node.js SHASUMS256.txt: names with a folder match only that path, never a bare name elsewhere', () => {
    const text = fixture('node-SHASUMS256.txt');
    const entries = parseSums(text);
    assert.equal(entries.length, 13);
    const tarball = pickEntry(entries, ['node-v20.11.0-linux-x64.tar.xz'], 'directory');
    assert.ok(tarball && tarball !== 'ambiguous');
    assert.equal(tarball.hex, hexIn(text, 'node-v20.11.0-linux-x64.tar.xz'));
    // nodejs.org/dist/v20.11.0/node.exe is not win-x64/node.exe.
    assert.equal(pickEntry(entries, ['node.exe'], 'directory'), null);
  });

  test('Go go1.x.tar.gz.sha256: a bare hex, no name and no newline, is the file beside it', () => {
    const text = fixture('go1.22.0.linux-amd64.tar.gz.sha256');
    const entries = parseSums(text);
    assert.deepEqual(entries, [{ algorithm: 'sha256', hex: text.trim(), name: null }]);
    assert.deepEqual(pickEntry(entries, ['go1.22.0.linux-amd64.tar.gz'], 'file'), entries[0]);
    // A bare hex names no file: in a directory's list it describes nothing.
    assert.equal(pickEntry(entries, ['go1.22.0.linux-amd64.tar.gz'], 'directory'), null);
  });
});

describe('parseSums: the details of the GNU and BSD forms', () => {
  const a = 'a'.repeat(64);
  const b = 'b'.repeat(64);

  test('CRLF line ends, tabs, ./ prefixes, upper-case hex and blank lines', () => {
    const entries = parseSums(`${a.toUpperCase()}  ./one.iso\r\n\r\n${b}\ttwo.iso\r\n`);
    assert.deepEqual(entries, [
      { algorithm: 'sha256', hex: a, name: 'one.iso' },
      { algorithm: 'sha256', hex: b, name: 'two.iso' },
    ]);
  });

  test('a GNU escaped name (a line starting with a backslash) is unescaped', () => {
    const [entry] = parseSums(`\\${a}  back\\\\slash\\nnewline.iso\n`);
    assert.equal(entry!.name, 'back\\slash\nnewline.iso');
  });

  test('a name with spaces keeps them; md5 and sha1 are told by length', () => {
    const entries = parseSums(`${'c'.repeat(32)}  my file.iso\n${'d'.repeat(40)} *other file.iso\n`);
    assert.deepEqual(
      entries.map((e) => [e.algorithm, e.name]),
      [
        ['md5', 'my file.iso'],
        ['sha1', 'other file.iso'],
      ],
    );
  });

  test('BSD variants: SHA512, MD5, openssl\'s SHA2-256(NAME)= HEX; an algorithm whose length disagrees is skipped', () => {
    const entries = parseSums(
      [`SHA512 (x.iso) = ${'e'.repeat(128)}`, `MD5 (y.iso) = ${'f'.repeat(32)}`, `SHA2-256(z.iso)= ${a}`, `SHA256 (bad.iso) = ${'f'.repeat(32)}`].join('\n'),
    );
    assert.deepEqual(
      entries.map((e) => [e.algorithm, e.name]),
      [
        ['sha512', 'x.iso'],
        ['md5', 'y.iso'],
        ['sha256', 'z.iso'],
      ],
    );
  });

  test('lengths Ferry cannot check (sha224, sha384) and text that is no checksum are skipped', () => {
    assert.deepEqual(parseSums(`${'1'.repeat(56)}  a.iso\n${'2'.repeat(96)}  b.iso\n<html><body>Not Found</body></html>\n`), []);
  });

  test('several algorithms for one file: sha256 first (it is computed anyway), then the stronger', () => {
    const entries = parseSums(`MD5 (f.iso) = ${'c'.repeat(32)}\nSHA512 (f.iso) = ${'e'.repeat(128)}\nSHA256 (f.iso) = ${a}\n`);
    assert.equal((pickEntry(entries, ['f.iso'], 'directory') as { algorithm: string }).algorithm, 'sha256');
    const withoutSha256 = entries.filter((e) => e.algorithm !== 'sha256');
    assert.equal((pickEntry(withoutSha256, ['f.iso'], 'directory') as { algorithm: string }).algorithm, 'sha512');
  });

  test('two different digests of one algorithm for one name are ambiguous, never a guess', () => {
    assert.equal(pickEntry(parseSums(`${a}  f.iso\n${b}  f.iso\n`), ['f.iso'], 'directory'), 'ambiguous');
    // The same digest twice is no conflict.
    assert.deepEqual(pickEntry(parseSums(`${a}  f.iso\n${a} *f.iso\n`), ['f.iso'], 'directory'), { algorithm: 'sha256', hex: a, name: 'f.iso' });
  });

  test('a file beside the download (<url>.sha256) that names another file is not its reference', () => {
    assert.equal(pickEntry(parseSums(`${a}  other.iso\n`), ['f.iso'], 'file'), null);
    assert.deepEqual(pickEntry(parseSums(`${a}  f.iso\n`), ['f.iso'], 'file'), { algorithm: 'sha256', hex: a, name: 'f.iso' });
  });

  test('a checksum file the person named: its one line counts whatever it names; with several, the name decides', () => {
    assert.deepEqual(pickEntry(parseSums(`${a}  renamed.iso\n`), ['f.iso'], 'named'), { algorithm: 'sha256', hex: a, name: 'renamed.iso' });
    assert.equal(pickEntry(parseSums(`${a}  one.iso\n${b}  two.iso\n`), ['f.iso'], 'named'), null);
    assert.equal((pickEntry(parseSums(`${a}  one.iso\n${b}  f.iso\n`), ['f.iso'], 'named') as { hex: string }).hex, b);
  });
});

describe('sidecarCandidates: where a checksum file may sit beside a download', () => {
  test('the directory\'s lists first, then the files beside it, all on the same origin', () => {
    const url = 'https://cdimage.debian.org/debian-cd/12.5.0/amd64/iso-cd/debian-12.5.0-amd64-netinst.iso';
    const dir = 'https://cdimage.debian.org/debian-cd/12.5.0/amd64/iso-cd/';
    assert.deepEqual(sidecarCandidates(url), {
      name: 'debian-12.5.0-amd64-netinst.iso',
      directory: ['SHA256SUMS', 'SHA512SUMS', 'sha256sums.txt', 'SHASUMS256.txt', 'CHECKSUMS'].map((n) => dir + n),
      file: ['.sha256', '.sha512', '.md5'].map((ext) => url + ext),
    });
  });

  test('a query (a signed link) and a fragment stay off the candidates; an encoded name is decoded for matching', () => {
    const found = sidecarCandidates('https://example.com/d/my%20file.iso?X-Signature=abc#top')!;
    assert.equal(found.name, 'my file.iso');
    assert.equal(found.file[0], 'https://example.com/d/my%20file.iso.sha256');
    assert.equal(found.directory[0], 'https://example.com/d/SHA256SUMS');
  });

  test('a URL without a file name in its path has no candidates', () => {
    assert.equal(sidecarCandidates('https://example.com/'), null);
    assert.equal(sidecarCandidates('https://example.com/releases/'), null);
  });
});
