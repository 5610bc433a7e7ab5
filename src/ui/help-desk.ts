/**
 * The plain-text summary behind "Copy details for the help desk". Always English with ISO times:
 * tickets go to a global help desk and are searched and pasted into other tools.
 */
import type { PopupView } from '../platform/messages.ts';
import { policyInForce } from '../core/policy/policy-in-force.ts';
import type { Translate } from './i18n.ts';
import { describeExceptions, describePolicyState, describeSite, officeLabel } from './status-text.ts';
import { redactUrl } from './url.ts';

export interface SummaryInput {
  /** The popup's view; the block and warn pages pass their explanation as `site`. */
  view: Pick<PopupView, 'status' | 'office' | 'site'>;
  /** The site the popup is about (redacted to origin + path in the summary). */
  siteUrl: string | null;
  /** English translator. */
  tEn: Translate;
  now: Date;
  languages: readonly string[];
}

const iso = (s: string) => s;

export function helpDeskSummary({ view, siteUrl, tEn, now, languages }: SummaryInput): string {
  const { status, office, site } = view;
  const w = { t: tEn, when: iso, helpDesk: true };
  const state = describePolicyState(status, w);
  const p = status.policy;
  const lines = [
    'AI Geofence: details for the help desk',
    `Time: ${now.toISOString()}`,
    `Extension version: ${status.extensionVersion}`,
    `Office: ${office ? officeLabel(office, ['en']) : (status.config?.office ?? 'not set')}`,
    `Site: ${siteUrl ? redactUrl(siteUrl) : 'none'}`,
  ];
  if (site) {
    lines.push(
      `Decision: ${site.action} (basis ${site.basis}; rule ${site.ruleId ?? 'none'}; tool ${site.tool?.id ?? 'none'})`,
      `Site status: ${describeSite(site, w, now.getTime()).text}`,
    );
  }
  const inForce = policyInForce(status);
  lines.push(
    p
      ? `${inForce.pending ? 'Verified policy' : 'Policy'}: serial ${p.serial}, issued ${p.issued}, expires ${p.expires}, issuer ${p.issuer ?? 'not given'}`
      : 'Policy: none in force',
  );
  if (inForce.pending) {
    const rules = inForce.pending.error ? `not installed: ${inForce.pending.error}` : 'being installed';
    lines.push(
      `Policy in force: ${inForce.serial === null ? 'none' : `serial ${inForce.serial}`} (the network rules of serial ${inForce.pending.serial} are ${rules})`,
    );
  }
  if (p) lines.push(`Policy hash: ${p.payloadHash}`, `Signed by: ${p.signers.join(', ') || 'none'}`);
  lines.push(`Policy status: ${state.headline} (mode ${status.mode})`, ...state.lines.map((l) => `  ${l}`));
  if (status.configErrors.length) lines.push(`Configuration problems: ${status.configErrors.join('; ')}`);
  if (status.officeProblem) lines.push(`Office problem: ${status.officeProblem.message}`);
  if (status.lastFetch) {
    const f = status.lastFetch;
    lines.push(`Last fetch: ${f.at} ${f.ok ? 'ok' : 'failed'}${f.message ? `: ${f.message}` : ''}`);
  }
  if (status.lastRefusal) {
    const r = status.lastRefusal;
    lines.push(`Last refusal: ${r.at} ${r.code}: ${r.message}`);
  }
  const exceptions = describeExceptions(status, w);
  if (exceptions) lines.push(`Exceptions: ${exceptions.lines.join(' ')}`);
  const loc = status.location;
  if (loc) {
    // The help desk reads configuration words; the employee's line does not.
    const where = loc.country ? `${loc.country}${loc.zone ? `/${loc.zone}` : ''}` : 'none';
    lines.push(
      `Location: ${loc.basis === 'verified' ? `${where} verified by ${loc.url} (since ${loc.since}, expires ${loc.expires})` : `not verified (unknownLocation: ${loc.basis}; assumed ${where})`}`,
    );
    if (!loc.url) lines.push('  no managed locationUrl configured');
    if (loc.lastCheck)
      lines.push(`  last check: ${loc.lastCheck.at} ${loc.lastCheck.ok ? 'ok' : 'failed'}: ${loc.lastCheck.message}`);
  }
  const d = status.audit.lastDelivery;
  lines.push(
    `Audit: ${status.audit.queued} queued; last delivery ${d ? `${d.at} ${d.ok ? 'ok' : `failed: ${d.message}`}` : 'never'}`,
    `DNR rules installed: ${status.ruleCount}`,
    `Languages: ${languages.join(', ')}`,
  );
  return lines.join('\n');
}
