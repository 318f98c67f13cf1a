/** Metalink 4 (RFC 5854) as Ferry reads it, from the RFC's own example and hostile variants. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetalinkError, parseMetalink } from '../../electron/engine/metalink/parse';
import { duplicateLinks } from '../../electron/engine/http/link-header';

const SHA = 'f0ad929cd259957e160ea442eb80986b5f01'.padEnd(64, '0');
/** RFC 5854 section 1.1's example, with Ferry-checkable hashes and a second file. */
const EXAMPLE = `<?xml version="1.0" encoding="UTF-8"?>
<metalink xmlns="urn:ietf:params:xml:ns:metalink">
  <published>2009-05-15T12:23:23Z</published>
  <!-- a comment -->
  <file name="example.ext">
    <size>14471447</size>
    <identity>Example</identity>
    <version>1.0</version>
    <language>en</language>
    <description>A description of the example file for download.</description>
    <hash type="md5">${'a'.repeat(32)}</hash>
    <hash type="sha-256">${SHA.toUpperCase()}</hash>
    <pieces length="262144" type="sha-1">
      <hash>${'1'.repeat(40)}</hash>
      <hash>${'2'.repeat(40)}</hash>
    </pieces>
    <url location="de" priority="2">ftp://ftp.example.com/example.ext</url>
    <url location="fr" priority="3">http://example.com/example.ext?a=1&amp;b=2</url>
    <url priority="1">https://mirror.example.net/example.ext</url>
    <url>http://last.example.org/example.ext</url>
    <metaurl mediatype="torrent" priority="2">http://example.com/example.ext.torrent</metaurl>
  </file>
  <file name="../../etc/second.bin"><url><![CDATA[http://example.com/second.bin]]></url></file>
</metalink>`;

test('the RFC example: sizes, the strongest hash first, pieces, and http(s) mirrors by priority (ftp and torrents left out)', () => {
  const [first, second] = parseMetalink(EXAMPLE);
  assert.equal(first!.name, 'example.ext');
  assert.equal(first!.size, 14471447);
  assert.deepEqual(first!.hashes, [
    { algorithm: 'sha256', hex: SHA },
    { algorithm: 'md5', hex: 'a'.repeat(32) },
  ]);
  assert.deepEqual(first!.pieces, { length: 262144, algorithm: 'sha1', hashes: ['1'.repeat(40), '2'.repeat(40)] });
  assert.deepEqual(
    first!.mirrors.map((m) => m.url),
    ['https://mirror.example.net/example.ext', 'http://example.com/example.ext?a=1&b=2', 'http://last.example.org/example.ext'],
  );
  // A name is a name: a path in it is cut to its last part.
  assert.equal(second!.name, 'second.bin');
  assert.deepEqual(second!.mirrors.map((m) => m.url), ['http://example.com/second.bin']);
  assert.deepEqual(second!.hashes, []);
});

test('what is refused, and said: a DTD or entities, an unknown entity, broken XML, another document, no file, no http link, too big', () => {
  const cases: Array<[string, RegExp]> = [
    [`<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x "y">]><metalink xmlns="urn:ietf:params:xml:ns:metalink"/>`, /declares a DTD or entities/],
    [`<metalink><file name="a"><url>http://a/&xxe;</url></file></metalink>`, /unknown entity &xxe;/],
    [`<metalink><file name="a"><url>http://a/</file></metalink>`, /not well-formed XML/],
    [`<metalink><file name="a"></metalink>`, /not well-formed XML/],
    [`<rss><file name="a"/></rss>`, /is <rss>, not a Metalink 4/],
    [`<metalink xmlns="urn:ietf:params:xml:ns:metalink"></metalink>`, /describes no file/],
    [`<metalink><file name="a"><url>ftp://a/x</url></file></metalink>`, /no http or https link for a/],
    [`<metalink><file name=".."><url>http://a/x</url></file></metalink>`, /no usable name/],
    [`<metalink>${' '.repeat(1 << 20)}</metalink>`, /larger than 1 MiB/],
  ];
  for (const [text, message] of cases) assert.throws(() => parseMetalink(text), (error: Error) => error instanceof MetalinkError && message.test(error.message), text.slice(0, 80));
});

test('RFC 6249 Link headers: rel=duplicate URLs by pri, resolved, http(s) only, without credentials, no other relations', () => {
  const header = [
    '<http://mirror-b.example/f.iso>; rel=duplicate; pri=2; geo=de',
    '<//mirror-a.example/f.iso>; rel="duplicate"; pri=1',
    '<ftp://ftp.example/f.iso>; rel=duplicate; pri=1',
    '<https://u:p@secret.example/f.iso>; rel=duplicate',
    '<http://example.com/f.iso.meta4>; rel=describedby; type="application/metalink4+xml"',
    '<../other/f.iso>; rel=duplicate',
  ].join(', ');
  assert.deepEqual(duplicateLinks(header, 'https://example.com/pub/f.iso'), ['https://mirror-a.example/f.iso', 'http://mirror-b.example/f.iso', 'https://example.com/other/f.iso']);
  assert.deepEqual(duplicateLinks(undefined, 'https://example.com/'), []);
});
