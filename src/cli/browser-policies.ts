/**
 * The browser policies that `deploy-config` writes beside the extension's own configuration: the
 * force-install, the hardening that keeps every window and profile under the extension, extension
 * control, and the browser's own AI features. Pure data in, policy objects out; the formats in
 * deploy-formats.ts only render them. Why each line is there: docs/deploy.md.
 */
import { CATALOGUE } from '../core/catalogue/catalogue.ts';

export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
export type ChromiumBrowser = 'chrome' | 'edge';

/** What IT opted out of, knowingly (`--allow-…` flags). Everything false is the hardened default. */
export interface Hardening {
  allowIncognito: boolean;
  allowGuest: boolean;
  allowNewProfiles: boolean;
  allowNetworkPrediction: boolean;
}

export interface ExtensionControl {
  /** allowlist: every extension blocked but ours and `allowed`; blocklist: only `blocked` blocked. */
  mode: 'allowlist' | 'blocklist';
  /** Approved extensions (Chrome/Edge IDs and Firefox add-on IDs). */
  allowed: string[];
  /** Extensions to block in blocklist mode (Chrome/Edge IDs and Firefox add-on IDs). */
  blocked: string[];
}

/** The browser's own AI features to turn off because the office's policy blocks the vendor. */
interface BrowserAiOff {
  /** Gemini in Chrome and Chrome's built-in AI (the policy blocks Gemini). */
  gemini: boolean;
  /** Copilot in Edge's sidebar (the policy blocks Microsoft Copilot). */
  copilot: boolean;
  /** Firefox's AI chatbot sidebar (the policy blocks one of the chatbots it offers). */
  firefoxChatbot: boolean;
}
export const BROWSER_AI_AS_SET: BrowserAiOff = { gemini: false, copilot: false, firefoxChatbot: false };

/** Where the extension comes from. */
export interface Install {
  /** Chrome/Edge extension ID. */
  extensionId: string;
  /** Chrome/Edge update manifest URL (self-hosted CRX, or a store's). */
  updateUrl: string;
  /** Firefox add-on ID. */
  geckoId: string;
  /** Firefox .xpi URL. */
  firefoxInstallUrl: string;
}

export interface BrowserSettings {
  hardening: Hardening;
  control: ExtensionControl;
  ai: BrowserAiOff;
}

/** Chrome Web Store / Edge Add-ons IDs: 32 letters a-p. Anything else is a Firefox add-on ID. */
export const CHROMIUM_ID = /^[a-p]{32}$/;
/** Firefox add-on IDs: an e-mail-like ID or a {GUID}. */
export const GECKO_ID_PATTERN = /^([\w.+-]+@[\w.-]+|\{[0-9a-fA-F-]{36}\})$/;

const isChromiumId = (id: string) => CHROMIUM_ID.test(id);
const isGeckoId = (id: string) => !isChromiumId(id);

/** Shown by the browser when an employee tries to install an extension IT has not approved. */
export const BLOCKED_INSTALL_MESSAGE =
  'Extensions are approved by IT: AI assistants in extensions could reach tools your office may not use. Ask the service desk to approve one.';

/**
 * Known AI extensions from the built-in catalogue: any tool may list `extensionIds`, either as an
 * array (Chrome/Edge IDs and Firefox add-on IDs mixed, told apart by their shape) or per browser
 * (`{ "chrome": [...], "edge": [...], "firefox": [...] }`). Entries of another shape are ignored.
 */
export function catalogueExtensionIds(catalogue: Readonly<Record<string, unknown>> = CATALOGUE): string[] {
  const ids = new Set<string>();
  const add = (v: unknown) => {
    if (Array.isArray(v))
      for (const id of v)
        if (typeof id === 'string' && (CHROMIUM_ID.test(id) || GECKO_ID_PATTERN.test(id))) ids.add(id);
  };
  for (const tool of Object.values(catalogue)) {
    const field = (tool as { extensionIds?: unknown } | null)?.extensionIds;
    if (Array.isArray(field)) add(field);
    else if (field && typeof field === 'object') for (const list of Object.values(field)) add(list);
  }
  return [...ids].sort();
}

/** The IDs of `list` that `browser` (a Chromium browser, or Firefox) can hold. */
export function idsFor(browser: ChromiumBrowser | 'firefox', list: readonly string[]): string[] {
  return list.filter(browser === 'firefox' ? isGeckoId : isChromiumId);
}

function extensionSettings(
  browser: ChromiumBrowser | 'firefox',
  install: Install,
  s: BrowserSettings,
): Record<string, Json> {
  const ours: Record<string, Json> =
    browser === 'firefox'
      ? // private_browsing: the extension runs in private windows too (Firefox asks the user otherwise).
        { installation_mode: 'force_installed', install_url: install.firefoxInstallUrl, private_browsing: true }
      : { installation_mode: 'force_installed', update_url: install.updateUrl };
  const ourId = browser === 'firefox' ? install.geckoId : install.extensionId;
  const out: Record<string, Json> = {};
  if (s.control.mode === 'allowlist') {
    out['*'] = { installation_mode: 'blocked', blocked_install_message: BLOCKED_INSTALL_MESSAGE };
    out[ourId] = ours;
    for (const id of idsFor(browser, s.control.allowed)) if (id !== ourId) out[id] = { installation_mode: 'allowed' };
  } else {
    out[ourId] = ours;
    for (const id of idsFor(browser, s.control.blocked))
      if (id !== ourId) out[id] = { installation_mode: 'blocked', blocked_install_message: BLOCKED_INSTALL_MESSAGE };
  }
  return out;
}

