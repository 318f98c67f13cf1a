import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { CLI } from '../support/cli';
import { FaultServer, randomBytesOf } from '../support/fault-server';
import { tempDir } from '../support/harness';

/** The CLI as a person sees it: a real terminal (tmux), its screen read back. */
const TMUX = (() => {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'tmux is not installed (apt-get install tmux)';
  }
})();

let server: FaultServer;
before(async () => {
  server = await new FaultServer().start();
});
after(async () => {
  await server.stop();
});

const session = `ferry-test-${process.pid}`;
const tmux = (...args: string[]): string => execFileSync('tmux', args, { encoding: 'utf8' });
const screen = (): string[] => tmux('capture-pane', '-p', '-t', session).split('\n');

async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}; the screen was:\n${screen().join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('ferry in a real terminal', { skip: TMUX ?? false }, () => {
  before(() => {
    tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '30', 'bash', '--norc', '--noprofile');
  });
  after(() => {
    tmux('kill-session', '-t', session);
  });

  test('a mistyped flag gets "did you mean", not the parser\'s own words', async () => {
    tmux('send-keys', '-t', session, `node ${CLI} get http://127.0.0.1:1/x --dri /tmp; echo "exit=$?"`, 'Enter');
    await until(() => screen().some((l) => l.startsWith('exit=')), 'the command ended');
    const lines = screen();
    assert.ok(lines.some((l) => l === 'ferry: unknown option --dri; did you mean --dir?'), lines.join('\n'));
    assert.ok(lines.includes('exit=2'));
    assert.ok(!lines.some((l) => /ERR_PARSE_ARGS|positional argument/.test(l)));
    tmux('send-keys', '-t', session, 'clear', 'Enter');
  });

  test('the live progress line moves, never keeps the tail of a longer one, and gives way to the result', async () => {
    const body = randomBytesOf(900_000, 9);
    const url = server.serve('/tty/slow.bin', { body, etag: '"t1"' });
    const dir = tempDir('tty-dl-');
    const data = tempDir('tty-data-');
    tmux('send-keys', '-t', session, `node ${CLI} get ${url} --dir ${dir} --data-dir ${data} --limit-rate 300K; echo "exit=$?"`, 'Enter');
    const progress = (): string | undefined => screen().find((l) => /%/.test(l) && !l.includes('ferry.js'));
    await until(() => progress() !== undefined, 'a progress line appeared');
    const seen = new Set<string>();
    await until(() => {
      const line = progress();
      if (line) seen.add(line.trimEnd());
      return screen().some((l) => l.startsWith('exit='));
    }, 'the download ended', 30_000);
    const lines = screen().map((l) => l.trimEnd());
    assert.ok(lines.includes('exit=0'), lines.join('\n'));
    assert.ok(seen.size >= 2, `the progress line changed while bytes moved (${[...seen].join(' | ')})`);
    // Every drawn line is one whole progress line: no line holds two, or the end of an older one.
    for (const line of seen) assert.ok((line.match(/%/g) ?? []).length <= 1, `a progress line with a stale tail: "${line}"`);
    // The result replaced the progress line: none is left on the screen once it ended.
    assert.ok(!lines.some((l) => /%/.test(l) && !l.includes('ferry.js')), lines.join('\n'));
    assert.ok(lines.some((l) => l.includes(dir) && l.includes('slow.bin')), `the result names where the file is:\n${lines.join('\n')}`);
  });
});
