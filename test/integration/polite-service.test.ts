import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FaultServer, randomBytesOf } from '../support/fault-server';
import { tempDir } from '../support/harness';
import { ipcFixture, until, value } from '../support/service';

/** Issue 15 through the service contract: time windows in Settings, host limits in the details. */
let server: FaultServer;
before(async () => {
  server = await new FaultServer().start();
});
after(async () => {
  await server.stop();
});

test('active hours and a bandwidth schedule are settings: checked, kept across a restart', async () => {
  const dataDir = tempDir('ferry-data-');
  const f = await ipcFixture(dataDir);
  try {
    const activeHours = [{ days: ['mon' as const, 'tue' as const], from: '22:00', to: '07:00' }];
    const bandwidthSchedule = [{ days: ['sat' as const], from: '09:00', to: '18:00', rate: 1 << 20 }];
    const saved = value(await f.client.setSettings({ activeHours, bandwidthSchedule }));
    assert.deepEqual({ activeHours: saved.activeHours, bandwidthSchedule: saved.bandwidthSchedule }, { activeHours, bandwidthSchedule });
    const same = await f.client.setSettings({ activeHours: [{ days: ['mon'], from: '08:00', to: '08:00' }] });
    assert.equal(same.ok, false);
    assert.deepEqual(same.ok ? null : { code: same.error.code, field: same.error.field }, { code: 'invalid-argument', field: 'activeHours[0]' });
    assert.match(same.ok ? '' : same.error.message, /for a whole day write 00:00-24:00/);
    const badTime = await f.client.setSettings({ bandwidthSchedule: [{ days: ['mon'], from: '9:00', to: '18:00', rate: null }] });
    assert.equal(badTime.ok ? null : badTime.error.code, 'invalid-argument');
  } finally {
    await f.close();
  }
  const again = await ipcFixture(dataDir);
  try {
    const settings = value(await again.client.getSettings());
    assert.deepEqual(settings.activeHours, [{ days: ['mon', 'tue'], from: '22:00', to: '07:00' }]);
    assert.equal(settings.bandwidthSchedule[0]?.rate, 1 << 20);
    value(await again.client.setSettings({ activeHours: [], bandwidthSchedule: [] }));
  } finally {
    await again.close();
  }
});

test('the details of a download say how many connections its host allows', async () => {
  const f = await ipcFixture();
  try {
    // A 429 to the only request: the host allows one at a time for now.
    const url = server.serve('/polite-service/file.bin', { body: randomBytesOf(256 << 10, 61), etag: '"p1"' }, [{ status: 429, headers: { 'retry-after': '0' } }]);
    const { ids } = value(await f.client.addDownloads({ urls: [url], dir: f.downloadDir }));
    await until(() => f.rows().get(ids[0]!)?.state === 'completed', 'the download to complete');
    const details = value(await f.client.details({ id: ids[0]! }));
    assert.equal(details.hostLimits.length, 1);
    assert.match(details.hostLimits[0]!.message, /^127\.0\.0\.1:\d+ allows 1 connection \(it asked Ferry to slow down/);
    assert.equal(details.hostLimits[0]!.reason, 'rate-limited');
  } finally {
    await f.close();
  }
});
