import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { filenameFromContentDisposition, filenameFromUrl } from '../../electron/engine/http/content-disposition';
import { parseContentLength, parseContentRange } from '../../electron/engine/http/content-range';
import { parseLegacyDigest, parseStructuredDigest, serverDigestReference } from '../../electron/engine/http/digest-headers';
import { headersFromRecord, parseHeaderArgument, redactHeaderText } from '../../electron/engine/http/headers';
import { strongValidator, validatorsChanged } from '../../electron/engine/http/validators';

const SHA256_OF_EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const B64_OF_EMPTY = Buffer.from(SHA256_OF_EMPTY, 'hex').toString('base64');

describe('validators (rule 1)', () => {
  test('an ETag without W/ is strong and is the If-Range value', () => {
    assert.equal(strongValidator('"abc"', null, undefined), '"abc"');
  });
  test('a weak ETag is not, and falls back to Last-Modified only when old enough', () => {
    const date = 'Sat, 21 Nov 2026 12:00:10 GMT';
    assert.equal(strongValidator('W/"abc"', null, date), null);
    assert.equal(strongValidator('W/"abc"', 'Sat, 21 Nov 2026 12:00:09 GMT', date), 'Sat, 21 Nov 2026 12:00:09 GMT');
    assert.equal(strongValidator(null, 'Sat, 21 Nov 2026 12:00:10 GMT', date), null, 'same second as Date: weak');
    assert.equal(strongValidator(null, 'Sat, 21 Nov 2026 12:00:09 GMT', undefined), null, 'no Date: cannot judge');
    assert.equal(strongValidator(null, 'garbage', date), null);
  });
  test('a different ETag (or, without ETags, Last-Modified) means another version', () => {
    const rec = { etag: '"a"', lastModified: 'x', ifRange: '"a"' };
    assert.equal(validatorsChanged(rec, { etag: '"b"', lastModified: 'x', ifRange: '"b"' }), true);
    assert.equal(validatorsChanged(rec, { etag: '"a"', lastModified: 'y', ifRange: '"a"' }), false);
    assert.equal(validatorsChanged(rec, { etag: null, lastModified: null, ifRange: null }), false);
    assert.equal(validatorsChanged({ etag: null, lastModified: 'x', ifRange: 'x' }, { etag: null, lastModified: 'y', ifRange: 'y' }), true);
  });
});

describe('Content-Range and Content-Length (rule 3)', () => {
  test('parses bytes START-END/TOTAL and TOTAL *', () => {
    assert.deepEqual(parseContentRange('bytes 100-199/1000'), { start: 100, end: 199, total: 1000 });
    assert.deepEqual(parseContentRange('bytes 0-0/*'), { start: 0, end: 0, total: null });
  });
  test('rejects what cannot be a valid range', () => {
    for (const bad of [undefined, '', 'bytes 5-4/10', 'bytes 0-10/10', 'items 0-1/2', 'bytes */10', 'bytes 1-2/3, bytes 4-5/6']) {
      assert.equal(parseContentRange(bad), null, String(bad));
    }
  });
  test('Content-Length: repeated equal values are fine, differing ones are malformed', () => {
    assert.equal(parseContentLength('42'), 42);
    assert.equal(parseContentLength('42, 42'), 42);
    assert.equal(parseContentLength('42, 43'), null);
    assert.equal(parseContentLength('-1'), null);
    assert.equal(parseContentLength(undefined), null);
  });
});

describe('digest headers', () => {
  test('RFC 9530 dictionaries, with unknown algorithms ignored', () => {
    const parsed = parseStructuredDigest(`unixsum=:AAA=:, sha-256=:${B64_OF_EMPTY}:;p=1`);
    assert.equal(parsed.get('sha256'), SHA256_OF_EMPTY);
    assert.equal(parsed.size, 1);
  });
  test('RFC 3230 names are case-insensitive and SHA means SHA-1', () => {
    const parsed = parseLegacyDigest(`sha-256=${B64_OF_EMPTY}, SHA=2jmj7l5rSw0yVb/vlWAYkK/YBwk=`);
    assert.equal(parsed.get('sha256'), SHA256_OF_EMPTY);
    assert.equal(parsed.get('sha1'), 'da39a3ee5e6b4b0d3255bfef95601890afd80709');
  });
  test('a digest of the wrong length is ignored rather than trusted', () => {
    assert.equal(parseStructuredDigest('sha-256=:AAAA:').size, 0);
  });
  test('Content-Digest and Content-MD5 count only on a full response; Repr-Digest always', () => {
    const h = headersFromRecord({ 'content-digest': `sha-256=:${B64_OF_EMPTY}:`, 'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg==' });
    assert.equal(serverDigestReference(h, false), null);
    assert.deepEqual(serverDigestReference(h, true), { algorithm: 'sha256', hex: SHA256_OF_EMPTY, source: 'content-digest' });
    const repr = headersFromRecord({ 'repr-digest': `sha-256=:${B64_OF_EMPTY}:`, 'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg==' });
    assert.equal(serverDigestReference(repr, false)?.source, 'repr-digest');
    assert.equal(serverDigestReference(headersFromRecord({ 'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg==' }), true)?.hex, 'd41d8cd98f00b204e9800998ecf8427e');
  });
});

describe('file names from servers', () => {
  test('filename* (RFC 8187) wins over filename', () => {
    assert.equal(filenameFromContentDisposition(`attachment; filename="a.txt"; filename*=UTF-8''%E2%82%AC%20rates.txt`), '€ rates.txt');
    assert.equal(filenameFromContentDisposition(`attachment; filename*=iso-8859-1'en'%A3%20rates.txt`), '£ rates.txt');
  });
  test('quoted strings with escapes and unquoted tokens', () => {
    assert.equal(filenameFromContentDisposition('attachment; filename="say \\"hi\\".txt"'), 'say "hi".txt');
    assert.equal(filenameFromContentDisposition('attachment; filename=plain.bin'), 'plain.bin');
    assert.equal(filenameFromContentDisposition('inline'), null);
  });
  test('an undecodable filename* falls back to filename', () => {
    assert.equal(filenameFromContentDisposition(`attachment; filename*=UTF-8''%FF%FE; filename="ok.txt"`), 'ok.txt');
  });
  test('the URL path gives the last segment, percent-decoded', () => {
    assert.equal(filenameFromUrl(new URL('https://x.org/a/b/My%20File.iso?token=1')), 'My File.iso');
    assert.equal(filenameFromUrl(new URL('https://x.org/')), null);
  });
});

describe('--header', () => {
  test('accepts Name: value and refuses headers Ferry manages', () => {
    assert.deepEqual(parseHeaderArgument('Authorization: Bearer x'), ['Authorization', 'Bearer x']);
    assert.match(String(parseHeaderArgument('Range: bytes=0-')), /managed by Ferry/);
    assert.match(String(parseHeaderArgument('no colon')), /Name: value/);
  });
  test('a rejected header never echoes its value (it may be a secret)', () => {
    assert.equal(redactHeaderText('Bad Name: secret-token'), 'Bad Name: ***');
    assert.doesNotMatch(String(parseHeaderArgument('Bad Name: secret-token')), /secret-token/);
  });
});
