import { assertPrerequisites, removeManagedConfig } from './harness.ts';

/** Fail the whole run at once, with the fix, when Chromium or the build is missing. */
export default function globalSetup(): () => void {
  assertPrerequisites();
  return () => removeManagedConfig();
}
