/**
 * The demo build: `npm start` on a machine where it cannot write Chromium's machine-wide enterprise
 * policy directory (no root) builds a separate copy of the extension, `dist/demo-chrome/`, whose
 * managed configuration comes from a file bundled into it. build.mjs sets `__DEMO_CONFIG__` to that
 * file's content for the demo build and to `null` for every other build, so a release build holds
 * neither the configuration nor this fallback (esbuild drops the dead branches; a unit test checks).
 */
declare const __DEMO_CONFIG__: Readonly<Record<string, unknown>> | null;

/** True only in the demo build. */
export const IS_DEMO_BUILD: boolean = __DEMO_CONFIG__ !== null;

/**
 * What the worker validates as its managed configuration: what enterprise policy delivered or, in
 * the demo build only and only while no enterprise policy configures the extension, the bundled file.
 */
export function managedOrBundledConfig(managed: unknown): unknown {
  if (!__DEMO_CONFIG__) return managed;
  const empty = !managed || typeof managed !== 'object' || Object.keys(managed).length === 0;
  return empty ? __DEMO_CONFIG__ : managed;
}
