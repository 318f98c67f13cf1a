/**
 * A damaged ferry.db, in every form a disk, a crash or a person can leave it: each ends
 * the same way. One line says which file was kept aside and why, the damaged bytes are
 * kept untouched for inspection, and the engine runs on a store it can trust. A store
 * from a newer Ferry is not damage: it is refused and left exactly as it is.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { Engine } from '../../electron/engine/engine';
import { KeyFileSecretBox } from '../../electron/engine/secrets';
import { openEngineService } from '../../electron/engine/service/open-service';
import { StoreTooNewError } from '../../electron/engine/store/database';
import { MIGRATIONS } from '../../electron/engine/store/migrations';
import { runCli } from '../support/cli';
import { FaultServer, randomBytesOf, sha256 } from '../support/fault-server';
import { download, openEngine, tempDir } from '../support/harness';
import { startServe } from '../support/service';

const DB = 'ferry.db';

/** A data directory whose store holds `count` downloads and their history, closed cleanly. */
async function populated(count = 40): Promise<{ dataDir: string; ids: string[] }> {
  const dataDir = tempDir('ferry-data-');
  const engine = Engine.open({ dataDir, command: 'test' });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { record } = engine.addDownload({ url: `http://127.0.0.1:9/file-${i}.bin`, dir: dataDir });
    engine.store.addHistory(record.id, 'start', { note: 'x'.repeat(300) }, Date.now());
    ids.push(record.id);
  }
  await engine.close();
  return { dataDir, ids };
}

const digestOf = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const filesIn = (dir: string): string[] => fs.readdirSync(dir).sort();

/** Opens the damaged store and checks the common ending; returns the engine, still open. */
function openDamaged(dataDir: string, damaged: { file: string; digest: string }, reason: RegExp): Engine {
  const engine = Engine.open({ dataDir, command: 'test' });
  const damage = engine.storeDamage;
  assert.ok(damage, 'the damage is reported');
  assert.equal(path.dirname(damage.keptAs), dataDir, 'kept in the data directory');
  assert.match(path.basename(damage.keptAs), new RegExp(`^${path.basename(damaged.file).replace('.', '\\.')}\\.damaged-\\d{8}T\\d{6}`), 'kept under its name plus a timestamp');
  assert.equal(digestOf(damage.keptAs), damaged.digest, 'the damaged bytes are kept exactly as they were');
  assert.match(damage.reason, reason);
  assert.doesNotMatch(damage.message, /\n/, 'one line');
  assert.ok(damage.message.includes(damage.keptAs), `the line names the kept file: ${damage.message}`);
  assert.ok(damage.message.includes(damage.reason), `the line says why: ${damage.message}`);
  return engine;
}

/** The engine runs on the store it has now: a transfer added survives a restart. */
async function provesUsable(engine: Engine, dataDir: string, expectRows: number): Promise<void> {
  assert.equal(engine.list().length, expectRows);
  const { record } = engine.addDownload({ url: 'http://127.0.0.1:9/after-damage.bin', dir: dataDir });
  await engine.close();
  const again = Engine.open({ dataDir, command: 'test' });
  assert.equal(again.storeDamage, null, 'the store it started is sound');
  assert.ok(again.store.get(record.id));
  await again.close();
}

