import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytesOf, sha256 } from '../support/fault-server';
import { NEEDS_NGINX, type Nginx, startNginx } from '../support/nginx';
import { expect, test } from './fixtures';

/** Issue 15: "Change link…" on a paused download, in the window: refused with its reason, then taken. */
const www = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-e2e-relink-'));
const body = randomBytesOf(3 << 20, 80);
fs.mkdirSync(path.join(www, 'old'));
fs.mkdirSync(path.join(www, 'mirror'));
fs.writeFileSync(path.join(www, 'old', 'image.iso'), body);
fs.writeFileSync(path.join(www, 'mirror', 'image.iso'), body);
fs.writeFileSync(path.join(www, 'mirror', 'other.iso'), randomBytesOf(3 << 20, 81));

let slow: Nginx;
test.skip(NEEDS_NGINX !== false, String(NEEDS_NGINX));
test.beforeAll(async () => {
  slow = await startNginx(www, { limitRate: '600k' });
});
test.afterAll(async () => {
  await slow.stop();
});

test('Change link… on a paused download: a link to other bytes is refused with its reason and nothing changes; a mirror of the same file is taken and the download finishes from its bytes', async ({ app, served }) => {
  await app.getByRole('button', { name: 'Add', exact: true }).click();
  await app.getByLabel('Links').fill(slow.url('old/image.iso'));
  await app.getByRole('button', { name: 'Start' }).click();
  const row = app.getByRole('row', { name: /image\.iso/ });
  // Past the first 1 MiB block, so the proof has a recorded block digest to sample.
  await expect(async () => expect(Number(await row.getByRole('progressbar').getAttribute('aria-valuenow'))).toBeGreaterThan(40)).toPass({ timeout: 20_000 });
  await row.getByRole('button', { name: 'Pause' }).click();
  await expect(row.getByText('Paused')).toBeVisible();
  await row.getByRole('button', { name: 'Details' }).click();
  const details = app.getByRole('complementary', { name: /Details of image\.iso/ });

  await details.getByRole('button', { name: 'Change link…' }).click();
  await details.getByLabel('New link').fill(slow.url('mirror/other.iso'));
  await details.getByRole('button', { name: 'Check and continue' }).click();
  await expect(details.getByRole('alert')).toContainText(/the new link was not taken: the new link serves other bytes at .* than the ones held\. The old link and the bytes held are kept\./);
  await expect(row.getByText('Paused')).toBeVisible();

  await details.getByLabel('New link').fill(slow.url('mirror/image.iso'));
  await details.getByRole('button', { name: 'Check and continue' }).click();
  await expect(details.getByRole('status')).toContainText(/New link taken: (the same strong validator \(ETag ".*"\) and the 64.0 KiB before [\d.]+ MiB match|.*recorded block digests match)/);
  await expect(row.getByText('SHA-256 recorded')).toBeVisible({ timeout: 30_000 });
  expect(sha256(fs.readFileSync(path.join(served.downloads, 'image.iso')))).toBe(sha256(body));
  const ranged = slow.log().filter((l) => l.uri === '/mirror/image.iso' && /^bytes=[1-9]\d*-$/.test(l.range));
  expect(ranged.length, 'the mirror was asked to continue past 0').toBe(1);
});
