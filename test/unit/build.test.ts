import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

const ROOT = path.join(__dirname, '..', '..', '..');

interface Stamp {
  key: string;
  startedAt: number;
  inputs: Record<string, number>;
  outputs: string[];
}
interface UpToDate {
  staleReason(stamp: Stamp | null, key: string, mtimeOf: (file: string) => number | null, current?: string[]): string | null;
  parseStamp(text: string | null): Stamp | null;
}
/** build/up-to-date.mjs: the decision npm run build (and npm start) makes for each step. */
const load = (): Promise<UpToDate> => import(pathToFileURL(path.join(ROOT, 'build', 'up-to-date.mjs')).href) as Promise<UpToDate>;

const stamp: Stamp = { key: 'k', startedAt: 1_000, inputs: { 'src/a.ts': 900, 'src/b.ts': 950 }, outputs: ['out/a.js'] };
const disk = (files: Record<string, number | null>) => (file: string) => files[file] ?? null;
const asBuilt = { 'src/a.ts': 900, 'src/b.ts': 950, 'out/a.js': 1_500 };

test('npm run build: a step runs again exactly when something it read changed since its last finished run', async () => {
  const { staleReason } = await load();
  assert.equal(staleReason(stamp, 'k', disk(asBuilt)), null, 'nothing changed: skipped');
  assert.equal(staleReason(stamp, 'k', disk(asBuilt), ['src/a.ts', 'src/b.ts']), null);

  assert.equal(staleReason(null, 'k', disk(asBuilt)), 'no finished build recorded', 'never built, or the last run failed');
  assert.equal(staleReason(stamp, 'other', disk(asBuilt)), 'its build options changed');
  assert.equal(staleReason(stamp, 'k', disk({ ...asBuilt, 'out/a.js': null })), 'out/a.js is missing');
  assert.equal(staleReason(stamp, 'k', disk({ ...asBuilt, 'src/b.ts': 2_000 })), 'src/b.ts changed', 'saved after the build');
  assert.equal(staleReason(stamp, 'k', disk({ ...asBuilt, 'src/b.ts': 100 })), 'src/b.ts changed', 'an older copy put back');
  assert.equal(staleReason(stamp, 'k', disk({ ...asBuilt, 'src/a.ts': null })), 'src/a.ts is gone');
  assert.equal(staleReason(stamp, 'k', disk(asBuilt), ['src/a.ts', 'src/b.ts', 'src/c.ts']), 'src/c.ts is new');

  // Saved while the tool ran: recorded at or after the run began, the tool may have read the
  // file before that save, so the next build runs again even though the mtime is unchanged.
  const during = { ...stamp, inputs: { ...stamp.inputs, 'src/b.ts': 1_000 } };
  assert.equal(staleReason(during, 'k', disk({ ...asBuilt, 'src/b.ts': 1_000 })), 'src/b.ts changed');
});

test('npm run build: a damaged or foreign stamp reads as none, which only costs one build', async () => {
  const { parseStamp } = await load();
  assert.deepEqual(parseStamp(JSON.stringify(stamp)), stamp);
  for (const text of [null, '', '{', 'null', '[]', JSON.stringify({ ...stamp, inputs: { a: '1' } }), JSON.stringify({ ...stamp, outputs: 'out/a.js' }), JSON.stringify({ key: 'k' })]) {
    assert.equal(parseStamp(text), null, String(text));
  }
});
