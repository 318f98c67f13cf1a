import { defineConfig } from 'vitest/config';

/** Component tests for the window: React in jsdom, against the real engine where a client is needed. */
export default defineConfig({
  test: {
    include: ['test/renderer/**/*.test.tsx'],
    environment: 'jsdom',
    setupFiles: ['test/renderer/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
