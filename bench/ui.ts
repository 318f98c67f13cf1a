/**
 * The window under load, in Debian's Chromium against `ferry serve`: 10,000 transfers in the
 * list and 32 moving for 30 s. Reports the renderer main thread's long tasks (over 50 ms),
 * how long the 10,000-row queue takes to appear, and frame times while scrolling through it.
 *
 *   npm run bench:ui          (FERRY_CHROMIUM=/path/to/chrome to use another browser)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium } from '@playwright/test';
import { websocketChannel } from '../electron/cli/serve';
import { createClient } from '../electron/common/rpc';
import { tempDir } from '../test/support/harness';
import { startNginx } from '../test/support/nginx';
import { connect, startServe } from '../test/support/service';
import { prepareQueue } from './support';

const COUNT = 10_000;
const ACTIVE = 32;
const SECONDS = 30;

// The code that runs in the page is given as text: this file is compiled for Node, not the DOM.
const OBSERVE_LONG_TASKS = `
  window.__longTasks = [];
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push(e.duration); })
    .observe({ type: 'longtask', buffered: true });`;
const TAKE_LONG_TASKS = 'window.__longTasks.splice(0)';
/** Scrolls the queue a wheel step per frame for N seconds, bouncing at the ends; returns the frame gaps. */
const SCROLL_AND_TIME_FRAMES = (seconds: number): string => `new Promise((resolve) => {
  const scroller = document.querySelector('.scroller');
  const gaps = [];
  let last = performance.now();
  const end = last + ${seconds} * 1000;
  let direction = 1;
  const step = (now) => {
    gaps.push(now - last);
    last = now;
    scroller.scrollTop += direction * 240;
    if (scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 1) direction = -1;
    if (scroller.scrollTop <= 0) direction = 1;
    if (now < end) requestAnimationFrame(step); else resolve(gaps.slice(1));
  };
  requestAnimationFrame(step);
})`;

async function main(): Promise<void> {
  const dataDir = tempDir('ferry-bench-data-');
  await prepareQueue(dataDir, COUNT);
  const www = tempDir('ferry-bench-www-');
  for (let i = 0; i < ACTIVE; i++) fs.writeFileSync(path.join(www, `moving-${i}.iso`), Buffer.alloc(5 << 20, i));
  // 160 KiB/s each: 5 MiB lasts a little over 30 s.
  const nginx = await startNginx(www, { limitRate: '160k' });
  const serve = await startServe(dataDir);
  const browser = await chromium.launch({ executablePath: process.env.FERRY_CHROMIUM ?? '/usr/bin/chromium' });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.addInitScript(OBSERVE_LONG_TASKS);
    const opened = performance.now();
    await page.goto(serve.url.href);
    await page.getByRole('row', { name: /file-00000/ }).waitFor();
    const firstPaint = performance.now() - opened;
    const loadTasks = (await page.evaluate(TAKE_LONG_TASKS)) as number[];

    // 32 downloads start moving while the 10,000 sit in the list.
    const ws = await connect(serve, { token: serve.token });
    if (typeof ws === 'number') throw new Error(`refused: ${ws}`);
    const client = createClient(websocketChannel(ws));
    await client.setSettings({ maxActive: ACTIVE, maxPerHost: ACTIVE });
    const added = await client.addDownloads({ urls: Array.from({ length: ACTIVE }, (_, i) => nginx.url(`moving-${i}.iso`)), dir: tempDir('ferry-bench-dl-') });
    if (!added.ok) throw new Error(added.error.message);
    await page.getByText(`${ACTIVE} active`, { exact: true }).waitFor();

    // Scroll up and down the list for the whole run, a wheel step per frame, timing frames.
    const frames = (await page.evaluate(SCROLL_AND_TIME_FRAMES(SECONDS))) as number[];
    const runTasks = (await page.evaluate(TAKE_LONG_TASKS)) as number[];
    const moving = await page.locator('.summary-counts').innerText();
    frames.sort((a, b) => a - b);
    const pct = (p: number): number => frames[Math.min(frames.length - 1, Math.floor((p / 100) * frames.length))]!;
    const over = (ms: number): number => frames.filter((f) => f > ms).length;
    process.stdout.write(
      [
        `window with ${COUNT.toLocaleString('en')} transfers (+${ACTIVE} moving), Chromium ${browser.version()}:`,
        `  first rows on screen ${firstPaint.toFixed(0)} ms after navigation; long tasks while loading: ${loadTasks.length ? loadTasks.map((t) => `${t.toFixed(0)} ms`).join(', ') : 'none'}`,
        `  ${SECONDS} s of scrolling with ${ACTIVE} moving: ${runTasks.length} long tasks over 50 ms${runTasks.length ? ` (longest ${Math.max(...runTasks).toFixed(0)} ms)` : ''}`,
        `  frames: ${frames.length} (${(frames.length / SECONDS).toFixed(0)}/s), median ${pct(50).toFixed(1)} ms, p95 ${pct(95).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms, max ${pct(100).toFixed(1)} ms, ${over(50)} over 50 ms`,
        `  at the end: ${moving.replace(/\n/g, ', ')}`,
      ].join('\n') + '\n',
    );
    client.dispose();
    ws.close();
  } finally {
    await browser.close();
    await serve.stop();
    await nginx.stop();
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
