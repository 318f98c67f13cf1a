import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type TimeWindows,
  activeAt,
  formatRateWindow,
  formatWindow,
  nextChange,
  parseActiveHours,
  parseRateSchedule,
  rateAt,
} from '../../electron/common/time-windows';
import { FIELD_IDS, checkSettings, inputForField } from '../../renderer/src/components/settings-check';

/** Time windows (issue 15): the syntax, and what they say at a given local time. */
const MON = (h: number, m = 0) => new Date(2025, 0, 6, h, m); // Monday 6 January 2025
const day = (d: number, h: number, m = 0) => new Date(2025, 0, 6 + d, h, m);

test('windows parse from the syntax the CLI and the Settings share, and print back the same', () => {
  assert.deepEqual(parseActiveHours('22:00-07:00'), [{ days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], from: '22:00', to: '07:00' }]);
  assert.deepEqual(parseActiveHours('mon-fri@9:00-18:30, sat+sun@00:00-24:00'), [
    { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '18:30' },
    { days: ['sun', 'sat'], from: '00:00', to: '24:00' },
  ]);
  assert.deepEqual(parseActiveHours('fri-mon@20:00-23:00')[0 as never], { days: ['sun', 'mon', 'fri', 'sat'], from: '20:00', to: '23:00' });
  assert.deepEqual(parseActiveHours(''), []);
  const windows = parseActiveHours('mon-fri@22:00-07:00,sat+sun@00:00-24:00') as Exclude<ReturnType<typeof parseActiveHours>, string>;
  assert.deepEqual(windows.map(formatWindow), ['mon-fri@22:00-07:00', 'sat-sun@00:00-24:00']);
  const rated = parseRateSchedule('09:00-18:00=1M, sat@10:00-12:00=unlimited, 18:00-19:00=1500') as Exclude<ReturnType<typeof parseRateSchedule>, string>;
  assert.deepEqual(rated.map((w) => w.rate), [1 << 20, null, 1500]);
  assert.deepEqual(rated.map(formatRateWindow), ['09:00-18:00=1M', 'sat@10:00-12:00=unlimited', '18:00-19:00=1500']);
});

test('mistakes are said in one sentence, with the day probably meant', () => {
  assert.match(parseActiveHours('mno-fri@22:00-07:00') as string, /"mno" is not a day; did you mean mon\?/);
  assert.match(parseActiveHours('thr@22:00-07:00') as string, /did you mean thu\?/);
  assert.match(parseActiveHours('22:00') as string, /write start and stop times such as 22:00-07:00/);
  assert.match(parseActiveHours('25:00-07:00') as string, /"25:00" in "25:00-07:00" is not a start time/);
  assert.match(parseActiveHours('08:00-08:00') as string, /for a whole day write 00:00-24:00/);
  assert.match(parseRateSchedule('09:00-18:00') as string, /has no rate/);
  assert.match(parseRateSchedule('09:00-18:00=fast') as string, /"fast" in "09:00-18:00=fast" is not a rate/);
  assert.deepEqual(parseActiveHours('monday-friday@22:00-07:00'), parseActiveHours('mon-fri@22:00-07:00'));
});

test('a window that crosses midnight belongs to the day it starts on', () => {
  const w: TimeWindows = { activeHours: parseActiveHours('mon@22:00-07:00') as never, bandwidthSchedule: [] };
  assert.equal(activeAt(w, MON(21, 59)), false);
  assert.equal(activeAt(w, MON(22, 0)), true);
  assert.equal(activeAt(w, day(1, 6, 59)), true, 'Tuesday early morning');
  assert.equal(activeAt(w, day(1, 7, 0)), false);
  assert.equal(activeAt(w, day(1, 22, 0)), false, 'Tuesday evening is not Monday');
  assert.equal(activeAt({ activeHours: [], bandwidthSchedule: [] }, MON(3)), true, 'no active hours: always');
});

test('the bandwidth schedule replaces the base rate inside its windows; the next edge is found', () => {
  const w: TimeWindows = { activeHours: [], bandwidthSchedule: parseRateSchedule('09:00-18:00=1M') as never };
  assert.equal(rateAt(w, null, MON(8, 59)), null);
  assert.equal(rateAt(w, null, MON(9)), 1 << 20);
  assert.equal(rateAt(w, 5000, MON(18)), 5000);
  assert.equal(nextChange(w, MON(8).getTime()), MON(9).getTime());
  assert.equal(nextChange(w, MON(12).getTime()), MON(18).getTime());
  assert.equal(nextChange(w, MON(19).getTime()), day(1, 9).getTime());
  const nights: TimeWindows = { activeHours: parseActiveHours('mon-fri@22:00-07:00') as never, bandwidthSchedule: [] };
  assert.equal(nextChange(nights, day(4, 23).getTime()), day(5, 7).getTime(), 'Friday night ends Saturday 07:00');
  assert.equal(nextChange(nights, day(5, 8).getTime()), day(7, 22).getTime(), 'then nothing until Monday 22:00');
  assert.equal(nextChange({ activeHours: parseActiveHours('00:00-24:00') as never, bandwidthSchedule: [] }, MON(1).getTime()), null);
});

test('the Settings form takes the same syntax, and marks a wrong window beside its field', () => {
  const draft = {
    downloadDir: '/tmp',
    maxActive: '4',
    maxPerHost: '6',
    maxConnections: '1',
    bandwidth: '',
    stallTimeoutSeconds: '30',
    autoResume: true,
    keepRunningInTray: false,
    activeHours: 'mno-fri@22:00-07:00',
    bandwidthSchedule: '09:00-18:00=1M',
    destinations: [],
  };
  const wrong = checkSettings(draft);
  assert.match(wrong.problems?.[FIELD_IDS.activeHours] ?? '', /^"mno" is not a day; did you mean mon\?/);
  const right = checkSettings({ ...draft, activeHours: 'mon-fri@22:00-07:00' });
  assert.deepEqual(right.changes?.activeHours, [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '22:00', to: '07:00' }]);
  assert.deepEqual(right.changes?.bandwidthSchedule, [{ days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], from: '09:00', to: '18:00', rate: 1 << 20 }]);
  assert.equal(inputForField('bandwidthSchedule[0]', []), FIELD_IDS.bandwidthSchedule);
});
