/**
 * The one place that knows which browser we run in: `browser.*` (promise-based) everywhere,
 * webextension-polyfill behind it on Chromium.
 */
import browser from 'webextension-polyfill';

export { browser };
