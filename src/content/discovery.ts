/**
 * Discovery detector, injected by src/background/discovery.ts into the top frame of a web page once
 * it has loaded and stayed a second, unless IT turned discovery off. It reads a few signals
 * (src/content/discovery-signals.ts) at the page's next idle moment, again 1.5 s and 5 s later (chat apps render late),
 * when an editable element gets focus and when the page calls an AI API — at most 8 times; the
 * first time they make the page an AI tool it tells the background the signal names — never page
 * text — and stops. The background decides whether
 * the host is listed, records `discovered-tool` and applies `unlistedAiAction` (moving the tab).
 */
import { classifySignals, type DiscoverySignal } from '../core/discovery/discovery.ts';
import { sendRequest } from '../platform/browser.ts';
import { collectSignals, isAiEndpoint } from './discovery-signals.ts';

const MAX_CHECKS = 8;
let checks = 0;
let done = false;
const resources: string[] = [];
let observer: PerformanceObserver | null = null;
const timers: number[] = [];

function stop(): void {
  done = true;
  observer?.disconnect();
  for (const t of timers) clearTimeout(t);
  removeEventListener('focusin', onFocus, true);
}

function check(): void {
  if (done) return;
  if (++checks > MAX_CHECKS) {
    stop();
    return;
  }
  const signals: Set<DiscoverySignal> = collectSignals(document, resources);
  if (!classifySignals(signals)) return;
  stop();
  sendRequest({ type: 'discovered', signals: [...signals] }).catch(() => undefined);
}

function onFocus(ev: Event): void {
  const t = ev.target as Element | null;
  if (
    t &&
    (t.localName === 'textarea' || (t as HTMLElement).isContentEditable || t.getAttribute?.('role') === 'textbox')
  )
    check();
}

function start(): void {
  const marker = globalThis as { aiGeofenceDiscovery?: boolean };
  if (marker.aiGeofenceDiscovery) return;
  marker.aiGeofenceDiscovery = true;
  try {
    for (const e of performance.getEntriesByType('resource')) if (isAiEndpoint(e.name)) resources.push(e.name);
    observer = new PerformanceObserver((list) => {
      let hit = false;
      for (const e of list.getEntries()) if (isAiEndpoint(e.name)) hit = resources.push(e.name) > 0;
      if (hit) check();
    });
    observer.observe({ type: 'resource', buffered: false });
  } catch {
    // No resource timing here: the DOM signals still work.
  }
  addEventListener('focusin', onFocus, { capture: true, passive: true });
  // The first reading waits for a moment the page's main thread is idle: never in the way of its own work.
  if (typeof requestIdleCallback === 'function') requestIdleCallback(check, { timeout: 1000 });
  else check();
  timers.push(setTimeout(check, 1500) as unknown as number, setTimeout(check, 5000) as unknown as number);
}

start();