describe('a damaged store is kept aside and a sound one takes its place', () => {
  test('truncated to half its size', async () => {
    const { dataDir } = await populated();
    const file = path.join(dataDir, DB);
    fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2));
    const engine = openDamaged(dataDir, { file, digest: digestOf(file) }, /truncated/);
    assert.equal(engine.storeDamage!.freshStore, true);
    await provesUsable(engine, dataDir, 0);
  });

  test('truncated to nothing (0 bytes)', async () => {
    const { dataDir } = await populated();
    const file = path.join(dataDir, DB);
    fs.truncateSync(file, 0);
    const engine = openDamaged(dataDir, { file, digest: digestOf(file) }, /empty/);
    await provesUsable(engine, dataDir, 0);
  });

  test('random bytes instead of a database', async () => {
    const dataDir = tempDir('ferry-data-');
    const file = path.join(dataDir, DB);
    fs.writeFileSync(file, randomBytes(40_000));
    const engine = openDamaged(dataDir, { file, digest: digestOf(file) }, /not an SQLite database/);
    await provesUsable(engine, dataDir, 0);
  });

  test('random bytes over a page inside an otherwise valid database (the header reads fine)', async () => {
    const { dataDir } = await populated();
    const file = path.join(dataDir, DB);
    const bytes = fs.readFileSync(file);
    const page = bytes.readUInt16BE(16); // the page size, from the header
    const garbage = randomBytes(page);
    garbage[0] = 0; // no valid b-tree page starts with 0: the garbage cannot pass for a page by chance
    garbage.copy(bytes, page); // page 2: the transfers table
    fs.writeFileSync(file, bytes);
    const engine = openDamaged(dataDir, { file, digest: digestOf(file) }, /malformed|check reports/);
    await provesUsable(engine, dataDir, 0);
  });

  test('a write-ahead log that is garbage: the log is kept aside, the sound database keeps its transfers', async () => {
    const { dataDir, ids } = await populated();
    const wal = path.join(dataDir, `${DB}-wal`);
    fs.writeFileSync(wal, randomBytes(50_000));
    const engine = openDamaged(dataDir, { file: wal, digest: digestOf(wal) }, /log/);
    assert.equal(engine.storeDamage!.freshStore, false);
    assert.deepEqual(engine.list().map((r) => r.id).sort(), [...ids].sort(), 'nothing the database held is lost');
    await provesUsable(engine, dataDir, ids.length);
  });

  test('a garbage log and a damaged database: both kept, under one timestamp', async () => {
    const { dataDir } = await populated();
    const file = path.join(dataDir, DB);
    const wal = `${file}-wal`;
    fs.writeFileSync(file, randomBytes(20_000));
    fs.writeFileSync(wal, randomBytes(20_000));
    const walDigest = digestOf(wal);
    const engine = openDamaged(dataDir, { file, digest: digestOf(file) }, /not an SQLite database/);
    assert.equal(digestOf(`${engine.storeDamage!.keptAs}-wal`), walDigest, 'the log is kept next to its database, as SQLite expects to find it');
    await provesUsable(engine, dataDir, 0);
  });

  test('a real download runs on the fresh store', async () => {
    const dataDir = tempDir('ferry-data-');
    fs.writeFileSync(path.join(dataDir, DB), randomBytes(10_000));
    const server = await new FaultServer().start();
    const body = randomBytesOf(300_000, 3);
    const url = server.serve('/after.bin', { body, etag: '"a"' });
    const t = openEngine(dataDir);
    try {
      assert.ok(t.engine.storeDamage);
      const final = await download(t, url);
      assert.equal(final.state, 'completed');
      assert.equal(final.sha256, sha256(body));
    } finally {
      await t.engine.close();
      await server.stop();
    }
  });

  test('the CLI says so in one line on stderr and goes on', async () => {
    const dataDir = tempDir('ferry-data-');
    fs.writeFileSync(path.join(dataDir, DB), randomBytes(10_000));
    const run = await runCli(['list', '--data-dir', dataDir]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stderr.trim().split('\n').filter((l) => /damaged/.test(l));
    assert.equal(lines.length, 1, run.stderr);
    const kept = filesIn(dataDir).find((f) => f.startsWith(`${DB}.damaged-`));
    assert.ok(kept && lines[0]!.includes(path.join(dataDir, kept)), `the line names the kept file: ${lines[0]}`);
    assert.match(lines[0]!, /not an SQLite database/);
  });

  test('ferry serve prints the same line and serves', async () => {
    const dataDir = tempDir('ferry-data-');
    fs.writeFileSync(path.join(dataDir, DB), randomBytes(10_000));
    const serve = await startServe(dataDir);
    try {
      const lines = serve.stderr().split('\n').filter((l) => /damaged/.test(l));
      assert.equal(lines.length, 1, serve.stderr());
      assert.match(lines[0]!, /not an SQLite database.*kept as .*ferry\.db\.damaged-/);
    } finally {
      assert.equal(await serve.stop(), 143);
    }
  });

  test('the service reports it as a notice to whoever connects', async () => {
    const dataDir = tempDir('ferry-data-');
    fs.writeFileSync(path.join(dataDir, DB), randomBytes(10_000));
    const { engine, service } = openEngineService({
      dataDir,
      command: 'test',
      host: { kind: 'serve', version: 'test', defaultDownloadDir: tempDir('ferry-dl-'), secrets: new KeyFileSecretBox(dataDir), reveal: null, open: null },
    });
    try {
      const heard: string[] = [];
      service.onEvent((event) => event.type === 'notice' && heard.push(`${event.notice.level}: ${event.notice.title}: ${event.notice.body}`));
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(heard.length, 1, heard.join('\n'));
      assert.ok(heard[0]!.startsWith('error: '));
      assert.ok(heard[0]!.includes(engine.storeDamage!.keptAs), heard[0]);
    } finally {
      service.close();
      await engine.close();
    }
  });
});

describe('a store from a newer Ferry is not damage', () => {
  async function newer(): Promise<{ dataDir: string; before: Map<string, string> }> {
    const { dataDir } = await populated(3);
    const db = new Database(path.join(dataDir, DB));
    db.pragma(`user_version = ${MIGRATIONS.length + 5}`);
    db.close();
    const before = new Map(filesIn(dataDir).map((f) => [f, digestOf(path.join(dataDir, f))]));
    return { dataDir, before };
  }

  test('the engine refuses it with a way out and touches nothing', async () => {
    const { dataDir, before } = await newer();
    assert.throws(
      () => Engine.open({ dataDir, command: 'test' }),
      (e: unknown) => e instanceof StoreTooNewError && /newer Ferry .*Update Ferry or use another --data-dir/.test(e.message),
    );
    const after = new Map(filesIn(dataDir).filter((f) => f !== 'ferry.lock.json').map((f) => [f, digestOf(path.join(dataDir, f))]));
    before.delete('ferry.lock.json');
    assert.deepEqual(after, before, 'no file moved, added or changed');
  });

  test('the CLI says so in one line and exits 2', async () => {
    const { dataDir, before } = await newer();
    const run = await runCli(['list', '--data-dir', dataDir]);
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /newer Ferry/);
    assert.doesNotMatch(run.stderr, /\bat \S+:\d+/, 'no stack trace');
    assert.deepEqual(filesIn(dataDir), [...before.keys()].sort());
  });
});
