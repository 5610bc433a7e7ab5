import { acquireBrowserLock, releaseBrowserLock } from '../../scripts/lib/browser-lock.ts';
import { assertPrerequisites, removeManagedConfig } from './harness.ts';

/** Fail the whole run at once, with the fix, when Chromium or the build is missing; then take the machine's browser lock. */
export default async function globalSetup(): Promise<() => void> {
  assertPrerequisites();
  await acquireBrowserLock(30 * 60_000, () =>
    console.log('e2e: waiting for another browser run on this machine to finish…'),
  );
  return () => {
    removeManagedConfig();
    releaseBrowserLock();
  };
}
