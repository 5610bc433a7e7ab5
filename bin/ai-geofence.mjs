#!/usr/bin/env node
// The `ai-geofence` CLI on Node 20, which cannot run TypeScript: bundle src/cli/index.ts with
// esbuild into node_modules/.cache/ai-geofence/cli.mjs when that bundle is missing or older than
// any file under src/ (or this script, or package-lock.json), then import it. stdout carries only
// the command's output.
import { mkdirSync, readdirSync, renameSync, statSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const ENTRY = join(ROOT, 'src', 'cli', 'index.ts');
const BUNDLE = join(ROOT, 'node_modules', '.cache', 'ai-geofence', 'cli.mjs');

/** Newest mtime (ms) of any file under `dir`. */
function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.isFile()) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function mtimeOr(path, fallback) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return fallback;
  }
}

async function ensureBundle() {
  const sources = Math.max(
    newestMtime(join(ROOT, 'src')),
    statSync(fileURLToPath(import.meta.url)).mtimeMs,
    // A dependency update (npm ci / npm install) rewrites the lock file.
    mtimeOr(join(ROOT, 'package-lock.json'), 0),
  );
  if (mtimeOr(BUNDLE, -1) >= sources) return;
  // Loaded lazily: importing esbuild costs more than the whole cached start-up.
  const { build } = await import('esbuild');
  const started = new Date();
  mkdirSync(dirname(BUNDLE), { recursive: true });
  // Write then rename, so parallel runs (tests) never import a half-written bundle.
  const tmp = `${BUNDLE}.${process.pid}.tmp.mjs`;
  await build({
    entryPoints: [ENTRY],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    // No `packages: 'external'`: one file with jose and valibot inside loads ~3x faster than
    // resolving their many ES modules at every start.
    // A native module cannot be bundled; it is loaded from node_modules when a store is read.
    external: ['better-sqlite3'],
  });
  // Stamp the bundle with the build's start, so a source saved during the build triggers a rebuild.
  utimesSync(tmp, started, started);
  renameSync(tmp, BUNDLE);
}

try {
  await ensureBundle();
} catch (e) {
  process.stderr.write(
    `ai-geofence: cannot build the CLI (run "npm ci" first?): ${e instanceof Error ? e.message : String(e)}\n`,
  );
  process.exit(1);
}
const { main } = await import(pathToFileURL(BUNDLE).href);
// exitCode, not exit(): lets a large stdout drain into a pipe before the process ends.
process.exitCode = await main(process.argv.slice(2));
