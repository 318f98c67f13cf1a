// Lint enforces the layering of shared/DESIGN.md section 1: common <- engine <- (main | cli);
// common <- preload; common <- renderer; common <- browser (the extension). Nothing imports upward or sideways, and cli and
// main see the engine only through electron/engine/index.ts.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Bare module names ('electron', 'react', 'fs') are matched as names: as gitignore-style
// patterns they would also match a folder of that name in a relative path (../../electron/common).
const isBareName = (entry) => !entry.includes('/') && !entry.includes('*');
// `extra`: more patterns for the same files (one rule configuration per file is all ESLint keeps).
const layer = (files, forbidden, why, extra = []) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths: forbidden.filter(isBareName).map((name) => ({ name, message: why })),
        patterns: [...forbidden.filter((entry) => !isBareName(entry)).map((group) => ({ group: [group], message: why })), ...extra],
      },
    ],
  },
});

// Outside electron/engine the engine is one module, electron/engine/index.ts: '../engine' or
// '../engine/index', never a file behind it. (Tests and benches may reach deeper.)
const ENGINE_ENTRY_ONLY = {
  regex: '(^|/)engine/(?!index$)',
  message: 'Import the engine through its one public entry, electron/engine/index.ts (../engine); export what you need there.',
};

const NODE_BUILTINS = ['node:*', 'fs', 'path', 'os', 'crypto', 'http', 'https', 'net', 'tls', 'stream', 'zlib', 'worker_threads', 'child_process'];

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: false } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  layer(
    ['electron/common/**/*.ts'],
    [...NODE_BUILTINS, 'electron', 'react', 'react-dom', 'better-sqlite3', 'undici', '**/engine/**', '**/main/**', '**/cli/**', '**/preload/**', '**/renderer/**'],
    'electron/common is pure TypeScript shared by every layer: no Node, Electron, React or other layer.',
  ),
  layer(
    ['electron/engine/**/*.ts'],
    ['electron', 'electron/*', 'react', '**/main/**', '**/cli/**', '**/preload/**', '**/renderer/**'],
    'electron/engine is plain Node: it never imports Electron, the shell, the CLI or the UI.',
  ),
  layer(
    ['electron/cli/**/*.ts'],
    ['electron', 'electron/*', 'react', '**/main/**', '**/preload/**', '**/renderer/**'],
    'electron/cli never imports Electron or the UI.',
    [ENGINE_ENTRY_ONLY],
  ),
  layer(
    ['electron/main/**/*.ts'],
    ['react', '**/cli/**', '**/preload/**', '**/renderer/**'],
    'electron/main imports common and engine only.',
    [ENGINE_ENTRY_ONLY],
  ),
  layer(
    ['electron/preload/**/*.ts'],
    [...NODE_BUILTINS, '**/engine/**', '**/main/**', '**/cli/**', '**/renderer/**'],
    'electron/preload imports common only (and electron).',
  ),
  layer(
    ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    [...NODE_BUILTINS, 'electron', '**/engine/**', '**/main/**', '**/cli/**', '**/preload/**'],
    'renderer imports electron/common only; it talks to the engine through a TransferClient.',
  ),
  layer(
    ['browser/**/*.ts'],
    [...NODE_BUILTINS, 'electron', 'react', 'react-dom', '**/engine/**', '**/main/**', '**/cli/**', '**/preload/**', '**/renderer/**'],
    'browser/ (the extension) imports electron/common only; it reaches Ferry through native messaging.',
  ),
);
