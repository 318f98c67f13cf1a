/**
 * In every page: tells the background when a link is clicked with the bypass key held (that
 * download stays in the browser), and answers which links the selection holds.
 */
import { RULES_KEY } from './messages';
import { type BypassKey, readRules } from './rules';

let key: BypassKey = 'alt';
void chrome.storage.local.get(RULES_KEY).then((stored) => (key = readRules(stored[RULES_KEY]).bypassKey), () => undefined);
chrome.storage.onChanged.addListener((changes, area) => {
  if (area === 'local' && changes[RULES_KEY]) key = readRules(changes[RULES_KEY].newValue).bypassKey;
});

const held = (event: MouseEvent): boolean =>
  key === 'alt' ? event.altKey : key === 'shift' ? event.shiftKey : key === 'ctrl' ? event.ctrlKey : event.metaKey;

function onClick(event: MouseEvent): void {
  if (!held(event)) return;
  const link = event.target instanceof Element ? event.target.closest('a[href], area[href]') : null;
  if (link) void chrome.runtime.sendMessage({ type: 'bypass' }).catch(() => undefined);
}
// Capture phase, before the page can stop the event.
window.addEventListener('click', onClick, true);
window.addEventListener('auxclick', onClick, true);

/** The http(s) links inside the current selection. */
function selectionLinks(): string[] {
  const selection = window.getSelection();
  if (!selection || selection.rangeCount === 0) return [];
  const found = new Set<string>();
  for (let i = 0; i < selection.rangeCount; i++) {
    const range = selection.getRangeAt(i);
    const root = range.commonAncestorContainer instanceof Element ? range.commonAncestorContainer : range.commonAncestorContainer.parentElement;
    const closest = root?.closest('a[href]');
    if (closest instanceof HTMLAnchorElement) found.add(closest.href);
    for (const a of root?.querySelectorAll('a[href]') ?? []) {
      if (a instanceof HTMLAnchorElement && selection.containsNode(a, true)) found.add(a.href);
    }
  }
  return [...found].filter((u) => /^https?:/i.test(u));
}

chrome.runtime.onMessage.addListener((message, _sender, sendResponse) => {
  if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'selection-links') {
    sendResponse(selectionLinks());
  }
  return;
});
