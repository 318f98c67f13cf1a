/**
 * Time windows (issue 15): the hours the queue may run ("active hours") and a bandwidth
 * schedule, one syntax for the CLI flags, the Settings dialog and the service contract.
 *
 *   WINDOW   = [DAYS@]HH:MM-HH:MM          e.g. 22:00-07:00, mon-fri@09:00-18:00, sat+sun@00:00-24:00
 *   DAYS     = DAY or DAY-DAY, joined by +  (mon tue wed thu fri sat sun; no DAYS: every day)
 *   RATED    = WINDOW=RATE                  e.g. 09:00-18:00=1M; RATE as --limit-rate, or "unlimited"
 *
 * Several windows are separated by commas. A window whose stop is not after its start
 * crosses midnight: mon@22:00-07:00 runs from Monday 22:00 to Tuesday 07:00. Times are the
 * machine's local time. Pure: the engine, the CLI and the window all use it.
 */

/** Indexed as Date.getDay() counts: Sunday is 0. */
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface TimeWindow {
  /** The days the window starts on. */
  days: Weekday[];
  /** HH:MM, 00:00 to 23:59. */
  from: string;
  /** HH:MM, 00:00 to 24:00; not after `from` means the next day. */
  to: string;
}

export interface RateWindow extends TimeWindow {
  /** Bytes per second inside the window; null for no limit. */
  rate: number | null;
}

export interface TimeWindows {
  /** When the queue runs; empty: always. */
  activeHours: TimeWindow[];
  /** Rates that replace the base limit inside their windows (the first that covers wins). */
  bandwidthSchedule: RateWindow[];
}

export const NO_TIME_WINDOWS: TimeWindows = { activeHours: [], bandwidthSchedule: [] };

const EVERY_DAY: Weekday[] = [...WEEKDAYS];

/** Bytes per second from text such as 500000, 500K, 2M or 1.5G (powers of 1024); null when it is none. */
export function parseRateText(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([kmg]?)i?b?$/i.exec(text.trim());
  const value = m ? Number(m[1]) * 1024 ** ' kmg'.indexOf((m[2] || ' ').toLowerCase()) : NaN;
  return m && value >= 1 ? Math.floor(value) : null;
}

/** Minutes after midnight of HH:MM (24:00 allowed when `end`), or null. */
export function minutesOf(text: string, end = false): number | null {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  if (Number(m[2]) > 59 || minutes > (end ? 24 * 60 : 24 * 60 - 1)) return null;
  return minutes;
}

/** The day a person typed, or the one they probably meant ("did you mean"). */
function dayOf(text: string): Weekday | string {
  const t = text.toLowerCase();
  const exact = WEEKDAYS.find((d) => t.length >= 3 && FULL_NAMES[d].startsWith(t));
  if (exact) return exact;
  const near = WEEKDAYS.find((d) => sameLetters(d, t));
  return `"${text}" is not a day${near ? `; did you mean ${near}?` : ''} (days are ${WEEKDAYS.join(' ')})`;
}

const FULL_NAMES: Record<Weekday, string> = { sun: 'sunday', mon: 'monday', tue: 'tuesday', wed: 'wednesday', thu: 'thursday', fri: 'friday', sat: 'saturday' };

/** Same length, one letter off or two swapped: a slip. */
function sameLetters(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  const diff = [...a].map((c, i) => (c === b[i] ? -1 : i)).filter((i) => i >= 0);
  return diff.length === 1 || (diff.length === 2 && diff[1] === diff[0]! + 1 && a[diff[0]!] === b[diff[1]!] && a[diff[1]!] === b[diff[0]!]);
}

function parseDays(text: string): Weekday[] | string {
  const days = new Set<Weekday>();
  for (const part of text.split('+')) {
    const [a, b, extra] = part.split('-');
    if (extra !== undefined || !a) return `"${part}" is not a day or a range of days such as mon-fri`;
    const first = dayOf(a);
    if (!isDay(first)) return first;
    const last = b === undefined ? first : dayOf(b);
    if (!isDay(last)) return last;
    for (let i = WEEKDAYS.indexOf(first); ; i = (i + 1) % 7) {
      days.add(WEEKDAYS[i]!);
      if (WEEKDAYS[i] === last) break;
    }
  }
  return WEEKDAYS.filter((d) => days.has(d));
}

const isDay = (x: string): x is Weekday => (WEEKDAYS as readonly string[]).includes(x);

/** One window, [DAYS@]HH:MM-HH:MM; a sentence when it is none. */
export function parseWindow(text: string): TimeWindow | string {
  const t = text.trim();
  const at = t.lastIndexOf('@');
  const daysText = at >= 0 ? t.slice(0, at) : null;
  const hours = at >= 0 ? t.slice(at + 1) : t;
  const days = daysText === null ? EVERY_DAY : parseDays(daysText);
  if (typeof days === 'string') return days;
  const m = /^([^-]+)-([^-]+)$/.exec(hours);
  if (!m) return `"${t}" is not a window; write start and stop times such as 22:00-07:00, or mon-fri@09:00-18:00`;
  const from = minutesOf(m[1]!);
  const to = minutesOf(m[2]!, true);
  if (from === null) return `"${m[1]}" in "${t}" is not a start time; write HH:MM from 00:00 to 23:59`;
  if (to === null) return `"${m[2]}" in "${t}" is not a stop time; write HH:MM from 00:00 to 24:00`;
  if (from === to) return `"${t}" starts and stops at the same time; for a whole day write 00:00-24:00`;
  return { days, from: hhmm(from), to: hhmm(to) };
}

