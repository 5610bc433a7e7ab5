/**
 * The worker's answer to each request kind. Requests arrive already checked by
 * src/platform/request-dispatch.ts: a known kind, from a sender allowed to send it (extension pages
 * may ask anything; content scripts only what ./messages.ts marks unprivileged), matching its
 * schema. Content-script requests stay confined to their own page's decision.
 */
import { browser } from '../platform/browser.ts';
import type { Handlers } from '../platform/request-dispatch.ts';
import { explainDecision, noticesFor, officeRef, upcomingNotices } from '../core/decide/explain.ts';
import { policyMatrix } from '../core/decide/matrix.ts';
import { recordAudit } from './audit.ts';
import { reportDiscovered } from './discovery.ts';
import { dataControlAudit, dataControlsFor, modelsFor } from '../core/plan/content-scripts.ts';
import { CONTENT_STRING_PREFIXES, contentStrings, pageLanguagesOf } from './content-strings.ts';
import { acknowledgementEvidence, acknowledgementState, noticeVersion } from '../core/decide/acknowledgements.ts';
import { EXCEPTION_RULE_PREFIX } from '../core/exceptions/exceptions.ts';
import { acknowledge, acknowledgeNotice, ensureReady, refreshPolicy } from './enforcement.ts';
import { decideNow, isAcknowledged, pageUrl } from './decisions.ts';
import { staleSummary, statusOf } from './status.ts';
import { exceptionNow } from './exceptions.ts';
import { stateOf, type Runtime } from './runtime.ts';

const employeeOf = (r: Runtime) => stateOf(r).employee;

async function explain(url: string) {
  const r = await ensureReady();
  const d = decideNow(r, url);
  const until = d.toolId ? (r.state.acknowledged[d.toolId] ?? null) : null;
  const explanation = explainDecision(url, d, {
    compiled: r.policy,
    employee: employeeOf(r),
    acknowledgedUntil: until,
  });
  // The page says since when the policy could not be refreshed (a stale-closed block, docs/compliance.md).
  explanation.stale = staleSummary(stateOf(r));
  // Allowed because of a signed exception (the enforced policy's synthetic allow rule): the page says
  // until when, the ticket and approver. A tool allowed anyway is not "an exception".
  explanation.exception = d.rule?.id.startsWith(EXCEPTION_RULE_PREFIX) ? exceptionNow(r, d.toolId) : null;
  // A block rule asking to confirm its notice was read: whether this version still needs it.
  explanation.acknowledgement = r.policy
    ? acknowledgementState(d.rule, r.state.noticeAcks, r.policy.policy.serial, Date.now())
    : null;
  return { r, d, explanation };
}

