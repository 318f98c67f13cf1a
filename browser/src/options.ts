/** The rules page: what the extension captures (rules.ts decides with them). */
import { RULES_KEY } from './messages';
import { readRules } from './rules';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const lines = (text: string): string[] => text.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);

async function main(): Promise<void> {
  const rules = readRules((await chrome.storage.local.get(RULES_KEY))[RULES_KEY]);
  $<HTMLInputElement>('enabled').checked = rules.enabled;
  $<HTMLInputElement>('minSize').value = String(Math.round(rules.minSizeBytes / 1024));
  $<HTMLInputElement>('fileTypes').value = rules.fileTypes.join(', ');
  $<HTMLTextAreaElement>('alwaysSites').value = rules.alwaysSites.join('\n');
  $<HTMLTextAreaElement>('neverSites').value = rules.neverSites.join('\n');
  $<HTMLSelectElement>('bypassKey').value = rules.bypassKey;
  $<HTMLFormElement>('rules').addEventListener('submit', async (event) => {
    event.preventDefault();
    const next = readRules({
      enabled: $<HTMLInputElement>('enabled').checked,
      minSizeBytes: Number($<HTMLInputElement>('minSize').value) * 1024,
      fileTypes: lines($<HTMLInputElement>('fileTypes').value),
      alwaysSites: lines($<HTMLTextAreaElement>('alwaysSites').value),
      neverSites: lines($<HTMLTextAreaElement>('neverSites').value),
      bypassKey: $<HTMLSelectElement>('bypassKey').value,
    });
    await chrome.storage.local.set({ [RULES_KEY]: next });
    $('saved').textContent = 'Saved.';
  });
}

void main();
