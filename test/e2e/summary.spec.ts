/**
 * The summary bar while 300 small files upload: it is read at every change it makes (a
 * MutationObserver in the page records each state), and no state may contradict itself.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from '@playwright/test';
import { randomBytesOf } from '../support/fault-server';
import { type TusTestServer, startTusServer } from '../support/tus-servers';
import { expect, screenshot, test } from './fixtures';

const FILES = 300;

/** What the summary bar and the All tab say at one instant. */
interface Reading {
  counts: string;
  progress: string;
  percent: string | null;
  /** The bar's fill: its width, and whether it shows movement of unknown extent. */
  fill: string;
  indeterminate: boolean;
  all: string;
}

/** Everything one reading says that its other parts contradict (empty when it holds together). */
function contradictions(r: Reading, files: number): string[] {
  const count = (word: string): number => Number(new RegExp(`(\\d+) ${word}`).exec(r.counts)?.[1] ?? 0);
  const [active, waiting, paused, completed, failed] = ['active', 'waiting', 'paused', 'completed', 'failed'].map(count) as [number, number, number, number, number];
  const left = active + waiting + paused;
  const found: string[] = [];
  const shown = `${r.counts} | ${r.progress} | bar ${r.fill}${r.indeterminate ? ' (moving)' : ''} | All ${r.all}`;
  if (active + waiting + paused + completed + failed !== Number(r.all)) found.push(`the counts do not add up to All: ${shown}`);
  if (left > 0 && /Nothing left|finished$/.test(r.progress)) found.push(`says it is over while ${left} are left: ${shown}`);
  if (left === 0 && Number(r.all) > 0 && !/Nothing left|finished/.test(r.progress)) found.push(`nothing is left but it does not say so: ${shown}`);
  // Once bytes have moved (a transfer finished, or the words count bytes held), the bar shows it.
  const moved = completed > 0 || /^[1-9][\d.]* [KMG]?i?B of/.test(r.progress);
  if (moved && parseFloat(r.fill) === 0 && !r.indeterminate) found.push(`the bar is empty although bytes have moved: ${shown}`);
  const percent = /\((\d+)%\)/.exec(r.progress)?.[1];
  if (percent !== undefined && r.percent !== percent) found.push(`the words say ${percent}% and the bar ${r.percent}%: ${shown}`);
  if (Number(r.all) > files) found.push(`more transfers than files: ${shown}`);
  return found;
}

let tus: TusTestServer;
test.beforeAll(async () => {
  tus = await startTusServer('tus-server');
});
test.afterAll(async () => {
  await tus.stop();
});

/** Starts recording every state of the summary bar (and the All tab's count) in the page. */
async function recordSummary(page: Page): Promise<void> {
  await page.evaluate(() => {
    const summary = document.querySelector('.summary')!;
    const readings: Reading[] = [];
    const read = (): void => {
      const fill = summary.querySelector('.summary-progress .bar-fill') as HTMLElement | null;
      const reading = {
        counts: [...summary.querySelectorAll('.summary-counts > span')].map((s) => s.textContent).join(', '),
        progress: summary.querySelector('.summary-progress > span')?.textContent ?? '',
        percent: summary.querySelector('[role=progressbar]')?.getAttribute('aria-valuenow') ?? null,
        fill: fill?.style.width ?? '',
        indeterminate: fill?.classList.contains('indeterminate') ?? false,
        all: document.querySelector('[role=tab] .count')?.textContent ?? '',
      };
      const last = readings.at(-1);
      if (!last || JSON.stringify(last) !== JSON.stringify(reading)) readings.push(reading);
    };
    read();
    new MutationObserver(read).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    (window as unknown as { summaryReadings: Reading[] }).summaryReadings = readings;
  });
}

const readings = (page: Page): Promise<Reading[]> => page.evaluate(() => (window as unknown as { summaryReadings: Reading[] }).summaryReadings);

test('300 small files upload: the summary bar never contradicts itself, and ends with all of them finished', async ({ app }) => {
  test.setTimeout(120_000);
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-e2e-many-'));
  fs.mkdirSync(path.join(folder, 'photos'));
  for (let i = 0; i < FILES; i++) fs.writeFileSync(path.join(folder, 'photos', `img-${String(i).padStart(4, '0')}.jpg`), randomBytesOf(2_000 + ((i * 7919) % 60_000), 100 + i));

  await app.getByRole('button', { name: 'Settings' }).click();
  const settings = app.getByRole('dialog', { name: 'Settings' });
  await settings.getByRole('button', { name: 'Add destination' }).click();
  await settings.getByLabel('Name').fill('Photo server');
  await settings.getByLabel('URL').fill(tus.endpoint);
  await settings.getByRole('button', { name: 'Save' }).click();
  await expect(settings).toBeHidden();

  await recordSummary(app);
  await app.getByRole('button', { name: 'Upload', exact: true }).click();
  const upload = app.getByRole('dialog', { name: 'Upload files' });
  await upload.getByLabel(/Files or folders/).fill(path.join(folder, 'photos'));
  await upload.getByRole('button', { name: 'Upload' }).click();
  await expect(upload).toBeHidden();
  await expect(app.getByRole('region', { name: 'Summary' }).getByText(`${FILES} completed`)).toBeVisible({ timeout: 90_000 });
  await screenshot(app, 'summary-many-uploads-done');

  const seen = await readings(app);
  expect(seen.length, 'the bar was read all along the way').toBeGreaterThan(10);
  expect(seen.filter((r) => /\d+ active/.test(r.counts) && !/^0 active/.test(r.counts)).length, 'it was read while uploads moved').toBeGreaterThan(5);
  expect(seen.flatMap((r) => contradictions(r, FILES))).toEqual([]);
  // At the end: all of them finished, in the counts, the words and the bar.
  const summary = app.getByRole('region', { name: 'Summary' });
  await expect(summary.getByText(`All ${FILES} finished`)).toBeVisible();
  await expect(summary.getByText('0 active')).toBeVisible();
  await expect(summary.getByText('0 waiting')).toBeVisible();
  await expect(summary.getByRole('progressbar', { name: 'Overall progress' })).toHaveAttribute('aria-valuenow', '100');
  expect(tus.storedDigests()).toHaveLength(FILES);
  fs.rmSync(folder, { recursive: true, force: true });
});
