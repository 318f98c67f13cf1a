/**
 * ferry.log as the engine writes it: real transfers against the fault-injecting server,
 * secrets in headers that the server really receives and the log never holds.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Engine } from '../../electron/engine/engine';
import { LOG_FILE } from '../../electron/engine/log';
import { runCli } from '../support/cli';
import { FaultServer, randomBytesOf, sha256 } from '../support/fault-server';
import { TEST_TUNING, tempDir } from '../support/harness';

const SECRETS = { bearer: 'Bearer zq-bearer-0f9a7c1e', apiKey: 'zq-apikey-51d0b2', cookie: 'sid=zq-cookie-77e3' };
const HEADERS: Array<[string, string]> = [['Authorization', SECRETS.bearer], ['X-Api-Key', SECRETS.apiKey], ['Cookie', SECRETS.cookie]];

/** Every log file of a data directory, oldest first, as one text. */
function logText(dataDir: string): string {
  return fs
    .readdirSync(dataDir)
    .filter((f) => f.startsWith(LOG_FILE))
    .sort()
    .reverse()
    .map((f) => fs.readFileSync(path.join(dataDir, f), 'utf8'))
    .join('');
}

function logRecords(dataDir: string): Array<{ level: string; message: string; detail: Record<string, unknown> }> {
  return logText(dataDir)
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const m = /^\S+ (\S+)\s+(.*?)(?: (\{.*\}))?$/.exec(line)!;
      return { level: m[1]!, message: m[2]!, detail: m[3] ? (JSON.parse(m[3]) as Record<string, unknown>) : {} };
    });
}

function assertNoSecret(text: string): void {
  for (const secret of ['zq-bearer-0f9a7c1e', 'zq-apikey-51d0b2', 'zq-cookie-77e3']) assert.ok(!text.includes(secret), `the log holds ${secret}:\n${text}`);
}

let server: FaultServer;
before(async () => {
  server = await new FaultServer().start();
});
after(async () => {
  await server.stop();
});

describe('ferry.log', () => {
  test('a download with secret headers that fails and retries: the retries and the failure with its code, and no secret anywhere', async () => {
    const url = server.serve('/refused.bin', { body: randomBytesOf(50_000, 1), etag: '"r"' }, [{ status: 503 }, { status: 503 }, { status: 404 }]);
    const dataDir = tempDir('ferry-data-');
    const engine = Engine.open({ dataDir, command: 'test', tuning: TEST_TUNING });
    const { record } = (await engine.addDownloads([{ url, dir: tempDir('ferry-dl-'), headers: HEADERS }]))[0]!;
    const final = await engine.run(record.id);
    assert.equal(final.state, 'failed');
    // A careless caller logs the whole record, headers and all.
    engine.log.info('the record, for debugging', { record: engine.store.get(record.id) });
    await engine.close();

    assert.equal(server.requests('/refused.bin')[0]!.authorization, SECRETS.bearer, 'the secret was really sent');
    const text = logText(dataDir);
    assertNoSecret(text);
    const records = logRecords(dataDir);
    const retries = records.filter((r) => r.message === 'retrying' && r.detail.id === record.id);
    assert.equal(retries.length, 2, text);
    for (const r of retries) assert.deepEqual([r.level, r.detail.code, r.detail.status], ['WARN', 'http-status', 503]);
    const failed = records.find((r) => r.message === 'transfer failed');
    assert.ok(failed, text);
    assert.deepEqual([failed.level, failed.detail.code, failed.detail.status, failed.detail.id], ['ERROR', 'http-status', 404, record.id]);
    assert.deepEqual(
      records.map((r) => r.message).filter((m) => m.startsWith('engine')),
      ['engine started', 'engine stopped'],
    );
    const logged = records.find((r) => r.message === 'the record, for debugging')!.detail.record as { headers: string[][] };
    assert.deepEqual(logged.headers, [['Authorization', '[redacted]'], ['X-Api-Key', '[redacted]'], ['Cookie', '[redacted]']]);
  });

  test('the CLI with --header: its data directory has the failure in ferry.log and no secret', async () => {
    const url = server.serve('/cli-refused.bin', { body: randomBytesOf(10_000, 2), etag: '"c"' }, [{ status: 403 }, { status: 403 }, { status: 403 }]);
    const dataDir = tempDir('ferry-data-');
    const run = await runCli(['get', url, '--dir', tempDir('ferry-dl-'), '--data-dir', dataDir, '--json', ...HEADERS.flatMap(([k, v]) => ['--header', `${k}: ${v}`])]);
    assert.equal(run.code, 1, run.stderr);
    const text = logText(dataDir);
    assertNoSecret(text);
    assert.ok(logRecords(dataDir).some((r) => r.message === 'transfer failed' && r.detail.code === 'http-status' && r.detail.status === 403), text);
  });

  test('an unexpected error keeps its stack, and the transfer it interrupted still ends exact', async () => {
    const body = randomBytesOf(100_000, 3);
    const url = server.serve('/listener.bin', { body, etag: '"l"' });
    const dataDir = tempDir('ferry-data-');
    function brokenListener(event: { type: string }): void {
      if (event.type === 'started') throw new RangeError('a host bug');
    }
    const engine = Engine.open({ dataDir, command: 'test', tuning: TEST_TUNING, onEvent: brokenListener });
    const { record } = engine.addDownload({ url, dir: tempDir('ferry-dl-') });
    const final = await engine.run(record.id);
    await engine.close();
    assert.equal(final.state, 'completed');
    assert.equal(final.sha256, sha256(body));
    const failure = logRecords(dataDir).find((r) => r.level === 'ERROR');
    assert.ok(failure, logText(dataDir));
    const error = failure.detail.error as { name: string; message: string; stack: string };
    assert.deepEqual([error.name, error.message], ['RangeError', 'a host bug']);
    assert.match(error.stack, /at \S*brokenListener/, 'the stack names the function that threw');
  });
});
