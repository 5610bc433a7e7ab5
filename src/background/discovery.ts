/**
 * Discovery of unlisted AI tools, the background half (docs/beyond-domains.md).
 *
 * The detector (src/content/discovery.ts) is not a registered content script: a content script
 * matching every page made every page load slower (5–8 % of `loadEventEnd` in
 * `npm run bench:discovery`, with a script that did nothing at all). Instead the worker, which hears
 * of every top-frame load anyway (webNavigation, for the badge and SPA enforcement), injects it into
 * the top frame once the page has loaded and stayed a moment — never on its critical path, nor on the next
 * page's — and only while IT leaves discovery on, into web pages that are not a listed tool.
 *
 * When the detector says its page looks like an AI tool, a host the policy or the catalogue lists
 * is ignored. Otherwise the host is remembered (src/core/discovery/discovery.ts), a
 * `discovered-tool` audit event records its origin and signals (at most once a day per host), and
 * when `unlistedAiAction` is `warn` or `block` the rules are applied again: the host becomes a
 * tool of the synthetic rule, the network rules stop its next requests and the open tab moves to
 * the warn or block page, exactly as for a listed tool.
 */
import { cleanSignals, discoveredDomain, noteDiscovered, UNLISTED_TOOL_PREFIX } from '../core/discovery/discovery.ts';
import type { ResponseMap } from '../platform/messages.ts';
import { applyStaleness } from '../core/policy/staleness.ts';
import { recordAudit } from './audit.ts';
import { browser } from '../platform/browser.ts';
import { discoveryEnabled } from '../core/plan/plan.ts';
import { decideNow } from './decisions.ts';
import { ensureReady, updateRuntime } from './enforcement.ts';
import { stateOf } from './runtime.ts';
import { saveState } from './storage.ts';

type Answer = ResponseMap['discovered'];

export const DISCOVERY_FILE = 'discovery.js';

/**
 * How long a page must have stayed loaded before the detector goes in. Injected the moment the page
 * completed, it cost a fast page (about 100 ms) 5–10 % of its load time when pages
 * followed each other quickly (docs/benchmarks.md, "Fast page"): Chromium injects at the target
 * document's idle point, so an injection sent as the employee moved on landed on the next page's
 * load, and creating the extension's isolated world for it was the price. A page left for less than
 * this cannot have been used as an AI tool; one that stays is judged as before (the detector checks
 * again 1.5 s and 5 s later, on focus of a text box and on any AI API call).
 */
export const DETECTOR_DELAY_MS = 1000;
const pendingDetectors = new Map<number, ReturnType<typeof setTimeout>>();

/** A new document committed in the tab: the page a pending detector was meant for is gone. */
export function cancelDetector(tabId: number): void {
  clearTimeout(pendingDetectors.get(tabId));
  pendingDetectors.delete(tabId);
}

/**
 * A tab finished loading `url`: inject the detector once the page has stayed `DETECTOR_DELAY_MS`,
 * if the tab still shows that page then (a worker timer, not an alarm: the worker was just woken by
 * this event and is not stopped within 30 s).
 */
export function scheduleDetector(tabId: number, url: string): void {
  cancelDetector(tabId);
  if (!/^https?:/.test(url)) return;
  pendingDetectors.set(
    tabId,
    setTimeout(() => {
      pendingDetectors.delete(tabId);
      void browser.tabs.get(tabId).then(
        (tab) => (tab.url === url && tab.status === 'complete' ? injectDetector(tabId, url) : undefined),
        () => undefined, // closed meanwhile
      );
    }, DETECTOR_DELAY_MS),
  );
}

/** Put the detector into the tab's page now, unless discovery is off or the host is a known tool. */
export async function injectDetector(tabId: number, url: string): Promise<void> {
  if (!/^https?:/.test(url)) return;
  const r = await ensureReady();
  if (!discoveryEnabled(r.config) || decideNow(r, url).toolId) return;
  // Pages the extension may not script (the web store, a closed tab) refuse: nothing to discover there.
  await browser.scripting.executeScript({ target: { tabId }, files: [DISCOVERY_FILE] }).catch(() => undefined);
}

/** Handle a detector's report for the page at `pageUrl` (the sender's URL, never the message's). */
export async function reportDiscovered(pageUrl: string | undefined, rawSignals: unknown): Promise<Answer> {
  let url: URL;
  try {
    url = new URL(pageUrl ?? '');
  } catch {
    return { ok: false, listed: false, action: null };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, listed: false, action: null };
  const signals = cleanSignals(rawSignals);
  let answer: Answer = { ok: false, listed: false, action: null };
  await updateRuntime(async (r) => {
    if (!discoveryEnabled(r.config)) return false;
    const d = decideNow(r, url.href);
    // Listed: the policy decides, nothing to record. (A host already enforced as unlisted — an
    // acknowledged warning — is remembered as seen again, and reported at most once a day.)
    if (d.toolId && !d.toolId.startsWith(UNLISTED_TOOL_PREFIX)) {
      answer = { ok: true, listed: true, action: null };
      return false;
    }
    const now = Date.now();
    const domain = discoveredDomain(url.hostname);
    // No policy in force: nothing says what to do with unlisted tools; they are reported, allowed.
    const st = stateOf(r, now);
    const action =
      st.valid && st.staleness && r.policy ? applyStaleness(r.policy.policy, st.staleness).unlistedAiAction : 'allow';
    answer = { ok: true, listed: false, action };
    // An IP address or a single-label host can be reported but not made a domain rule.
    const key = domain || url.hostname;
    const noted = noteDiscovered(r.state.discovered, key, url.origin, signals, now);
    r.state.discovered = noted.register;
    await saveState({ discovered: noted.register });
    if (noted.report) {
      await recordAudit({
        type: 'discovered-tool',
        url: url.origin,
        detail: { host: key, origin: url.origin, signals, action, enforceable: !!domain },
      });
    }
    // A new host under warn or block changes the rules; an allowed one, or one already enforced, does not.
    return !!domain && action !== 'allow' && !d.toolId;
  });
  return answer;
}
