/**
 * One Chromium-with-enterprise-policy run at a time on a machine: Chromium reads every file of the
 * machine-wide policy directory, so two runs at once would configure each other's browsers. Used by
 * the e2e global setup, the demo and the benchmarks. A dead holder's lock is taken over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BROWSER_LOCK = join(tmpdir(), 'ai-geofence-e2e.lock');

function holderAlive(): boolean {
  try {
    process.kill(Number(readFileSync(join(BROWSER_LOCK, 'pid'), 'utf8')), 0);
    return true;
  } catch {
    return false;
  }
}

/** Wait for the lock (telling `onWait` once), then hold it until `releaseBrowserLock()`. */
export async function acquireBrowserLock(timeoutMs = 30 * 60_000, onWait?: () => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      mkdirSync(BROWSER_LOCK);
      writeFileSync(join(BROWSER_LOCK, 'pid'), String(process.pid));
      return;
    } catch {
      if (!holderAlive()) {
        rmSync(BROWSER_LOCK, { recursive: true, force: true });
        continue;
      }
      if (!told) onWait?.();
      told = true;
      if (Date.now() > deadline)
        throw new Error(`another browser run holds ${BROWSER_LOCK}; waited ${Math.round(timeoutMs / 60_000)} min`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** Release the lock if this process holds it. */
export function releaseBrowserLock(): void {
  try {
    if (readFileSync(join(BROWSER_LOCK, 'pid'), 'utf8') === String(process.pid))
      rmSync(BROWSER_LOCK, { recursive: true, force: true });
  } catch {
    // not held
  }
}
