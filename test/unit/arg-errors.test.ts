import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';
import { test } from 'node:test';
import { editDistance, explainParseError, nearestFlag } from '../../electron/cli/arg-errors';

const KNOWN = ['dir', 'name', 'checksum', 'connections', 'max-active', 'max-per-host', 'limit-rate', 'stall-timeout', 'header', 'data-dir', 'json', 'help', 'force'];

function errorOf(args: string[]): unknown {
  try {
    parseArgs({ args, options: { dir: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: false, strict: true });
  } catch (error) {
    return error;
  }
  throw new Error('parsed');
}

test('a slip of the keyboard finds the flag that was meant; a wild guess finds none', () => {
  assert.equal(editDistance('dri', 'dir'), 1);
  const table: Array<[string, string | null]> = [
    ['--dri', '--dir'],
    ['--chekcsum', '--checksum'],
    ['--max-actve', '--max-active'],
    ['--stall', '--stall-timeout'],
    ['--limit-rate=5', '--limit-rate'],
    ['--frobnicate', null],
    ['--x', null],
  ];
  for (const [given, meant] of table) assert.equal(nearestFlag(given, KNOWN), meant, given);
});

test("Node's parse errors said for a person: the option, what was wrong, the way out", () => {
  assert.equal(explainParseError(errorOf(['--dri', 'x']), 'get', ['dir', 'json']), 'unknown option --dri; did you mean --dir?');
  assert.equal(explainParseError(errorOf(['--zzz']), 'get', ['dir', 'json']), 'unknown option --zzz (ferry get --help lists them)');
  assert.equal(explainParseError(errorOf(['--dir']), 'get', ['dir', 'json']), '--dir needs a value, as in --dir VALUE');
  assert.equal(explainParseError(errorOf(['--dir', '--json']), 'get', ['dir', 'json']), '--dir needs a value, as in --dir VALUE');
  assert.match(explainParseError(errorOf(['--json=yes']), 'get', ['dir', 'json'])!, /^--json takes no value/);
  assert.equal(explainParseError(errorOf(['extra']), 'list', ['dir', 'json']), 'ferry list takes no argument "extra" (ferry list --help lists them)');
  assert.equal(explainParseError(new Error('other'), 'get', KNOWN), null);
});
