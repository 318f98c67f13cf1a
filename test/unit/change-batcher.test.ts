import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServiceEvent } from '../../electron/common/service';
import type { TransferRecord } from '../../electron/common/transfer';
import { ChangeBatcher } from '../../electron/engine/service/change-batcher';
import { openEngine } from '../support/harness';

test('a batch whose store read fails is told, not thrown from a timer, and its changes go with the next batch', async () => {
  const t = openEngine();
  const { record } = t.engine.addDownload({ url: 'https://example.invalid/a.bin', dir: t.dir });
  let failNext = true;
  const errors: unknown[] = [];
  const events: ServiceEvent[] = [];
  const source = {
    get: (id: string): TransferRecord | undefined => {
      if (failNext) {
        failNext = false;
        throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
      }
      return t.engine.store.get(id);
    },
    list: () => t.engine.store.list(),
    activeProgress: () => [],
  };
  const batcher = new ChangeBatcher(source, () => Date.now(), (e) => events.push(e), 20, (error) => errors.push(error));
  try {
    batcher.touch(record.id);
    for (let i = 0; i < 50 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(errors.length, 1, 'the failure was told');
    const changes = events.flatMap((e) => (e.type === 'changes' ? e.changes : []));
    assert.ok(changes.some((c) => c.id === record.id), 'the change went out with the next batch');
  } finally {
    batcher.close();
    await t.engine.close();
  }
});
