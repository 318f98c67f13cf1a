import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { FileLogger, LOG_FILE } from '../../electron/engine/log';
import { tempDir } from '../support/harness';

const LOG_MODULE = path.join(__dirname, '..', '..', 'electron', 'engine', 'log.js');

interface Line {
  at: string;
  level: string;
  message: string;
  detail: Record<string, unknown> | null;
}

/** Every record of a log file, each line checked for the format on the way. */
function records(file: string): Line[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (ERROR|WARN |INFO |DEBUG) (.*?)(?: (\{.*\}))?$/.exec(line);
      assert.ok(m, `a line of the log has the form "<ISO time> <LEVEL> <message> <JSON>": ${line}`);
      return { at: m[1]!, level: m[2]!.trim(), message: m[3]!, detail: m[4] ? (JSON.parse(m[4]) as Record<string, unknown>) : null };
    });
}

describe('the engine log: a rotating file, levels, no secret ever', () => {
  test('whatever a careless caller hands in, no secret reaches the file; what helps stays', () => {
    const dir = tempDir();
    const log = new FileLogger(dir);
    const secrets = ['s3cr3t-bearer-token', 'c00kie-value', 'p4ssw0rd', 'k3y-value', 'sig-value-123', 'sess-abc', 'basic-b64-xyz'];
    log.info('request', {
      url: 'https://alice:p4ssw0rd@example.com/file.iso?X-Amz-Signature=sig-value-123&part=2',
      headers: [['Authorization', 'Bearer s3cr3t-bearer-token'], ['Accept', 'text/plain']],
      record: { id: 'r1', headers: { cookie: 'c00kie-value' }, nested: { apiKey: 'k3y-value', 'X-Session-Id': 'sess-abc' } },
      authorization: 'Bearer s3cr3t-bearer-token',
      password: 'p4ssw0rd',
    });
    log.warn('the server echoed Authorization: Bearer s3cr3t-bearer-token back');
    log.error('unexpected', { error: Object.assign(new Error('sent Basic basic-b64-xyz to https://u:p4ssw0rd@h/x'), { token: 'k3y-value' }) });
    log.close();
    const text = fs.readFileSync(path.join(dir, LOG_FILE), 'utf8');
    for (const secret of secrets) assert.ok(!text.includes(secret), `${secret} leaked:\n${text}`);
    const [request, echoed, unexpected] = records(path.join(dir, LOG_FILE));
    assert.deepEqual((request!.detail!.headers as unknown[][]).map((h) => h[0]), ['Authorization', 'Accept'], 'header names stay');
    assert.match(String(request!.detail!.url), /^https:\/\/\[redacted\]@example\.com\/file\.iso\?X-Amz-Signature=\[redacted\]&part=2$/);
    assert.equal((request!.detail!.record as { id: string }).id, 'r1');
    assert.match(echoed!.message, /Authorization: \[redacted\]/);
    assert.match(String((unexpected!.detail!.error as { message: string }).message), /Basic \[redacted\] to https:\/\/\[redacted\]@h\/x/);
  });

  test('a credential after its scheme word is found in text that has no "@", "=" or ":" (what most lines lack)', () => {
    const dir = tempDir();
    const log = new FileLogger(dir);
    log.info('sent Token t0ken-value-9 then Bearer\tb3arer-value', { note: 'Digest d1gest-value-7', id: 'b0b6c4de-4a54', path: '/home/you/files/u1.bin' });
    log.close();
    const text = fs.readFileSync(path.join(dir, LOG_FILE), 'utf8');
    for (const secret of ['t0ken-value-9', 'b3arer-value', 'd1gest-value-7']) assert.ok(!text.includes(secret), `${secret} leaked:\n${text}`);
    const [line] = records(path.join(dir, LOG_FILE));
    assert.equal(line!.message, 'sent Token [redacted] then Bearer [redacted]');
    assert.deepEqual(line!.detail, { note: 'Digest [redacted]', id: 'b0b6c4de-4a54', path: '/home/you/files/u1.bin' }, 'what holds no secret stays as it was');
  });

  test('records wait in memory and go out together; an error goes out at once with its stack', () => {
    const dir = tempDir();
    const file = path.join(dir, LOG_FILE);
    const log = new FileLogger(dir, { flushIntervalMs: 60_000 });
    for (let i = 0; i < 100; i++) log.info('progress', { i });
    assert.equal(records(file).length, 0, 'no write per record');
    function failingStep(): never {
      throw new TypeError('a bug');
    }
    try {
      failingStep();
    } catch (error) {
      log.error('unexpected failure in a transfer', { id: 't1', error });
    }
    const written = records(file);
    assert.equal(written.length, 101, 'the error flushed everything before it, in order');
    const error = written[100]!.detail!.error as { name: string; message: string; stack: string };
    assert.equal(error.name, 'TypeError');
    assert.match(error.stack, /at failingStep/, 'the stack says where');
    log.close();
  });

  test('levels: below the threshold nothing is written', () => {
    const dir = tempDir();
    const log = new FileLogger(dir, { level: 'warn' });
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    log.close();
    assert.deepEqual(records(path.join(dir, LOG_FILE)).map((r) => r.level), ['WARN', 'ERROR']);
  });

  test('rotation at the size limit: ferry.log, then .1 .. .3, oldest dropped, no line split', () => {
    const dir = tempDir();
    const maxBytes = 8 << 10;
    const log = new FileLogger(dir, { maxBytes, keep: 3 });
    for (let i = 0; i < 2000; i++) {
      log.info('record', { i, pad: 'x'.repeat(40) });
      if (i % 25 === 24) log.flush();
    }
    log.close();
    const names = fs.readdirSync(dir).sort();
    assert.deepEqual(names, [LOG_FILE, `${LOG_FILE}.1`, `${LOG_FILE}.2`, `${LOG_FILE}.3`]);
    for (const name of names) assert.ok(fs.statSync(path.join(dir, name)).size <= maxBytes, `${name} stays within the limit`);
    const numbers = [`${LOG_FILE}.3`, `${LOG_FILE}.2`, `${LOG_FILE}.1`, LOG_FILE].flatMap((name) => records(path.join(dir, name)).map((r) => r.detail!.i as number));
    assert.equal(numbers.at(-1), 1999, 'the newest record is in ferry.log');
    assert.ok(numbers[0]! > 0, 'the oldest records were dropped');
    numbers.forEach((n, k) => k > 0 && assert.equal(n, numbers[k - 1]! + 1, 'oldest file first, no record lost between files'));
  });

  test('what is buffered is written when the process exits, and the log keeps no process alive', () => {
    const dir = tempDir();
    const script = `const { FileLogger } = require(${JSON.stringify(LOG_MODULE)});
      const log = new FileLogger(${JSON.stringify(dir)}, { flushIntervalMs: 60000 });
      log.info('last words', { n: 1 });
      if (process.argv[1] === 'exit') process.exit(3);`;
    for (const how of ['exit', 'drain']) {
      const run = spawnSync(process.execPath, ['-e', script, how], { timeout: 10_000 });
      assert.equal(run.status, how === 'exit' ? 3 : 0, run.stderr.toString());
    }
    assert.deepEqual(records(path.join(dir, LOG_FILE)).map((r) => r.message), ['last words', 'last words']);
  });

  test('a log that cannot be written never throws at the caller', () => {
    const dir = path.join(tempDir(), 'gone');
    const log = new FileLogger(dir);
    log.error('nowhere to go', { a: 1 });
    log.info('still fine');
    log.close();
    assert.equal(fs.existsSync(dir), false);
  });
});
