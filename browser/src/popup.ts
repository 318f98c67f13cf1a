/**
 * The toolbar popup: Ferry's transfers with their progress and integrity verdicts, the
 * capture toggle, why Ferry could not be reached (the browser kept the download), and a
 * button that opens Ferry.
 */
import type { BrowserTransferView, HostReply } from '../../electron/common/browser-capture';
import { formatBytes } from '../../electron/common/format';
import { PROBLEM_KEY, type PopupStatus, RULES_KEY } from './messages';
import { readRules } from './rules';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

function verdictWords(t: BrowserTransferView): string {
  if (t.state === 'failed') return t.error ?? 'Failed';
  if (t.state === 'canceled') return 'Canceled';
  if (t.checking) return 'Checking…';
  switch (t.verdict) {
    case 'verified':
      return 'Verified';
    case 'unverified':
      return 'SHA-256 recorded';
    case 'mismatch':
      return 'Checksum mismatch: not saved';
    default:
      return t.state === 'active' ? 'Downloading' : t.state === 'queued' ? 'Waiting' : t.state === 'paused' ? 'Paused' : '';
  }
}

function row(t: BrowserTransferView): HTMLLIElement {
  const li = document.createElement('li');
  const name = document.createElement('div');
  name.className = 'name';
  name.textContent = t.name;
  name.title = t.name;
  const bar = document.createElement('progress');
  bar.max = t.total ?? 1;
  bar.value = t.total ? t.bytes : t.state === 'completed' ? 1 : 0;
  if (!t.total && t.state === 'active') bar.removeAttribute('value');
  const meta = document.createElement('div');
  meta.className = 'meta';
  const size = document.createElement('span');
  size.textContent = t.total ? `${formatBytes(t.bytes)} of ${formatBytes(t.total)}` : formatBytes(t.bytes);
  const verdict = document.createElement('span');
  verdict.className = `verdict-${t.verdict}`;
  verdict.textContent = verdictWords(t);
  meta.append(size, verdict);
  li.append(name, bar, meta);
  return li;
}

async function refresh(): Promise<void> {
  const status = (await chrome.runtime.sendMessage({ type: 'status' })) as PopupStatus | undefined;
  const problem = $('problem');
  const state = $('state');
  const list = $('transfers');
  if (!status) return;
  if (status.problem) {
    problem.hidden = false;
    problem.textContent = status.problem.url
      ? `Ferry could not take ${status.problem.url}, so the browser downloaded it: ${status.problem.message}`
      : status.problem.message;
  } else problem.hidden = true;
  if (!status.reply.ok) {
    state.textContent = 'Ferry is not reachable; downloads stay in the browser.';
    list.replaceChildren();
    return;
  }
  const value = status.reply.value;
  state.textContent = value.transfers.length === 0 ? 'No transfers yet.' : value.more > 0 ? `and ${value.more} more in Ferry` : '';
  list.replaceChildren(...value.transfers.map(row));
}

/** Open Ferry: the desktop app's window comes forward (starting the app if need be), or ferry serve's page opens in a tab. */
async function openFerry(): Promise<void> {
  const reply = (await chrome.runtime.sendMessage({ type: 'open' })) as HostReply<'open'> | undefined;
  const said = $('opened');
  said.hidden = !reply || reply.ok;
  if (reply && !reply.ok) said.textContent = `Ferry could not be opened: ${reply.error.message}`;
}

async function main(): Promise<void> {
  const toggle = $<HTMLInputElement>('enabled');
  const stored = await chrome.storage.local.get(RULES_KEY);
  toggle.checked = readRules(stored[RULES_KEY]).enabled;
  toggle.addEventListener('change', async () => {
    const current = readRules((await chrome.storage.local.get(RULES_KEY))[RULES_KEY]);
    await chrome.storage.local.set({ [RULES_KEY]: { ...current, enabled: toggle.checked } });
  });
  chrome.storage.onChanged.addListener((changes, area) => {
    if (area === 'local' && changes[PROBLEM_KEY]) void refresh();
  });
  $<HTMLButtonElement>('open').addEventListener('click', () => void openFerry());
  await refresh();
  setInterval(() => void refresh(), 1000);
}

void main();
