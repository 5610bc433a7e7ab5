import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Only the demo build bundles a managed configuration (src/platform/demo-build.ts).
  define: { __DEMO_CONFIG__: 'null' },
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'scripts/**/*.test.ts', 'test/unit/**/*.test.ts'],
    environment: 'node',
  },
});
