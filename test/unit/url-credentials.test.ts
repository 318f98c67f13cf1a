import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { redactCredentials, splitCredentials } from '../../electron/engine/http/url-credentials';

const basic = (credentials: string): string => `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;

describe('user:pass@ in a URL, as curl reads it', () => {
  test('a URL without user information is kept exactly as given', () => {
    assert.deepEqual(splitCredentials('http://127.0.0.1:8080/a%20b?x=1#f'), { url: 'http://127.0.0.1:8080/a%20b?x=1#f', authorization: null });
  });

  test('user and password become Basic auth and leave the URL, user name included', () => {
    assert.deepEqual(splitCredentials('https://alice:pw@example.com/dir/file.iso?sig=1'), {
      url: 'https://example.com/dir/file.iso?sig=1',
      authorization: basic('alice:pw'),
    });
  });

  test('percent-escapes are decoded (%40 is an @, %3A a colon), UTF-8 included', () => {
    assert.equal(splitCredentials('http://al%40ce:p%3As%40ss@h/x').authorization, basic('al@ce:p:s@ss'));
    assert.equal(splitCredentials('http://j%C3%B6rg:pw@h/x').authorization, basic('jörg:pw'));
  });

  test('a user without a password sends an empty one; a stray % is sent as typed', () => {
    assert.deepEqual(splitCredentials('http://bob@h/x'), { url: 'http://h/x', authorization: basic('bob:') });
    assert.equal(splitCredentials('http://bob:100%@h/x').authorization, basic('bob:100%'));
  });

  test('text that is not a URL passes through for the caller to refuse', () => {
    assert.deepEqual(splitCredentials('not a url'), { url: 'not a url', authorization: null });
  });

  test('redaction masks the user information of text bound for a message', () => {
    assert.equal(redactCredentials('ftp://alice:pw@example.com/x'), 'ftp://***@example.com/x');
    assert.equal(redactCredentials('http://exa mple.com/a@b'), 'http://exa mple.com/a@b');
    assert.equal(redactCredentials('https://example.com/x'), 'https://example.com/x');
  });
});