/** Windows separated by commas; an empty text is none. */
export function parseActiveHours(text: string): TimeWindow[] | string {
  const windows: TimeWindow[] = [];
  for (const part of splitList(text)) {
    const w = parseWindow(part);
    if (typeof w === 'string') return w;
    windows.push(w);
  }
  return windows;
}

/** Rated windows separated by commas, each WINDOW=RATE; an empty text is none. */
export function parseRateSchedule(text: string): RateWindow[] | string {
  const windows: RateWindow[] = [];
  for (const part of splitList(text)) {
    const eq = part.lastIndexOf('=');
    if (eq < 0) return `"${part}" has no rate; write the window, =, and bytes per second, such as 09:00-18:00=1M`;
    const w = parseWindow(part.slice(0, eq));
    if (typeof w === 'string') return w;
    const rateText = part.slice(eq + 1).trim();
    const rate = /^(unlimited|none|off)$/i.test(rateText) ? null : parseRateText(rateText);
    if (rate === null && !/^(unlimited|none|off)$/i.test(rateText)) return `"${rateText}" in "${part}" is not a rate; write bytes per second such as 500K or 2M, or unlimited`;
    windows.push({ ...w, rate });
  }
  return windows;
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** A structured window as a person would type it (the inverse of parseWindow). */
export function formatWindow(w: TimeWindow): string {
  return `${formatDays(w.days)}${w.from}-${w.to}`;
}

export function formatRateWindow(w: RateWindow): string {
  return `${formatWindow(w)}=${w.rate === null ? 'unlimited' : formatRate(w.rate)}`;
}

function formatRate(rate: number): string {
  for (const [unit, size] of [['G', 1 << 30], ['M', 1 << 20], ['K', 1 << 10]] as const) if (rate % size === 0) return `${rate / size}${unit}`;
  return String(rate);
}

function formatDays(days: Weekday[]): string {
  if (days.length === 7) return '';
  // Runs of consecutive days (Monday first, as a week reads), joined by +.
  const order = [1, 2, 3, 4, 5, 6, 0].map((i) => WEEKDAYS[i]!);
  const runs: Weekday[][] = [];
  for (const d of order) {
    if (!days.includes(d)) continue;
    const last = runs[runs.length - 1];
    if (last && order.indexOf(last[last.length - 1]!) === order.indexOf(d) - 1) last.push(d);
    else runs.push([d]);
  }
  return `${runs.map((r) => (r.length === 1 ? r[0] : `${r[0]}-${r[r.length - 1]}`)).join('+')}@`;
}

/** A window checked as parseWindow checks typed text: null when sound, else a sentence. */
export function windowProblem(w: TimeWindow): string | null {
  const parsed = parseWindow(`${w.days.join('+')}@${w.from}-${w.to}`);
  return typeof parsed === 'string' ? parsed : null;
}

function hhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

// ---------------------------------------------------------------- at a given time

/** Whether `w` covers the local time `at`. */
export function covers(w: TimeWindow, at: Date): boolean {
  const from = minutesOf(w.from)!;
  const to = minutesOf(w.to, true)!;
  const minute = at.getHours() * 60 + at.getMinutes();
  const today = WEEKDAYS[at.getDay()]!;
  const yesterday = WEEKDAYS[(at.getDay() + 6) % 7]!;
  if (from < to) return w.days.includes(today) && minute >= from && minute < to;
  return (w.days.includes(today) && minute >= from) || (w.days.includes(yesterday) && minute < to);
}

/** Whether the queue may run at `at`: always when there are no active hours. */
export function activeAt(windows: TimeWindows, at: Date): boolean {
  return windows.activeHours.length === 0 || windows.activeHours.some((w) => covers(w, at));
}

/** The bandwidth limit at `at`: the first scheduled window that covers it, else `base`. */
export function rateAt(windows: TimeWindows, base: number | null, at: Date): number | null {
  const w = windows.bandwidthSchedule.find((x) => covers(x, at));
  return w ? w.rate : base;
}

/**
 * The next instant after `now` (ms) at which whether the queue runs, or the scheduled rate,
 * changes; null when nothing changes within eight days (no windows, or windows that cover
 * every minute).
 */
export function nextChange(windows: TimeWindows, now: number): number | null {
  const all = [...windows.activeHours, ...windows.bandwidthSchedule];
  if (all.length === 0) return null;
  const state = (t: number): string => {
    const at = new Date(t);
    return `${activeAt(windows, at)}/${windows.bandwidthSchedule.findIndex((w) => covers(w, at))}`;
  };
  const base = new Date(now);
  const candidates: number[] = [];
  for (let day = 0; day <= 8; day++) {
    for (const w of all) {
      for (const minute of [minutesOf(w.from)!, minutesOf(w.to, true)!]) {
        const t = new Date(base.getFullYear(), base.getMonth(), base.getDate() + day, Math.floor(minute / 60), minute % 60).getTime();
        if (t > now) candidates.push(t);
      }
    }
  }
  const current = state(now);
  return candidates.sort((a, b) => a - b).find((t) => state(t) !== current) ?? null;
}
