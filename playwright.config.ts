import { defineConfig } from '@playwright/test';

// One browser at a time: the tests write Chromium's machine-wide enterprise policy directory.
export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '*.spec.ts',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  globalSetup: './test/e2e/global-setup.ts',
  use: { trace: 'off' },
});
