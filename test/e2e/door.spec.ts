import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytesOf, sha256 } from '../support/fault-server';
import { resultOf, runCli } from '../support/cli';
import { NEEDS_NGINX, type Nginx, startNginx } from '../support/nginx';
import { expect, test } from './fixtures';

/** Issue 16, must fix 3: the CLI while Ferry runs hands its work to it, and the window shows it moving. */
const www = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-e2e-door-'));
const body = randomBytesOf(2 << 20, 60);
fs.writeFileSync(path.join(www, 'from-the-cli.bin'), body);

let slow: Nginx;
test.skip(NEEDS_NGINX !== false, String(NEEDS_NGINX));
test.beforeAll(async () => {
  slow = await startNginx(www, { limitRate: '400k' });
});
test.afterAll(async () => {
  await slow.stop();
});

test('ferry get while ferry serve runs hands the download over: the open window shows it moving, and the CLI exits 0 with its normal result line', async ({ app, served }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-e2e-door-dl-'));
  const running = runCli(['get', slow.url('from-the-cli.bin'), '--dir', dir, '--data-dir', served.dataDir, '--json']);
  const row = app.getByRole('row', { name: /from-the-cli\.bin/ });
  await expect(row.getByText('Downloading')).toBeVisible({ timeout: 15_000 });
  const run = await running;
  expect(run.code, run.stderr).toBe(0);
  expect(run.stderr).toMatch(/Ferry is already running on this data directory \(ferry serve, pid \d+\); handing this over to it\./);
  const result = resultOf(run);
  expect(result).toMatchObject({ type: 'result', direction: 'download', state: 'completed', bytes: body.length, sha256: sha256(body), path: path.join(dir, 'from-the-cli.bin') });
  await expect(row.getByText('SHA-256 recorded')).toBeVisible();
});
