/** Set by build.mjs for each target browser. */
declare const __BROWSER__: 'chrome' | 'firefox';
