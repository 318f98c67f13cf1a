import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';

/** The project root, whether this file runs compiled (out/test/support) or from source (vitest, Playwright). */
export const ROOT = __dirname.includes(`${path.sep}out${path.sep}`) ? path.join(__dirname, '..', '..', '..') : path.join(__dirname, '..', '..');

/** The built CLI, as package.json's bin names it. */
export const CLI = path.join(ROOT, 'out', 'electron', 'cli', 'ferry.js');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as NDJSON. */
  events: Array<Record<string, unknown>>;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<CliRun> } {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliRun>((resolve) =>
    child.on('close', (code, signal) => {
      const events = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ code, signal, stdout, stderr, events });
    }),
  );
  return { child, done };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return startCli(args, env).done;
}

export function resultOf(run: CliRun): Record<string, unknown> {
  const results = run.events.filter((e) => e.type === 'result');
  if (results.length !== 1) throw new Error(`expected one result line, got ${results.length}:\n${run.stdout}\n${run.stderr}`);
  return results[0]!;
}

/**
 * Starts `args` and kills it with SIGKILL after a random wait, `times` times over: the
 * crash a test then recovers from. Returns the waits, for the test's report. A run that
 * ended on its own before its kill is an error: the test would prove nothing.
 *
 * `movedOn`, when given, tells whether this run has moved bytes yet (it is asked before
 * each start, to take its baseline, and then polled): the random wait counts from there, so
 * a slow start on a loaded machine does not turn every kill into one before any work.
 */
export async function killRepeatedly(args: string[], times: number, minMs: number, spreadMs: number, movedOn?: () => () => boolean): Promise<number[]> {
  const waits: number[] = [];
  for (let i = 0; i < times; i++) {
    const moved = movedOn?.();
    const run = startCli(args);
    if (moved) {
      const deadline = Date.now() + 30_000;
      while (!moved() && run.child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    }
    const wait = minMs + Math.floor(Math.random() * spreadMs);
    waits.push(wait);
    await new Promise((r) => setTimeout(r, wait));
    run.child.kill('SIGKILL');
    const killed = await run.done;
    if (killed.signal !== 'SIGKILL') throw new Error(`run ${i} had already ended: ${killed.stdout}`);
  }
  return waits;
}
