import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Only the demo build bundles a managed configuration (src/platform/demo-build.ts).
  define: { __DEMO_CONFIG__: 'null' },
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'scripts/**/*.test.ts', 'test/unit/**/*.test.ts'],
    environment: 'node',
    // Property tests run thousands of generated cases; on a shared 2-core CI machine the default 5 s
    // is too tight for them (https://vitest.dev/config/#testtimeout). A hung test still fails.
    testTimeout: 30_000,
  },
});
