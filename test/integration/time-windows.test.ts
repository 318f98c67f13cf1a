import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { TransferRecord } from '../../electron/common/transfer';
import { parseActiveHours, parseRateSchedule } from '../../electron/common/time-windows';
import { Engine } from '../../electron/engine/engine';
import { FaultServer, randomBytesOf, sha256 } from '../support/fault-server';
import { TEST_TUNING, tempDir } from '../support/harness';
import { TestClock } from '../support/test-clock';
import { until } from '../support/service';
import { resultOf, runCli } from '../support/cli';

/** Time windows (issue 15): active hours and a bandwidth schedule, crossed with the clock injected. */
let server: FaultServer;
before(async () => {
  server = await new FaultServer().start();
});
after(async () => {
  await server.stop();
});

const at = (d: number, h: number, m = 0, s = 0) => new Date(2025, 0, 6 + d, h, m, s); // d = 0: Monday
const nights = { activeHours: parseActiveHours('22:00-07:00') as never, bandwidthSchedule: [] };

describe('time windows', () => {
  test('an active-hours edge crossed with the clock injected: the download stops with its bytes at 07:00 and goes on from them at 22:00', async () => {
    const body = randomBytesOf(1 << 20, 51);
    const p = '/windows/night.bin';
    // Half the file, then a long pause: the stop edge comes while bytes are held.
    const url = server.serve(p, { body, etag: '"n1"' }, [{ pauseAfter: { bytes: 512 << 10, ms: 3000 } }]);
    const clock = new TestClock();
    clock.set(at(1, 6, 59, 58)); // Tuesday, just before the night ends
    const changes: boolean[] = [];
    const engine = Engine.open({ dataDir: tempDir('ferry-data-'), command: 'test', clock, tuning: TEST_TUNING, timeWindows: nights, onTimeWindow: (s) => changes.push(s.active) });
    try {
      assert.equal(engine.windows.state.active, true);
      const { record } = engine.addDownload({ url, dir: tempDir('ferry-dl-') });
      let final: TransferRecord | null = null;
      const running = engine.run(record.id).then((r) => (final = r));
      await until(() => (engine.progress(record.id)?.bytes ?? 0) >= 512 << 10, 'half the file');

      clock.set(at(1, 7, 0, 1)); // past the edge
      await until(() => engine.activeProgress().length === 0, 'the transfer to stop');
      const held = engine.store.get(record.id)!;
      assert.equal(held.state, 'queued', `back in the queue, not paused: it goes on by itself (${JSON.stringify({ state: held.state, error: held.error })})`);
      assert.ok(held.offset >= 512 << 10, `the bytes held were checkpointed (${held.offset})`);
      assert.equal(engine.windows.state.active, false);
      assert.equal(engine.windows.state.nextChange, at(1, 22).getTime());
      // Outside the hours nothing starts, even when asked.
      engine.start([record.id]);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(final, null);
      assert.equal(engine.activeProgress().length, 0);
      const asked = server.requests(p).length;

      clock.set(at(1, 22, 0, 1)); // the night begins again
      const done = await running;
      assert.equal(done.state, 'completed');
      assert.equal(sha256(fs.readFileSync(done.path!)), sha256(body));
      const resumed = server.requests(p).slice(asked);
      assert.ok(resumed.length >= 1 && /^bytes=[1-9]\d*-/.test(resumed[0]!.range ?? ''), `went on from the bytes held (${resumed[0]?.range})`);
      assert.deepEqual(changes, [false, true]);
    } finally {
      await engine.close();
    }
  });

  test('started outside the active hours, a download waits for them; the bandwidth schedule sets the limit at its edges', async () => {
    const body = randomBytesOf(256 << 10, 52);
    const url = server.serve('/windows/later.bin', { body, etag: '"l1"' });
    const clock = new TestClock();
    clock.set(at(0, 8, 59, 59));
    const windows = { activeHours: parseActiveHours('mon-fri@09:00-17:00') as never, bandwidthSchedule: parseRateSchedule('09:00-12:00=1M') as never };
    const engine = Engine.open({ dataDir: tempDir('ferry-data-'), command: 'test', clock, tuning: TEST_TUNING, limits: { bandwidth: 5 << 20 }, timeWindows: windows });
    try {
      assert.deepEqual({ active: engine.windows.state.active, rate: engine.windows.state.rate }, { active: false, rate: 5 << 20 });
      const { record } = engine.addDownload({ url, dir: tempDir('ferry-dl-') });
      let final: TransferRecord | null = null;
      const running = engine.run(record.id).then((r) => (final = r));
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(final, null, 'nothing runs before 09:00');
      assert.equal(server.requests('/windows/later.bin').length, 0);
      clock.set(at(0, 9, 0, 1));
      assert.equal((await running).state, 'completed');
      assert.equal(engine.windows.state.rate, 1 << 20);
      clock.set(at(0, 12, 0, 1));
      await until(() => engine.windows.state.rate === 5 << 20, 'the schedule to end');
      engine.setLimits({ bandwidth: null });
      assert.equal(engine.windows.state.rate, null);
    } finally {
      await engine.close();
    }
  });

  test('ferry get takes --active-hours and --limit-rate-schedule; a mistake is a usage error that names the day meant', async () => {
    const dir = tempDir('ferry-dl-');
    const data = tempDir('ferry-data-');
    const bad = await runCli(['get', server.url('/windows/x.bin'), '--dir', dir, '--data-dir', data, '--active-hours', 'mno-fri@22:00-07:00']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--active-hours: "mno" is not a day; did you mean mon\?/);
    const noRate = await runCli(['get', server.url('/windows/x.bin'), '--dir', dir, '--data-dir', data, '--limit-rate-schedule', '09:00-18:00']);
    assert.equal(noRate.code, 2);
    assert.match(noRate.stderr, /--limit-rate-schedule: "09:00-18:00" has no rate; write the window, =, and bytes per second/);
    const typo = await runCli(['get', server.url('/windows/x.bin'), '--dir', dir, '--data-dir', data, '--active-hour', '22:00-07:00']);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /did you mean --active-hours\?/);
    const short = await runCli(['get', server.url('/windows/x.bin'), '--dir', dir, '--data-dir', data, '--limit-rat', '1M']);
    assert.match(short.stderr, /did you mean --limit-rate\?/, 'the shorter flag it begins, not --limit-rate-schedule');
    const body = randomBytesOf(200_000, 53);
    const url = server.serve('/windows/cli.bin', { body, etag: '"c1"' });
    const run = await runCli(['get', url, '--dir', dir, '--data-dir', data, '--json', '--active-hours', '00:00-24:00', '--limit-rate-schedule', 'mon-sun@00:00-24:00=50M']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(resultOf(run).sha256, sha256(body));
  });
});
