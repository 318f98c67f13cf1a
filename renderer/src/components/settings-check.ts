/**
 * The Settings form's fields as typed, checked all at once: every field that is wrong gets
 * its own message, keyed by the id of its input so the message can stand beside it. The
 * numbers are checked by the contract's own schema (COMMANDS.setSettings), so the bounds
 * the form states are the ones the engine enforces.
 */
import { COMMANDS, type CommandInput, type UploadDestination } from '../../../electron/common/service';
import { httpUrl, validate } from '../../../electron/common/schema';
import { parseActiveHours, parseRateSchedule } from '../../../electron/common/time-windows';

export type DraftDestination = Omit<UploadDestination, 'id'> & { id: string | null; key: number };

export interface SettingsDraft {
  downloadDir: string;
  maxActive: string;
  maxPerHost: string;
  maxConnections: string;
  /** MiB/s as typed; empty for no limit. */
  bandwidth: string;
  stallTimeoutSeconds: string;
  autoResume: boolean;
  keepRunningInTray: boolean;
  /** As typed, in the syntax of ferry --active-hours (common/time-windows.ts); empty for always. */
  activeHours: string;
  /** As typed, in the syntax of ferry --limit-rate-schedule; empty for none. */
  bandwidthSchedule: string;
  /** Look for checksum files beside downloads; left out, the setting stays as it is. */
  sidecarLookup?: boolean;
  destinations: DraftDestination[];
}

/** Input ids, one per field; a problem is keyed by the id of the input it is about. */
export const FIELD_IDS = {
  downloadDir: 's-dir',
  maxActive: 's-active',
  maxPerHost: 's-host',
  maxConnections: 's-conn',
  bandwidth: 's-bw',
  stallTimeoutSeconds: 's-stall',
  activeHours: 's-hours',
  bandwidthSchedule: 's-bwsched',
} as const;
export const destinationIds = (key: number) => ({ name: `d-name-${key}`, url: `d-url-${key}`, protocol: `d-proto-${key}` });
export const headerIds = (key: number, index: number) => ({ name: `d-hname-${key}-${index}`, value: `d-hvalue-${key}-${index}` });

export type Problems = Record<string, string>;
export type SettingsChanges = CommandInput<'setSettings'>;

const MIB = 1 << 20;
const WHOLE = ['maxActive', 'maxPerHost', 'maxConnections', 'stallTimeoutSeconds'] as const;

/** The changes to send, or what is wrong with each field that is wrong. */
export function checkSettings(draft: SettingsDraft): { changes: SettingsChanges; problems: null } | { changes: null; problems: Problems } {
  const problems: Problems = {};
  const numbers: Partial<Record<(typeof WHOLE)[number], number>> = {};
  for (const field of WHOLE) {
    const text = draft[field].trim();
    const value = /^\d+$/.test(text) ? Number(text) : NaN;
    const checked = validate(COMMANDS.setSettings, { [field]: value });
    if (checked.ok) numbers[field] = value;
    else problems[FIELD_IDS[field]] = `Give ${checked.error.expected}.`;
  }
  const mib = draft.bandwidth.trim() === '' ? 0 : Number(draft.bandwidth);
  const bandwidth = Math.round(mib * MIB);
  if (!Number.isFinite(mib) || mib < 0 || !validate(COMMANDS.setSettings, { bandwidth }).ok) problems[FIELD_IDS.bandwidth] = 'Give a number of MiB/s such as 2.5, or leave it empty for no limit.';
  if (draft.downloadDir.trim() === '') problems[FIELD_IDS.downloadDir] = 'Give the full path of a folder.';
  const activeHours = parseActiveHours(draft.activeHours);
  if (typeof activeHours === 'string') problems[FIELD_IDS.activeHours] = `${capital(activeHours)}.`;
  const bandwidthSchedule = parseRateSchedule(draft.bandwidthSchedule);
  if (typeof bandwidthSchedule === 'string') problems[FIELD_IDS.bandwidthSchedule] = `${capital(bandwidthSchedule)}.`;
  const url = httpUrl();
  for (const d of draft.destinations) {
    const ids = destinationIds(d.key);
    if (d.name.trim() === '') problems[ids.name] = 'Give this destination a name.';
    if (!validate(url, d.url).ok) problems[ids.url] = `Give ${url.expects.replace('https://example.com/file.iso', 'https://tus.example.com/files/')}.`;
    d.headers.forEach((h, j) => {
      if (h.name.trim() === '') problems[headerIds(d.key, j).name] = 'Give the header a name, or remove it.';
    });
  }
  if (Object.keys(problems).length > 0 || typeof activeHours === 'string' || typeof bandwidthSchedule === 'string') return { changes: null, problems };
  return {
    problems: null,
    changes: {
      downloadDir: draft.downloadDir.trim(),
      ...numbers,
      bandwidth,
      autoResume: draft.autoResume,
      keepRunningInTray: draft.keepRunningInTray,
      activeHours,
      bandwidthSchedule,
      ...(draft.sidecarLookup === undefined ? {} : { sidecarLookup: draft.sidecarLookup }),
      uploadDestinations: draft.destinations.map(({ key: _key, ...d }) => ({ ...d, name: d.name.trim(), url: d.url.trim() })),
    },
  };
}

/**
 * The input a refusal from the engine is about (its `field` is a path into the arguments,
 * such as `uploadDestinations[1].headers[0].value`), or null when it names none of them.
 */
export function inputForField(field: string | undefined, destinations: DraftDestination[]): string | null {
  if (!field) return null;
  if (field in FIELD_IDS) return FIELD_IDS[field as keyof typeof FIELD_IDS];
  const windows = /^(activeHours|bandwidthSchedule)\[/.exec(field);
  if (windows) return FIELD_IDS[windows[1] as 'activeHours' | 'bandwidthSchedule'];
  const at = /^uploadDestinations\[(\d+)\](?:\.(name|url|protocol)|\.headers\[(\d+)\](\.value)?)?/.exec(field);
  const d = at ? destinations[Number(at[1])] : undefined;
  if (!at || !d) return null;
  if (at[2]) return destinationIds(d.key)[at[2] as 'name' | 'url' | 'protocol'];
  if (at[3] !== undefined) return headerIds(d.key, Number(at[3]))[at[4] ? 'value' : 'name'];
  return destinationIds(d.key).name;
}

const capital = (sentence: string): string => sentence.charAt(0).toUpperCase() + sentence.slice(1);
