/**
 * Message handlers, in three tiers (as uBlock Origin Lite does): what content scripts may ask,
 * what needs the worker initialised, and what only the extension's own pages may do.
 */
import type { Runtime as BrowserRuntime } from 'webextension-polyfill';
import { browser } from '../platform/browser.ts';
import { explainDecision, noticesFor } from '../core/explain.ts';
import type { Request, ResponseMap } from '../core/messages.ts';
import { recordAudit } from './audit.ts';
import { dataControlAudit, dataControlsFor } from './guard-registration.ts';
import { acknowledge, decideNow, employeeOf, ensureReady, isAcknowledged, pageUrl, refreshPolicy, statusOf } from './enforcement.ts';

type Sender = BrowserRuntime.MessageSender;
type Handler<K extends Request['type']> = (req: Extract<Request, { type: K }>, sender: Sender) => Promise<ResponseMap[K]>;

const fromExtensionPage = (s: Sender) => !!s.url && s.url.startsWith(browser.runtime.getURL('')) && s.id === browser.runtime.id;
const fromContentScript = (s: Sender) => s.id === browser.runtime.id && !!s.tab && /^https?:/.test(s.url ?? '');

async function explain(url: string) {
  const r = await ensureReady();
  const d = decideNow(r, url);
  const until = d.toolId ? r.state.acknowledged[d.toolId] ?? null : null;
  return { r, d, explanation: explainDecision(url, d, { compiled: r.compiled, employee: employeeOf(r), acknowledgedUntil: until }) };
}

const HANDLERS: { [K in Request['type']]: { trusted: boolean; handle: Handler<K> } } = {
  'get-status': { trusted: true, handle: async () => statusOf(await ensureReady()) },
  'get-popup': {
    trusted: true,
    handle: async (req) => {
      const r = await ensureReady();
      const employee = employeeOf(r);
      const site = req.tabUrl && /^https?:/.test(req.tabUrl) ? (await explain(req.tabUrl)).explanation : null;
      const lists = r.compiled && employee ? noticesFor(r.compiled, employee, Date.now()) : { notices: [], approved: [] };
      const office = employee ? { code: employee.office, name: r.policy?.offices[employee.office]?.name ?? employee.office } : null;
      return { status: await statusOf(r), office, site, ...lists };
    },
  },
  explain: {
    trusted: true,
    handle: async (req, sender) => {
      const { d, explanation } = await explain(req.url);
      // The block and warn pages ask once when shown: that is the moment to record it.
      // The embedded notice stands in for a vendor frame inside another site: the same events, marked.
      const embedded = !!sender.url?.startsWith(pageUrl('embedded-block'));
      const frame = embedded ? { frame: 'embedded' } : {};
      if ((embedded || sender.url?.startsWith(pageUrl('block'))) && d.action === 'block') {
        await recordAudit({ type: 'block', tool: d.toolId, rule: d.rule?.id ?? null, url: req.url, detail: { basis: d.basis, ...frame } });
      } else if ((embedded || sender.url?.startsWith(pageUrl('warn'))) && d.action === 'warn') {
        await recordAudit({ type: 'warn-shown', tool: d.toolId, rule: d.rule?.id ?? null, url: req.url, ...(embedded ? { detail: frame } : {}) });
      }
      return explanation;
    },
  },
  proceed: {
    trusted: true,
    handle: async (req) => {
      const r = await ensureReady();
      const d = decideNow(r, req.url);
      if (d.action !== 'warn' || !d.toolId) return { ok: false, error: `this address is not under a warning (decision: ${d.action})` };
      const justification = (req.justification ?? '').trim();
      if (d.rule?.requireJustification && justification.length < 3) return { ok: false, error: 'a short justification is required to proceed' };
      const until = await acknowledge(d.toolId, d.rule?.allowForMinutes ?? 60);
      await recordAudit({
        type: 'warn-proceeded', tool: d.toolId, rule: d.rule?.id ?? null, url: req.url,
        detail: { until: new Date(until).toISOString(), ...(justification ? { justification: justification.slice(0, 1000) } : {}) },
      });
      return { ok: true, until: new Date(until).toISOString() };
    },
  },
  'page-visit': {
    trusted: false,
    handle: async (req, sender) => {
      const { r, d, explanation } = await explain(req.url);
      const tabId = sender.tab?.id;
      if (d.action === 'monitor') await recordAudit({ type: 'monitor-visit', tool: d.toolId, rule: d.rule?.id ?? null, url: req.url });
      // A route the network rules could not see (SPA navigation): move the tab as a navigation would.
      if (tabId !== undefined && req.frame === 'top') {
        if (d.action === 'block') await browser.tabs.update(tabId, { url: `${pageUrl('block')}#${req.url}` });
        else if (d.action === 'warn' && !isAcknowledged(r, d.toolId)) await browser.tabs.update(tabId, { url: `${pageUrl('warn')}#${req.url}` });
      }
      return explanation;
    },
  },
  'refresh-policy': {
    trusted: true,
    handle: async () => {
      await refreshPolicy('requested from the popup');
      return statusOf(await ensureReady());
    },
  },
  // The data-controls guard (issue 12): its page's controls, and what it blocked or warned about.
  'get-data-controls': {
    trusted: false,
    handle: async (req) => dataControlsFor(decideNow(await ensureReady(), req.url)),
  },
  'data-control-event': {
    trusted: false,
    handle: async (req) => {
      const event = dataControlAudit(req, decideNow(await ensureReady(), req.url));
      if (event) await recordAudit(event);
      return { ok: !!event };
    },
  },
};

/** Dispatch one message; refuses privileged requests from anything but our own pages. */
export async function handleMessage(message: unknown, sender: Sender): Promise<unknown> {
  const req = message as Request;
  const entry = req && typeof req === 'object' ? HANDLERS[req.type] : undefined;
  if (!entry) throw new Error(`unknown request ${JSON.stringify((req as { type?: unknown })?.type)}`);
  if (entry.trusted ? !fromExtensionPage(sender) : !fromContentScript(sender) && !fromExtensionPage(sender)) {
    throw new Error(`request "${req.type}" is not allowed from ${sender.url ?? 'an unknown sender'}`);
  }
  return (entry.handle as Handler<Request['type']>)(req as never, sender);
}
