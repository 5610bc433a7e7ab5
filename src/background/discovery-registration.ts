/**
 * Discovery of unlisted AI tools (issue 10): the detector (src/content/discovery.ts) is registered
 * on every web page's top frame while IT leaves discovery on (managed `discovery`, default true)
 * and a valid configuration is in force; it is removed as soon as either is no longer so.
 * The cost on ordinary pages is measured by `npm run bench` (docs/benchmarks.md).
 */
import { browser } from '../platform/browser.ts';

export const DISCOVERY_SCRIPT_ID = 'ai-geofence-discovery';
const DISCOVERY_FILE = 'discovery.js';
const MATCHES = ['http://*/*', 'https://*/*'];

/** (Un)register the detector; call after every apply. Never throws. */
export async function registerDiscoveryScript(enabled: boolean): Promise<void> {
  try {
    const existing = await browser.scripting.getRegisteredContentScripts({ ids: [DISCOVERY_SCRIPT_ID] }).catch(() => []);
    if (existing.length > 0 === enabled) return;
    if (existing.length) await browser.scripting.unregisterContentScripts({ ids: [DISCOVERY_SCRIPT_ID] });
    if (enabled) {
      await browser.scripting.registerContentScripts([
        { id: DISCOVERY_SCRIPT_ID, js: [DISCOVERY_FILE], matches: MATCHES, runAt: 'document_idle', persistAcrossSessions: true },
      ]);
    }
  } catch (err) {
    console.error('[discovery] could not register the detector', err);
  }
}
