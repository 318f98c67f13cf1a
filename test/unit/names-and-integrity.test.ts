import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatBytes, formatDuration, formatPercent, SpeedMeter } from '../../electron/common/format';
import { judgeIntegrity, parseChecksumArgument } from '../../electron/common/integrity';
import { numberedName, sanitizeFilename, splitExtension } from '../../electron/engine/fs/filename';

describe('sanitizeFilename: safe on Windows, macOS and Linux', () => {
  const cases: Array<[string | null, string]> = [
    ['report.pdf', 'report.pdf'],
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\windows\\system32\\evil.dll', 'evil.dll'],
    ['..', 'download'],
    ['', 'download'],
    [null, 'download'],
    ['CON', '_CON'],
    ['nul.txt', '_nul.txt'],
    ['com1', '_com1'],
    ['LPT9.log', '_LPT9.log'],
    ['console.txt', 'console.txt'],
    ['name. . ', 'name'],
    ['  spaced.txt', 'spaced.txt'],
    ['.bashrc', '_bashrc'],
    ['a<b>c:d"e|f?g*h.txt', 'a_b_c_d_e_f_g_h.txt'],
    ['tab\there\u0000.txt', 'tab_here_.txt'],
    ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
    ['cafe\u0301.txt', 'café.txt'],
  ];
  for (const [input, expected] of cases) {
    test(`${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => assert.equal(sanitizeFilename(input), expected));
  }
  test('long names are cut to 200 bytes at a character boundary, keeping the extension', () => {
    const name = sanitizeFilename(`${'é'.repeat(300)}.tar.gz`);
    assert.ok(Buffer.byteLength(name) <= 200);
    assert.ok(name.endsWith('é.tar.gz'));
  });
});

describe('numbered copies', () => {
  test('(1) goes before the extension, including compound ones', () => {
    assert.equal(numberedName('a.txt', 1), 'a (1).txt');
    assert.equal(numberedName('backup.tar.gz', 2), 'backup (2).tar.gz');
    assert.equal(numberedName('README', 3), 'README (3)');
    assert.equal(numberedName('a.txt', 0), 'a.txt');
    assert.deepEqual(splitExtension('.hidden'), { stem: '.hidden', ext: '' });
  });
});

describe('integrity verdicts (DESIGN.md section 2)', () => {
  const sha = 'a'.repeat(64);
  test('no reference: unverified, the SHA-256 still recorded', () => {
    assert.deepEqual(judgeIntegrity(null, { sha256: sha }), { status: 'unverified', algorithm: 'sha256', expected: null, actual: sha, source: null });
  });
  test('a matching reference is verified, a different one is a mismatch', () => {
    const ref = { algorithm: 'md5' as const, hex: 'b'.repeat(32), source: 'content-md5' as const };
    assert.equal(judgeIntegrity(ref, { sha256: sha, md5: 'b'.repeat(32) }).status, 'verified');
    const bad = judgeIntegrity(ref, { sha256: sha, md5: 'c'.repeat(32) });
    assert.deepEqual(bad, { status: 'mismatch', algorithm: 'md5', expected: 'b'.repeat(32), actual: 'c'.repeat(32), source: 'content-md5' });
  });
  test('--checksum ALGO:HEX is validated with a way out', () => {
    assert.deepEqual(parseChecksumArgument(`SHA256:${'A'.repeat(64)}`), { algorithm: 'sha256', hex: 'a'.repeat(64), source: 'user' });
    assert.deepEqual(parseChecksumArgument(`sha-512:${'0'.repeat(128)}`), { algorithm: 'sha512', hex: '0'.repeat(128), source: 'user' });
    assert.match(String(parseChecksumArgument('crc32:1234')), /not supported; use one of sha256, sha512, sha1, md5/);
    assert.match(String(parseChecksumArgument('sha256:abc')), /must be 64 hexadecimal characters/);
    assert.match(String(parseChecksumArgument('deadbeef')), /ALGO:HEX/);
  });
});

describe('formatting for people', () => {
  test('sizes, durations and percentages', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1536), '1.50 KiB');
    assert.equal(formatBytes(1 << 30), '1.00 GiB');
    assert.equal(formatBytes(250 * (1 << 20)), '250 MiB');
    assert.equal(formatDuration(5), '5 s');
    assert.equal(formatDuration(125), '2 min 05 s');
    assert.equal(formatDuration(3720), '1 h 02 min');
    assert.equal(formatDuration(Infinity), '?');
    assert.equal(formatPercent(1, 3), '33%');
    assert.equal(formatPercent(5, null), '');
  });
  test('speed is averaged over a window', () => {
    const meter = new SpeedMeter(5000);
    meter.add(0, 0);
    meter.add(1000, 1000);
    meter.add(2000, 3000);
    assert.equal(meter.rate(), 1500);
  });
});
