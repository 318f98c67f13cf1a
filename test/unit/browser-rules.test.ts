/** The extension's capture rules (browser/src/rules.ts), as data. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_RULES, type Rules, cookieHeader, decide, extensionOf, readRules } from '../../browser/src/rules';

const download = { url: 'https://files.example.com/a/b/setup.iso?x=1', referrer: 'https://www.example.org/page', filename: '', incognito: false, totalBytes: 5_000_000 };
const rules = (extra: Partial<Rules>): Rules => ({ ...DEFAULT_RULES, ...extra });

test('by default every http(s) download is captured; off, bypassed, private or not http(s) ones stay in the browser', () => {
  assert.deepEqual(decide(download, DEFAULT_RULES, false), { capture: true });
  assert.deepEqual(decide(download, rules({ enabled: false }), false), { capture: false, reason: 'capture is off' });
  assert.deepEqual(decide(download, DEFAULT_RULES, true), { capture: false, reason: 'the bypass key was held' });
  assert.deepEqual(decide({ ...download, incognito: true }, DEFAULT_RULES, false), { capture: false, reason: 'a private window keeps its downloads' });
  assert.equal(decide({ ...download, url: 'blob:https://x/1' }, DEFAULT_RULES, false).capture, false);
  assert.equal(decide({ ...download, url: 'data:text/plain,hi' }, DEFAULT_RULES, false).capture, false);
});

test('minimum size (when known), file types, and sites always or never captured', () => {
  assert.equal(decide(download, rules({ minSizeBytes: 10_000_000 }), false).capture, false);
  assert.equal(decide({ ...download, totalBytes: -1 }, rules({ minSizeBytes: 10_000_000 }), false).capture, true, 'an unknown size is captured');
  assert.equal(decide(download, rules({ fileTypes: ['zip'] }), false).capture, false);
  assert.equal(decide(download, rules({ fileTypes: ['iso'] }), false).capture, true);
  assert.equal(decide({ ...download, filename: '/home/a/Downloads/x.ZIP' }, rules({ fileTypes: ['zip'] }), false).capture, true);
  assert.equal(decide(download, rules({ neverSites: ['example.com'] }), false).capture, false, 'a subdomain of a never site');
  assert.equal(decide(download, rules({ neverSites: ['example.org'] }), false).capture, false, 'the page\'s site counts too');
  assert.equal(decide(download, rules({ neverSites: ['ample.com'] }), false).capture, true, 'not a suffix match on letters');
  assert.equal(decide(download, rules({ alwaysSites: ['files.example.com'], minSizeBytes: 10_000_000, fileTypes: ['zip'] }), false).capture, true);
  assert.equal(decide(download, rules({ alwaysSites: ['example.com'], neverSites: ['example.com'] }), false).capture, false, 'never wins');
});

test('stored rules are made whole; sites and types are normalised', () => {
  assert.deepEqual(readRules(undefined), DEFAULT_RULES);
  assert.deepEqual(readRules({ enabled: false, minSizeBytes: -5, fileTypes: ['.ZIP', '*.iso', 3, ''], alwaysSites: ['https://Www.Example.com/x', '*.a.org', 'b.net:8080'], bypassKey: 'hyper' }), {
    ...DEFAULT_RULES,
    enabled: false,
    fileTypes: ['zip', 'iso'],
    alwaysSites: ['www.example.com', 'a.org', 'b.net'],
  });
  assert.equal(extensionOf('', 'https://x/y/file.tar.gz?z'), 'gz');
  assert.equal(extensionOf('', 'https://x/y/'), null);
  assert.equal(cookieHeader([{ name: 'a', value: '1' }, { name: '', value: 'bare' }, { name: 'b', value: '2' }]), 'a=1; bare; b=2');
});
