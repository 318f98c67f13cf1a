import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COMMANDS } from '../../electron/common/service';
import { array, httpUrl, integer, object, optional, string, validate } from '../../electron/common/schema';

test('a schema names the field that is wrong and what it wanted', () => {
  const s = object({ urls: array(httpUrl(), { min: 1, max: 3 }), dir: optional(string({ max: 10 })), n: optional(integer(1, 5)) });
  assert.deepEqual(validate(s, { urls: ['https://a.example/x'] }), { ok: true, value: { urls: ['https://a.example/x'], dir: null, n: null } });
  const bad = validate(s, { urls: ['https://a.example/x', 'file:///etc/passwd'] });
  assert.ok(!bad.ok);
  assert.equal(bad.error.at, 'urls[1]');
  assert.match(bad.error.message, /^urls\[1\] must be an http or https URL .*; got "file:\/\/\/etc\/passwd"$/);
  const extra = validate(s, { urls: ['https://a.example/x'], durl: 'x' });
  assert.ok(!extra.ok && extra.error.at === 'durl', 'a misspelt field is refused, not ignored');
  const big = validate(s, { urls: ['https://a.example/x'], n: 6 });
  assert.ok(!big.ok && /from 1 to 5; got 6/.test(big.error.message));
});

test('values that are not plain data are refused: prototypes, NUL, NaN, nested arrays where objects go', () => {
  const s = object({ name: string({ max: 20 }) });
  for (const value of [null, [], 'x', 1, new Date(), Object.create({ name: 'inherited' }), { name: 'a\0b' }, { name: NaN }, { name: ['a'] }]) {
    assert.equal(validate(s, value).ok, false, `accepted ${String(value)}`);
  }
  // JSON.parse makes "__proto__" an own field: it is an unknown field like any other.
  assert.equal(validate(s, JSON.parse('{"name":"a","__proto__":{"x":1}}')).ok, false);
});

test('every command has a schema, and an argument-less command accepts nothing else', () => {
  assert.ok(Object.keys(COMMANDS).length >= 17);
  assert.equal(validate(COMMANDS.pauseAll, null).ok, true);
  assert.equal(validate(COMMANDS.pauseAll, undefined).ok, true);
  assert.equal(validate(COMMANDS.pauseAll, {}).ok, false);
  assert.equal(validate(COMMANDS.remove, { ids: ['a'] }).ok, false, 'deleteFiles must be said explicitly');
});

test('an error never repeats a value that may be a secret: a header value, a URL password', () => {
  const header = validate(COMMANDS.addDownloads, { urls: ['https://a.example/x'], headers: 'Cookie: s3cret' });
  assert.equal(header.ok, false);
  assert.doesNotMatch((header as { error: Error }).error.message, /s3cret/);
  assert.match((header as { error: Error }).error.message, /a string of 14 characters/);
  const url = validate(COMMANDS.addDownloads, { urls: ['ftp://me:hunter2@a.example/x'] });
  assert.equal(url.ok, false);
  assert.doesNotMatch((url as { error: Error }).error.message, /hunter2/);
  assert.match((url as { error: Error }).error.message, /ftp:\/\/me:\*\*\*@a\.example/);
});
