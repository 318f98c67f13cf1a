/**
 * Stock Firefox (Debian's firefox-esr), driven over WebDriver BiDi with nothing but a
 * WebSocket: Playwright drives only its own patched Firefox, and no browser is ever
 * downloaded. Firefox listens for BiDi with `--remote-debugging-port`; the commands used
 * here (session.new, webExtension.install, browsingContext.*, script.evaluate,
 * input.performActions) and the download events are those Firefox 153 ESR implements.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import WebSocket from 'ws';

/** The Firefox to test with: FERRY_FIREFOX when set, else Debian's firefox-esr, else a firefox; null when none is there. */
export function findFirefox(): string | null {
  const candidates = process.env.FERRY_FIREFOX ? [process.env.FERRY_FIREFOX] : ['/usr/bin/firefox-esr', '/usr/bin/firefox'];
  return candidates.find((c) => fs.existsSync(c)) ?? null;
}

export interface BidiEvent {
  method: string;
  params: Record<string, unknown>;
}

export interface Firefox {
  /** One BiDi command; rejects with Firefox's error. */
  send<T = Record<string, unknown>>(method: string, params?: Record<string, unknown>): Promise<T>;
  /** Every event received so far, in order (subscribe first). */
  events: BidiEvent[];
  /** The top-level browsing context of the first tab. */
  context: string;
  /** What Firefox wrote to stderr and stdout, for a failing test's message. */
  output(): string;
  close(): Promise<void>;
}

export interface FirefoxOptions {
  executable: string;
  /** Firefox's HOME: ~/.mozilla/native-messaging-hosts/ is read from it. */
  home: string;
  profile: string;
  /** Where the browser saves its own downloads, without asking. */
  downloads: string;
}

/** Starts headless Firefox with a fresh profile and opens a BiDi session on it. */
export async function launchFirefox(options: FirefoxOptions): Promise<Firefox> {
  fs.mkdirSync(options.profile, { recursive: true });
  const prefs: Record<string, string | number | boolean> = {
    'browser.download.folderList': 2,
    'browser.download.dir': options.downloads,
    'browser.download.useDownloadDir': true,
    'browser.download.always_ask_before_handling_new_types': false,
    'browser.shell.checkDefaultBrowser': false,
    'browser.startup.homepage_override.mstone': 'ignore',
    'datareporting.policy.dataSubmissionEnabled': false,
    'toolkit.telemetry.reportingpolicy.firstRun': false,
    'app.update.disabledForTesting': true,
    'browser.aboutwelcome.enabled': false,
  };
  fs.writeFileSync(path.join(options.profile, 'user.js'), Object.entries(prefs).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});\n`).join(''));
  const child: ChildProcess = spawn(options.executable, ['--headless', '--no-remote', '--profile', options.profile, '--remote-debugging-port=0'], {
    env: { ...process.env, HOME: options.home, MOZ_CRASHREPORTER_DISABLE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Firefox did not start its BiDi listener in 60 s:\n${output}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => {
      output += d.toString();
      const m = /WebDriver BiDi listening on (ws:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Firefox exited with ${code} before listening:\n${output}`));
    });
  });
  const ws = new WebSocket(`${address}/session`);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let next = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; method: string }>();
  const events: BidiEvent[] = [];
  ws.on('message', (raw: Buffer) => {
    const m = JSON.parse(raw.toString()) as { type: string; id?: number; result?: unknown; error?: string; message?: string; method?: string; params?: Record<string, unknown> };
    if (m.type === 'event') return void events.push({ method: m.method!, params: m.params ?? {} });
    const waiter = m.id === undefined ? undefined : pending.get(m.id);
    if (!waiter) return;
    pending.delete(m.id!);
    if (m.type === 'success') waiter.resolve(m.result);
    else waiter.reject(new Error(`${waiter.method}: ${m.error}: ${m.message}`));
  });
  const send = <T>(method: string, params: Record<string, unknown> = {}): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject, method });
      ws.send(JSON.stringify({ id, method, params }));
    });
  await send('session.new', { capabilities: {} });
  const tree = await send<{ contexts: Array<{ context: string }> }>('browsingContext.getTree', { maxDepth: 0 });
  return {
    send,
    events,
    context: tree.contexts[0]!.context,
    output: () => output,
    close: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        await send('browser.close').catch(() => undefined);
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      ws.close();
    },
  };
}

/** A real mouse click (BiDi input) in the middle of the element `selector` of the context's page. */
export async function click(firefox: Firefox, context: string, selector: string): Promise<void> {
  const at = await firefox.send<{ result: { type: string; value?: string } }>('script.evaluate', {
    target: { context },
    awaitPromise: false,
    expression: `(() => { const r = document.querySelector(${JSON.stringify(selector)}).getBoundingClientRect(); return JSON.stringify([r.x + r.width / 2, r.y + r.height / 2]); })()`,
  });
  const [x, y] = JSON.parse(at.result.value!) as [number, number];
  await firefox.send('input.performActions', {
    context,
    actions: [
      {
        type: 'pointer',
        id: 'mouse',
        parameters: { pointerType: 'mouse' },
        actions: [
          { type: 'pointerMove', x: Math.round(x), y: Math.round(y) },
          { type: 'pointerDown', button: 0 },
          { type: 'pointerUp', button: 0 },
        ],
      },
    ],
  });
}