/**
 * Chromium's preconnects open TCP connections to hosts a page mentions before any extension (or
 * the native URLBlocklist) sees a request; 2 = "never predict" (measured in docs/benchmarks.md).
 */
const NO_NETWORK_PREDICTION = 2;

/** Chrome or Edge top-level policies, in the order they are printed. */
export function chromiumPolicies(browser: ChromiumBrowser, install: Install, s: BrowserSettings): Record<string, Json> {
  const p: Record<string, Json> = { ExtensionSettings: extensionSettings(browser, install, s) };
  const edge = browser === 'edge';
  // An incognito/InPrivate window runs without the extension unless the user allows it there,
  // and no policy can allow it: 1 = not available.
  if (!s.hardening.allowIncognito) p[edge ? 'InPrivateModeAvailability' : 'IncognitoModeAvailability'] = 1;
  // A guest session or a new profile starts without force-installed extensions.
  if (!s.hardening.allowGuest) p.BrowserGuestModeEnabled = false;
  if (!s.hardening.allowNewProfiles) p[edge ? 'BrowserAddProfileEnabled' : 'BrowserAddPersonEnabled'] = false;
  if (!s.hardening.allowNetworkPrediction) p.NetworkPredictionOptions = NO_NETWORK_PREDICTION;
  if (!edge && s.ai.gemini) {
    // https://chromeenterprise.google/policies/ — 1 = disabled (DevTools: 2 = disabled).
    p.GeminiSettings = 1;
    p.GenAILocalFoundationalModelSettings = 1;
    p.BuiltInAIAPIsEnabled = false;
    p.AIModeSettings = 1;
    p.DevToolsGenAiSettings = 2;
  }
  if (edge && s.ai.copilot) {
    // https://learn.microsoft.com/deployedge/microsoft-edge-policies — the sidebar hosts Copilot.
    p.HubsSidebarEnabled = false;
    p.CopilotPageContext = false;
    p.EdgeEntraCopilotPageContext = false;
  }
  return p;
}

/** Firefox top-level policies (inside `policies`), without `3rdparty`. */
export function firefoxPolicies(install: Install, s: BrowserSettings): Record<string, Json> {
  const p: Record<string, Json> = { ExtensionSettings: extensionSettings('firefox', install, s) };
  if (!s.hardening.allowNetworkPrediction) p.NetworkPrediction = false;
  // https://firefox-admin-docs.mozilla.org/ GenerativeAI (Firefox 144+; older releases ignore it).
  if (s.ai.firefoxChatbot) p.GenerativeAI = { Chatbot: false, Locked: true };
  return p;
}

/** Where each browser AI feature talks to: what the policy decides for these URLs decides the feature. */
const GEMINI_URLS = ['https://gemini.google.com/app'];
const COPILOT_URLS = ['https://copilot.microsoft.com/'];
/** The chatbots Firefox's AI sidebar offers (about:preferences → Firefox Labs / AI chatbot). */
const FIREFOX_CHATBOT_URLS = [
  'https://chatgpt.com/',
  'https://claude.ai/new',
  'https://gemini.google.com/app',
  'https://copilot.microsoft.com/',
  'https://chat.mistral.ai/chat',
  'https://huggingface.co/chat/',
];

/** A decision that turns a browser feature off: the feature cannot show a warning, so warn counts too. */
const TURNS_OFF = new Set(['block', 'warn']);

/**
 * Which browser AI features the office's policy turns off: a feature goes off when the policy blocks
 * (or warns about) the vendor behind it for that office now, or at any rule window that opens before
 * the policy expires — a snippet is deployed once, the policy's dated rules start on their own.
 */
export function browserAiFromPolicy(
  decideAt: (url: string, at: number) => { action: string; rule: { id: string } | null },
  changes: readonly number[],
  now: number,
): { off: BrowserAiOff; reasons: string[] } {
  const reasons: string[] = [];
  const offFor = (feature: string, urls: readonly string[]) => {
    for (const at of [now, ...changes]) {
      for (const url of urls) {
        const d = decideAt(url, at);
        if (!TURNS_OFF.has(d.action)) continue;
        const when = at === now ? '' : ` from ${new Date(at).toISOString()}`;
        reasons.push(
          `${feature} turned off: the policy says ${d.action} for ${new URL(url).host}${when}${d.rule ? ` (rule ${d.rule.id})` : ''}`,
        );
        return true;
      }
    }
    return false;
  };
  return {
    off: {
      gemini: offFor("Gemini in Chrome and Chrome's built-in AI", GEMINI_URLS),
      copilot: offFor('Copilot in the Edge sidebar', COPILOT_URLS),
      firefoxChatbot: offFor("Firefox's AI chatbot sidebar", FIREFOX_CHATBOT_URLS),
    },
    reasons,
  };
}