/** One handler per request kind (which senders may ask is in src/platform/messages.ts). */
export const HANDLERS: Handlers = {
  // Content scripts may ask: the answer is only this employee's rules for the page's own tool.
  'get-model-rules': async (req) => {
    const r = await ensureReady();
    const languages = pageLanguagesOf(req.languages);
    const answer = modelsFor(
      r.policy,
      employeeOf(r),
      decideNow(r, req.url),
      Date.now(),
      languages.length ? languages : ['en'],
    );
    return answer.rules.length
      ? { ...answer, strings: await contentStrings(languages, CONTENT_STRING_PREFIXES.models) }
      : answer;
  },
  // What the overlay did, recorded as the URL-level events are (detail.model says which model).
  // The rule and model are checked against what the background itself would tell this page, so a
  // page cannot write arbitrary audit events.
  'model-event': async (req) => {
    const r = await ensureReady();
    const d = decideNow(r, req.url);
    const rule = modelsFor(r.policy, employeeOf(r), d, Date.now()).rules.find(
      (x) => x.id === req.ruleId && x.models.includes(req.model),
    );
    const expected =
      rule?.action === 'block' ? ['block'] : rule?.action === 'warn' ? ['warn-shown', 'warn-proceeded'] : [];
    if (!rule || !expected.includes(req.outcome)) return { ok: false };
    await recordAudit({
      type: req.outcome,
      tool: d.toolId,
      rule: rule.id,
      url: req.url,
      detail: { basis: 'model', model: req.model },
    });
    return { ok: true };
  },
  // The discovery detector says its page looks like an AI tool (docs/beyond-domains.md). The page is the sender's
  // own URL (a content script cannot report another site), and only signal names are kept.
  discovered: async (req, sender) =>
    reportDiscovered(sender.tab && sender.frameId === 0 ? sender.url : undefined, req.signals),
  // The whole policy's office × tool table: compliance data, so extension pages only.
  'get-matrix': async () => {
    const r = await ensureReady();
    return { matrix: r.policy ? policyMatrix(r.policy, Date.now()) : null, office: employeeOf(r)?.office ?? null };
  },
  'get-status': async () => statusOf(await ensureReady()),
  'get-popup': async (req) => {
    const r = await ensureReady();
    const employee = employeeOf(r);
    const site = req.tabUrl && /^https?:/.test(req.tabUrl) ? (await explain(req.tabUrl)).explanation : null;
    const now = Date.now();
    const lists = r.policy && employee ? noticesFor(r.policy, employee, now) : { notices: [], approved: [] };
    const upcoming = r.policy && employee ? upcomingNotices(r.policy, employee, now) : [];
    return {
      status: await statusOf(r),
      office: officeRef(r.policy?.policy ?? null, employee?.office ?? null),
      site,
      ...lists,
      upcoming,
    };
  },
  explain: async (req, sender) => {
    const { d, explanation } = await explain(req.url);
    // The block and warn pages ask once when shown: that is the moment to record it.
    // The embedded notice stands in for a vendor frame inside another site: the same events, marked.
    const embedded = !!sender.url?.startsWith(pageUrl('embedded-block'));
    const frame = embedded ? { frame: 'embedded' } : {};
    if ((embedded || sender.url?.startsWith(pageUrl('block'))) && d.action === 'block') {
      await recordAudit({
        type: 'block',
        tool: d.toolId,
        rule: d.rule?.id ?? null,
        url: req.url,
        detail: { basis: d.basis, ...frame },
      });
    } else if ((embedded || sender.url?.startsWith(pageUrl('warn'))) && d.action === 'warn') {
      await recordAudit({
        type: 'warn-shown',
        tool: d.toolId,
        rule: d.rule?.id ?? null,
        url: req.url,
        ...(embedded ? { detail: frame } : {}),
      });
    }
    return explanation;
  },
  proceed: async (req) => {
    const r = await ensureReady();
    const d = decideNow(r, req.url);
    if (d.action !== 'warn' || !d.toolId)
      return { ok: false, error: `this address is not under a warning (decision: ${d.action})` };
    const justification = (req.justification ?? '').trim();
    if (d.rule?.requireJustification && justification.length < 3)
      return { ok: false, error: 'a short justification is required to proceed' };
    const until = await acknowledge(d.toolId, d.rule?.allowForMinutes ?? 60);
    await recordAudit({
      type: 'warn-proceeded',
      tool: d.toolId,
      rule: d.rule?.id ?? null,
      url: req.url,
      detail: {
        until: new Date(until).toISOString(),
        ...(justification ? { justification: justification.slice(0, 1000) } : {}),
        // Proceeding past a warning is reading its notice: the versioned evidence, as for block notices.
        ...(d.rule && r.policy
          ? { acknowledgement: acknowledgementEvidence(d.rule.id, noticeVersion(d.rule), r.policy.policy.serial) }
          : {}),
      },
    });
    return { ok: true, until: new Date(until).toISOString() };
  },
  'page-visit': async (req, sender) => {
    const { r, d, explanation } = await explain(req.url);
    const tabId = sender.tab?.id;
    if (d.action === 'monitor')
      await recordAudit({ type: 'monitor-visit', tool: d.toolId, rule: d.rule?.id ?? null, url: req.url });
    // A route the network rules could not see (SPA navigation): move the tab as a navigation would.
    if (tabId !== undefined && req.frame === 'top') {
      if (d.action === 'block') await browser.tabs.update(tabId, { url: `${pageUrl('block')}#${req.url}` });
      else if (d.action === 'warn' && !isAcknowledged(r, d.toolId))
        await browser.tabs.update(tabId, { url: `${pageUrl('warn')}#${req.url}` });
    }
    return explanation;
  },
  'refresh-policy': async () => {
    await refreshPolicy('requested from the popup');
    return statusOf(await ensureReady());
  },
  'acknowledge-notice': async (req) => acknowledgeNotice(req.ruleId, req.version),
  // The data-controls guard (docs/data-controls.md): its page's controls, and what it blocked or warned about.
  'get-data-controls': async (req) => {
    const { answer, rejected } = dataControlsFor(decideNow(await ensureReady(), req.url));
    for (const x of rejected)
      console.warn(`[data-controls] rule ${answer.ruleId}: pattern "${x.name}" ${x.reason}; not checked`);
    // Words only where there is something to enforce: most pages get none and show nothing.
    return answer.controls
      ? { ...answer, strings: await contentStrings(req.languages, CONTENT_STRING_PREFIXES.guard) }
      : answer;
  },
  'data-control-event': async (req) => {
    const event = dataControlAudit(req, decideNow(await ensureReady(), req.url));
    if (event) await recordAudit(event);
    return { ok: !!event };
  },
};
