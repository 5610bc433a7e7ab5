/**
 * Content script, registered by the background only on the hosts of tools that are warned or
 * monitored (never on every page). It reports the visit, and shows the in-page banner (one host element
 * `data-ai-geofence="banner"`, a name tests and outside tools rely on; content in a shadow root). Single-page-app route
 * changes are re-reported; the background moves the tab when a route turns out to be blocked.
 */
import { pickText } from '../core/policy/localized-text.ts';
import type { Explanation } from '../core/decide/explain.ts';
import { pageLanguages, sendRequest } from '../platform/browser.ts';

const HOST_ATTR = 'data-ai-geofence';
let lastUrl = '';

async function report(): Promise<void> {
  if (location.href === lastUrl) return;
  lastUrl = location.href;
  let e: Explanation;
  try {
    e = await sendRequest({
      type: 'page-visit',
      url: location.href,
      frame: window === window.top ? 'top' : 'embedded',
    });
  } catch {
    return; // the extension was reloaded or updated; the new instance re-injects itself
  }
  showBanner(e);
}

function showBanner(e: Explanation): void {
  document.querySelector(`[${HOST_ATTR}="banner"]`)?.remove();
  if (e.action !== 'monitor' && e.action !== 'warn') return;
  const host = document.createElement('div');
  host.setAttribute(HOST_ATTR, 'banner');
  host.setAttribute('role', 'region');
  host.setAttribute('aria-label', 'AI Geofence notice');
  const root = host.attachShadow({ mode: 'closed' });
  const langs = pageLanguages();
  const title =
    pickText(e.notice?.title, langs) ||
    (e.action === 'monitor'
      ? `Use of ${e.tool?.name ?? 'this tool'} is monitored`
      : `Check before use: ${e.tool?.name ?? ''}`);
  const reason = pickText(e.notice?.reason, langs);
  const style = document.createElement('style');
  style.textContent = `:host{all:initial;position:fixed;inset-inline:0;top:0;z-index:2147483647}
div{font:14px/1.4 system-ui,sans-serif;display:flex;gap:12px;align-items:center;padding:8px 16px;color:#1b1b1b;
background:${e.action === 'warn' ? '#fff4d6' : '#e8f0fe'};border-bottom:2px solid ${e.action === 'warn' ? '#9a6700' : '#1f5fbf'}}
strong{font-weight:600}span{flex:1}button{font:inherit;border:1px solid #555;background:#fff;border-radius:4px;padding:2px 10px;cursor:pointer}
button:focus-visible{outline:3px solid #1f5fbf;outline-offset:2px}`;
  const bar = document.createElement('div');
  const text = document.createElement('span');
  const strong = document.createElement('strong');
  strong.textContent = title;
  text.append(strong, reason ? ` — ${reason}` : '', e.ruleId ? ` (${e.ruleId})` : '');
  const close = document.createElement('button');
  close.type = 'button';
  close.textContent = '×';
  close.setAttribute('aria-label', 'Hide this notice');
  close.addEventListener('click', () => host.remove());
  bar.append(text, close);
  root.append(style, bar);
  document.documentElement.append(host);
}

/** Start once per document: with a very large policy the worker injects on demand, maybe twice. */
function start(): void {
  const marker = globalThis as { aiGeofenceContent?: boolean };
  if (marker.aiGeofenceContent) return;
  marker.aiGeofenceContent = true;
  void report();
  // SPA route changes and back/forward-cache restores do not reload the script.
  addEventListener('popstate', () => void report());
  addEventListener('pageshow', (ev) => {
    if (ev.persisted) {
      lastUrl = '';
      void report();
    }
  });
  const nav = (globalThis as { navigation?: EventTarget }).navigation;
  if (nav) nav.addEventListener('navigatesuccess', () => void report());
  else setInterval(() => void report(), 1000);
}

start();
