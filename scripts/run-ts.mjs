#!/usr/bin/env node
// Run a TypeScript entry point on Node 20 (which cannot strip types): bundle it with esbuild into
// node_modules/.cache/ai-geofence/, dependencies left external, then import it with the same argv.
// Usage: node scripts/run-ts.mjs scripts/demo.ts [args…]
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const entry = resolve(process.argv[2] ?? '');
const out = join(ROOT, 'node_modules', '.cache', 'ai-geofence', `${basename(entry, '.ts')}.${process.pid}.mjs`);
mkdirSync(dirname(out), { recursive: true });
await build({
  entryPoints: [entry],
  outfile: out,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'error',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  // The bundle lives in the cache; scripts still see their own source folder.
  define: { __BROWSER__: '"chrome"', __DEMO_CONFIG__: 'null', 'import.meta.dirname': JSON.stringify(dirname(entry)) },
});
process.argv.splice(2, 1);
try {
  await import(pathToFileURL(out).href);
} finally {
  (await import('node:fs')).rmSync(out, { force: true });
}
