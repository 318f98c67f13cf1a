/**
 * A queue with every kind of row in it, on real servers: finished and verified, finished with
 * only its SHA-256 recorded, a mismatch, a failure, downloads that keep moving, one waiting and
 * one paused. The layout checks and the screenshots are taken of it.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from '@playwright/test';
import { FaultServer, randomBytesOf } from '../support/fault-server';
import { type Nginx, startNginx } from '../support/nginx';
import { expect } from './fixtures';

/** Small files that finish at once. */
export const FINISHED = { verified: 'libreoffice-24.8-manual.pdf', recorded: 'podcast-episode-112.mp3' };
/** Big files (sparse, so they cost no disk here) served slowly enough to keep moving for minutes. */
export const MOVING = ['ubuntu-24.04.1-desktop-amd64.iso', 'Fedora-Workstation-Live-x86_64-41-1.4-with-a-long-name.iso', 'debian-12.7.0-amd64-netinst.iso', 'holiday-photos-2024.tar.zst'];
/** Beyond the four that move at once: these wait their turn (one of them gets paused). */
export const WAITING = ['openstreetmap-europe-latest.osm.pbf', 'dataset-2024-q3.csv.gz'];
export const MISMATCH = 'router-firmware-v2.3.1.bin';
export const FAILED = 'quarterly-report-2024-q3.pdf';

const sizes: Record<string, number> = {
  'ubuntu-24.04.1-desktop-amd64.iso': 6_114_656_256,
  'Fedora-Workstation-Live-x86_64-41-1.4-with-a-long-name.iso': 2_623_733_760,
  'debian-12.7.0-amd64-netinst.iso': 661_651_456,
  'holiday-photos-2024.tar.zst': 1_288_490_188,
  'openstreetmap-europe-latest.osm.pbf': 3_221_225_472,
  'dataset-2024-q3.csv.gz': 734_003_200,
};

export interface SceneServers {
  fast: Nginx;
  slow: Nginx;
  faults: FaultServer;
  /** The body and SHA-256 of each small file. */
  bodies: Record<string, Buffer>;
  stop(): Promise<void>;
}

export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
export const rowNamed = (page: Page, name: string) => page.getByRole('row', { name: new RegExp(name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) });

/** nginx twice (at full speed, and at `rate` per download) and the fault server, over one folder. */
export async function startSceneServers(rate: string): Promise<SceneServers> {
  const www = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-e2e-scene-'));
  const bodies = { [FINISHED.verified]: randomBytesOf(2_400_000, 61), [FINISHED.recorded]: randomBytesOf(3_100_000, 62) };
  for (const [name, body] of Object.entries(bodies)) fs.writeFileSync(path.join(www, name), body);
  for (const [name, size] of Object.entries(sizes)) {
    fs.closeSync(fs.openSync(path.join(www, name), 'w'));
    fs.truncateSync(path.join(www, name), size);
  }
  const fast = await startNginx(www);
  const slow = await startNginx(www, { limitRate: rate });
  const faults = await new FaultServer().start();
  return {
    fast,
    slow,
    faults,
    bodies,
    stop: async () => {
      await Promise.all([fast.stop(), slow.stop(), faults.stop()]);
      fs.rmSync(www, { recursive: true, force: true });
    },
  };
}

/** Adds downloads through the window's Add dialog, as a person would. */
export async function addLinks(page: Page, urls: string[], checksum?: string): Promise<void> {
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Add downloads' });
  await dialog.getByLabel('Links').fill(urls.join('\n'));
  if (checksum) await dialog.getByLabel('Checksum (optional)').fill(checksum);
  await dialog.getByRole('button', { name: 'Start' }).click();
  await expect(dialog).toBeHidden();
}

/** One finished with a matching checksum (Verified), one without (SHA-256 recorded). */
export async function addFinished(page: Page, servers: SceneServers): Promise<void> {
  await addLinks(page, [servers.fast.url(FINISHED.verified)], `sha256:${sha256(servers.bodies[FINISHED.verified]!)}`);
  await addLinks(page, [servers.fast.url(FINISHED.recorded)]);
  await expect(rowNamed(page, FINISHED.verified).getByText('✓ Verified')).toBeVisible({ timeout: 20_000 });
  await expect(rowNamed(page, FINISHED.recorded).getByText('SHA-256 recorded')).toBeVisible({ timeout: 20_000 });
}

/** A server that corrupts a byte of a file whose digest it announces: Mismatch. */
export async function addMismatch(page: Page, servers: SceneServers): Promise<void> {
  const body = randomBytesOf(1_800_000, 63);
  const corrupt = (b: Buffer): Buffer => {
    const copy = Buffer.from(b);
    copy[1000] = copy[1000]! ^ 0xff;
    return copy;
  };
  const digest = createHash('sha256').update(body).digest('base64');
  const url = servers.faults.serve(`/firmware/${MISMATCH}`, { body, etag: '"fw1"', headers: { 'repr-digest': `sha-256=:${digest}:` } }, [{ replaceBody: corrupt }, { replaceBody: corrupt }]);
  await addLinks(page, [url]);
  await expect(rowNamed(page, MISMATCH).getByText('Mismatch')).toBeVisible({ timeout: 20_000 });
}

/** A link that answers 404: Failed, with the reason. */
export async function addFailed(page: Page, servers: SceneServers): Promise<void> {
  const url = servers.faults.serve(`/reports/${FAILED}`, { body: randomBytesOf(50_000, 64), etag: '"r"' }, [{ status: 404 }, { status: 404 }, { status: 404 }]);
  await addLinks(page, [url]);
  await expect(rowNamed(page, FAILED).getByText('Failed')).toBeVisible({ timeout: 20_000 });
}

/** Four that move, then two that wait; the last one is paused. Returns once bytes flow. */
export async function addMoving(page: Page, servers: SceneServers): Promise<void> {
  await addLinks(page, [...MOVING, ...WAITING].map((name) => servers.slow.url(name)));
  for (const name of MOVING) await expect(rowNamed(page, name).getByText('Downloading')).toBeVisible({ timeout: 20_000 });
  const paused = rowNamed(page, WAITING[1]!);
  await paused.getByRole('button', { name: 'Pause' }).click();
  await expect(paused.getByText('Paused')).toBeVisible();
  await expect(page.getByRole('region', { name: 'Summary' }).getByLabel('Total speed')).not.toHaveText(/^0 B\/s$/, { timeout: 10_000 });
}
