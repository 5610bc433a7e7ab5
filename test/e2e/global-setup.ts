import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertPrerequisites, removeManagedConfig } from './harness.ts';

// Chromium reads every file of the machine-wide policy directory: two runs at once would configure
// each other's browsers. One run at a time on a machine, waiting for a live holder, taking over a dead one.
const LOCK = join(tmpdir(), 'ai-geofence-e2e.lock');

function holderAlive(): boolean {
  try {
    process.kill(Number(readFileSync(join(LOCK, 'pid'), 'utf8')), 0);
    return true;
  } catch {
    return false;
  }
}

async function acquireLock(timeoutMs = 30 * 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      return;
    } catch {
      if (!holderAlive()) {
        rmSync(LOCK, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`another end-to-end run holds ${LOCK}; waited ${timeoutMs / 60_000} min`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** Fail the whole run at once, with the fix, when Chromium or the build is missing. */
export default async function globalSetup(): Promise<() => void> {
  assertPrerequisites();
  await acquireLock();
  return () => {
    removeManagedConfig();
    rmSync(LOCK, { recursive: true, force: true });
  };
}
