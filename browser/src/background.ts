/**
 * Ferry's extension, in the background (DESIGN.md section 11): a download the browser
 * starts is held, handed to Ferry through the native host with its session (cookies,
 * referrer, user agent), then cancelled and erased from the browser's list. When Ferry
 * cannot be reached the browser's download goes on as usual and the popup says why.
 * The extension speaks to Ferry only through native messaging; it never opens a connection.
 */
import { type CapturedDownload, HOST_NAME, type HostCommand, type HostInput, type HostReply } from '../../electron/common/browser-capture';
import { PROBLEM_KEY, type PageMessage, type PopupStatus, type Problem, RULES_KEY } from './messages';
import { type Rules, cookieHeader, decide, readRules } from './rules';

let nextId = 1;

/** One request to the host (a fresh host process per request: nothing to keep alive in a service worker). */
export async function ask<K extends HostCommand>(method: K, arg?: HostInput<K>): Promise<HostReply<K>> {
  const id = nextId++;
  try {
    const reply = (await chrome.runtime.sendNativeMessage(HOST_NAME, arg === undefined ? { id, method } : { id, method, arg })) as HostReply<K> | undefined;
    if (reply && typeof reply === 'object' && typeof reply.ok === 'boolean') return reply;
    return { id, ok: false, error: { code: 'internal', message: 'Ferry\'s helper gave no answer' } };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return {
      id,
      ok: false,
      error: { code: 'not-running', message: `Ferry's helper could not be started (${why}). Install it with: ferry browser install` },
    };
  }
}

async function rules(): Promise<Rules> {
  return readRules((await chrome.storage.local.get(RULES_KEY))[RULES_KEY]);
}

async function noteProblem(problem: Problem | null): Promise<void> {
  await chrome.storage.local.set({ [PROBLEM_KEY]: problem });
  await chrome.action.setBadgeText({ text: problem ? '!' : '' }).catch(() => undefined);
  if (problem) await chrome.action.setBadgeBackgroundColor({ color: '#b3261e' }).catch(() => undefined);
}

async function showEnabled(enabled: boolean): Promise<void> {
  await chrome.action.setTitle({ title: enabled ? 'Ferry: capturing downloads' : 'Ferry: capture is off' }).catch(() => undefined);
  if (!enabled) await chrome.action.setBadgeText({ text: 'off' }).catch(() => undefined);
  else await chrome.action.setBadgeText({ text: '' }).catch(() => undefined);
}

/** The browser's cookies for `url`, as its Cookie header (null when none). */
async function cookiesFor(url: string): Promise<string | null> {
  try {
    const header = cookieHeader(await chrome.cookies.getAll({ url }));
    return header === '' ? null : header;
  } catch {
    return null;
  }
}

/** Hands downloads to Ferry with their session. The answer says whether Ferry took them. */
async function handOver(downloads: Array<Omit<CapturedDownload, 'cookies'>>): Promise<HostReply<'capture'>> {
  const withSession = await Promise.all(downloads.map(async (d) => ({ ...d, cookies: await cookiesFor(d.url) })));
  const reply = await ask('capture', { downloads: withSession, userAgent: navigator.userAgent });
  if (reply.ok) await noteProblem(null);
  else await noteProblem({ at: Date.now(), message: reply.error.message, url: downloads.length === 1 ? downloads[0]!.url : null });
  return reply;
}

// ---------------------------------------------------------------- capture

/** Until when a click with the bypass key lets the next download through. */
let bypassUntil = 0;
/** URLs the extension itself asked the browser to download (a fallback): never captured. */
const ourOwn = new Set<string>();
/** Per download: whether Ferry took it (settled once decided). */
const decisions = new Map<number, Promise<boolean>>();

const baseName = (filename: string): string | null => filename.split(/[\\/]/).pop() || null;

async function captureDownload(item: chrome.downloads.DownloadItem): Promise<boolean> {
  if (item.byExtensionId === chrome.runtime.id || ourOwn.delete(item.url)) return false;
  const bypass = Date.now() < bypassUntil;
  if (bypass) bypassUntil = 0;
  const decision = decide({ ...item, finalUrl: item.finalUrl, referrer: item.referrer }, await rules(), bypass);
  if (!decision.capture) return false;
  // Firefox has no filename step to hold the download in: pause it while Ferry is asked.
  const paused = !chrome.downloads.onDeterminingFilename && (await chrome.downloads.pause(item.id).then(() => true, () => false));
  const reply = await handOver([{ url: item.url, finalUrl: item.finalUrl || null, referrer: item.referrer || null, name: baseName(item.filename) }]);
  if (!reply.ok) {
    if (paused && !(await chrome.downloads.resume(item.id).then(() => true, () => false))) await startAgain(item);
    return false;
  }
  await chrome.downloads.cancel(item.id).catch(() => undefined);
  await chrome.downloads.erase({ id: item.id }).catch(() => undefined);
  return true;
}

/**
 * Firefox resumes a paused download only from bytes it kept, and a download paused as it
 * starts has kept none ("cannot be resumed"): the browser then downloads it again, with
 * the page as its referrer (Firefox lets an extension set Referer; cookies go as usual).
 */
