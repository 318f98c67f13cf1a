/**
 * The shape of the code, checked like behaviour (issue 12): the engine's files form no
 * import cycle, type imports included (a cycle through types still ties two modules'
 * designs together and makes load order matter the day one of them gains a value), and no
 * source file under electron/ grows past what one person reads in one sitting.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const ROOT = path.join(__dirname, '..', '..', '..');
const MAX_LINES = 500;

/**
 * Files known to be too long. Each entry is removed once its file is split; the test says
 * so when an entry is no longer needed, so the list only ever shrinks.
 */
const KNOWN_LONG_FILES: ReadonlySet<string> = new Set<string>([
]);

/**
 * Import edges (importer, imported) known to close a cycle. The test ignores exactly these
 * and fails on any other cycle; an entry that no longer closes a cycle must be removed.
 */
const KNOWN_CYCLE_EDGES: ReadonlyArray<readonly [string, string]> = [
  // None today. The cycles found (issue 12) all ran through context.ts importing the
  // scheduler for Limits and the bandwidth limiter importing context.ts for Clock.
];

/** Every .ts file under `dir` (relative to the repository, with forward slashes). */
function sourceFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (at: string): void => {
    for (const entry of fs.readdirSync(path.join(ROOT, at), { withFileTypes: true })) {
      const rel = `${at}/${entry.name}`;
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.ts')) found.push(rel);
    }
  };
  walk(dir);
  return found.sort();
}

/** Every module specifier a file names: imports, `import type`, re-exports, import() and require(), `import('x').T`. */
function specifiers(file: string): string[] {
  const source = ts.createSourceFile(file, fs.readFileSync(path.join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      found.push(node.moduleReference.expression.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push(node.argument.literal.text);
    } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0]!)) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) found.push((node.arguments[0] as ts.StringLiteral).text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The engine's import graph: each file and the engine files it imports. */
function importGraph(dir: string): Map<string, string[]> {
  const files = sourceFiles(dir);
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = new Set<string>();
    for (const spec of specifiers(file)) {
      if (!spec.startsWith('.')) continue;
      const base = path.posix.join(path.posix.dirname(file), spec);
      const target = [`${base}.ts`, `${base}.d.ts`, `${base}/index.ts`].find((candidate) => known.has(candidate));
      if (target) targets.add(target);
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (file: string): void => {
    index.set(file, counter);
    low.set(file, counter++);
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!index.has(next)) {
        connect(next);
        low.set(file, Math.min(low.get(file)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(file, Math.min(low.get(file)!, index.get(next)!));
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || (graph.get(file) ?? []).includes(file)) found.push(component.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) connect(file);
  return found;
}

/** One cycle through `component`, as a readable path a -> b -> ... -> a. */
function describeCycle(graph: Map<string, string[]>, component: string[]): string {
  const members = new Set(component);
  const start = component[0]!;
  // Breadth-first from start back to itself, inside the component.
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const at = queue.shift()!;
    for (const next of graph.get(at) ?? []) {
      if (!members.has(next) || previous.has(next)) continue;
      previous.set(next, at);
      if (next === start) queue.length = 0;
      else queue.push(next);
    }
  }
  const steps = [start];
  for (let at = previous.get(start); at !== undefined && at !== start; at = previous.get(at)) steps.unshift(at);
  steps.unshift(start);
  return steps.join(' -> ');
}

function withoutEdges(graph: Map<string, string[]>, edges: ReadonlyArray<readonly [string, string]>): Map<string, string[]> {
  const pruned = new Map<string, string[]>();
  for (const [file, targets] of graph) pruned.set(file, targets.filter((target) => !edges.some(([from, to]) => from === file && to === target)));
  return pruned;
}

function lineCount(file: string): number {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  return text.length === 0 ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

test('no import cycle among the files under electron/engine, type imports included', () => {
  const graph = importGraph('electron/engine');
  assert.ok(graph.size > 20, `read ${graph.size} engine files`);
  const remaining = cycles(withoutEdges(graph, KNOWN_CYCLE_EDGES));
  assert.deepEqual(
    remaining.map((component) => `${component.length} files import each other (${component.join(', ')}), for one: ${describeCycle(graph, component)}`),
    [],
    'import cycles: move the shared type or value into a module both can import, or invert the dependency (pass a function in)',
  );
  const inCycles = new Set(cycles(graph).flat());
  for (const [from, to] of KNOWN_CYCLE_EDGES) {
    assert.ok((graph.get(from) ?? []).includes(to) && inCycles.has(from) && inCycles.has(to), `${from} -> ${to} no longer closes a cycle: remove it from KNOWN_CYCLE_EDGES`);
  }
});

test('the cycle finder finds a cycle through type imports (so the test above can fail)', () => {
  const graph = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts']],
    ['c.ts', ['a.ts']],
    ['d.ts', ['a.ts']],
  ]);
  assert.deepEqual(cycles(graph), [['a.ts', 'b.ts', 'c.ts']]);
  assert.equal(describeCycle(graph, ['a.ts', 'b.ts', 'c.ts']), 'a.ts -> b.ts -> c.ts -> a.ts');
  assert.deepEqual(cycles(withoutEdges(graph, [['c.ts', 'a.ts']])), []);
  // The reader sees `import type` and `import('x').T` as imports.
  const scheduler = specifiers('electron/engine/scheduler/scheduler.ts');
  assert.ok(scheduler.some((s) => s.endsWith('/context')), scheduler.join());
});

test(`no source file under electron/ over ${MAX_LINES} lines`, () => {
  const files = sourceFiles('electron');
  assert.ok(files.length > 50, `read ${files.length} files`);
  const long = files.filter((file) => lineCount(file) > MAX_LINES);
  assert.deepEqual(
    long.filter((file) => !KNOWN_LONG_FILES.has(file)).map((file) => `${file}: ${lineCount(file)} lines`),
    [],
    'split these into modules with one job each',
  );
  for (const file of KNOWN_LONG_FILES) assert.ok(long.includes(file), `${file} is ${MAX_LINES} lines or fewer now (or gone): remove it from KNOWN_LONG_FILES`);
});