async function startAgain(item: chrome.downloads.DownloadItem): Promise<void> {
  await chrome.downloads.erase({ id: item.id }).catch(() => undefined);
  ourOwn.add(item.url);
  const headers = item.referrer ? [{ name: 'Referer', value: item.referrer }] : undefined;
  await chrome.downloads.download({ url: item.url, ...(headers ? { headers } : {}) }).catch(() => ourOwn.delete(item.url));
}

function decisionFor(item: chrome.downloads.DownloadItem): Promise<boolean> {
  let decision = decisions.get(item.id);
  if (!decision) {
    decision = captureDownload(item).catch(() => false);
    decisions.set(item.id, decision);
    // Forgotten once decided and the filename step (if any) has had its answer.
    void decision.then(() => setTimeout(() => decisions.delete(item.id), 60_000));
  }
  return decision;
}

chrome.downloads.onCreated.addListener((item) => void decisionFor(item));
// Chromium: the download cannot complete before its filename is settled, so it waits here
// for Ferry's answer instead of finishing a small file before it could be cancelled.
chrome.downloads.onDeterminingFilename?.addListener((item, suggest) => {
  void decisionFor(item).then(() => {
    try {
      suggest();
    } catch {
      // cancelled meanwhile: nothing to suggest to
    }
  });
  return true;
});

// ---------------------------------------------------------------- menus

const MENU_LINK = 'ferry-link';
const MENU_SELECTION = 'ferry-selection';

function createMenus(): void {
  void chrome.contextMenus.removeAll().then(() => {
    chrome.contextMenus.create({ id: MENU_LINK, title: 'Download with Ferry', contexts: ['link', 'image', 'video', 'audio'] });
    chrome.contextMenus.create({ id: MENU_SELECTION, title: 'Download all links in selection', contexts: ['selection'] });
  });
}
chrome.runtime.onInstalled.addListener(createMenus);
chrome.runtime.onStartup.addListener(createMenus);

/** The links of the tab's selection, as its content script finds them. */
async function selectionLinks(tab: chrome.tabs.Tab | undefined, frameId: number | undefined): Promise<string[]> {
  if (tab?.id === undefined) return [];
  const answer = await chrome.tabs.sendMessage(tab.id, { type: 'selection-links' }, frameId === undefined ? undefined : { frameId }).catch(() => null);
  return Array.isArray(answer) ? answer.filter((u): u is string => typeof u === 'string' && /^https?:/i.test(u)) : [];
}

/**
 * A context-menu choice: the link (or image, video) or every link in the selection, to
 * Ferry. When Ferry cannot be reached a single link is downloaded by the browser instead.
 */
export async function onMenu(info: chrome.contextMenus.OnClickData, tab?: chrome.tabs.Tab): Promise<HostReply<'capture'> | null> {
  const page = info.pageUrl && /^https?:/i.test(info.pageUrl) ? info.pageUrl : null;
  if (info.menuItemId === MENU_LINK) {
    const url = info.linkUrl ?? info.srcUrl;
    if (!url || !/^https?:/i.test(url)) return null;
    const reply = await handOver([{ url, finalUrl: null, referrer: page, name: null }]);
    if (!reply.ok) {
      ourOwn.add(url);
      await chrome.downloads.download({ url }).catch(() => ourOwn.delete(url));
    }
    return reply;
  }
  if (info.menuItemId === MENU_SELECTION) {
    const urls = [...new Set(await selectionLinks(tab, info.frameId))].slice(0, 1000);
    if (urls.length === 0) return null;
    return handOver(urls.map((url) => ({ url, finalUrl: null, referrer: page, name: null })));
  }
  return null;
}
chrome.contextMenus.onClicked.addListener((info, tab) => void onMenu(info, tab));

// ---------------------------------------------------------------- the popup and the content script

chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  // Only this extension's own pages and content scripts reach here; still, a message is checked before it is used.
  if (sender.id !== chrome.runtime.id || typeof message !== 'object' || message === null) return;
  const m = message as PageMessage;
  if (m.type === 'bypass') {
    bypassUntil = Date.now() + 5000;
    return;
  }
  if (m.type === 'status') {
    void (async () => {
      const reply = await ask('status');
      const problem = ((await chrome.storage.local.get(PROBLEM_KEY))[PROBLEM_KEY] ?? null) as Problem | null;
      // Ferry unreachable now: the last download the browser kept because of it says most, else why now.
      sendResponse({ reply, problem: reply.ok ? problem : (problem ?? { at: Date.now(), message: reply.error.message, url: null }) } satisfies PopupStatus);
    })();
    return true;
  }
  if (m.type === 'open') {
    void (async () => {
      const reply = await ask('open');
      if (reply.ok && reply.value.url) await chrome.tabs.create({ url: reply.value.url });
      sendResponse(reply);
    })();
    return true;
  }
  return;
});

chrome.storage.onChanged.addListener((changes, area) => {
  if (area === 'local' && changes[RULES_KEY]) void showEnabled(readRules(changes[RULES_KEY].newValue).enabled);
});
void rules().then((r) => showEnabled(r.enabled));

// For tests and the console: the menu path as the service worker runs it.
(globalThis as unknown as { ferry: unknown }).ferry = { onMenu, ask };
