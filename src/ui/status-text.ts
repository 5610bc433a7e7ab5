/**
 * What the pages say about the policy and a site, derived from the background's Status and
 * Explanation. Pure: takes a translator and a date formatter, returns text, so the same wording
 * feeds the popup, the block page and (in English) the help-desk summary.
 */
import type { Action, LocalizedText } from '../core/policy/policy-schema.ts';
import { pickText } from '../core/policy/localized-text.ts';
import type { Explanation, OfficeRef } from '../core/decide/explain.ts';
import type { Status } from '../core/status/status.ts';
import { policyInForce } from '../core/policy/policy-in-force.ts';
import type { MessageKey, Translate } from './i18n.ts';

export type Tone = 'ok' | 'info' | 'warn' | 'error';

export interface Wording {
  t: Translate;
  when: (iso: string) => string;
  /**
   * true for the help-desk summary: the technical detail (refusal codes and messages, managed-key
   * errors, collector errors, rule ids). Employees' pages leave it out and say what it means.
   */
  helpDesk?: boolean;
}

export interface PolicyState {
  tone: Tone;
  /** One line that names the state ("Verified", "Latest update refused: …"). */
  headline: string;
  /** Why, and what to do. */
  lines: string[];
}

const TONE_RANK: Record<Tone, number> = { ok: 0, info: 1, warn: 2, error: 3 };
const worse = (a: Tone, b: Tone): Tone => (TONE_RANK[b] > TONE_RANK[a] ? b : a);

/** The contact an employee should turn to about the policy itself. */
export function policyContact(status: Status | null, w: Wording): string {
  return status?.policy?.contact ?? w.t('defaultContact');
}

/** The office line: the configured code is not one of the policy's offices (and what it may have meant). */
function unknownOfficeLine(status: Status, w: Wording): string | null {
  const p = status.officeProblem;
  if (!p) return null;
  const line = w.t('causeUnknownOffice', p.office, p.valid.join(', '));
  return p.suggestion ? `${line} ${w.t('causeUnknownOfficeHint', p.suggestion)}` : line;
}

/** Why there is no valid policy, most specific first (used by the fail-closed block page). */
export function noPolicyCauses(status: Status, w: Wording): string[] {
  const causes: string[] = [];
  const office = unknownOfficeLine(status, w);
  if (office) causes.push(office);
  if (status.mode === 'waiting-config' || status.configErrors.length) {
    causes.push(
      w.helpDesk
        ? w.t('causeNotConfigured', status.configErrors.join('; ') || w.t('notGiven'))
        : `${w.t('stateSetupProblem')}.`,
    );
  }
  if (status.policy?.expired) causes.push(w.t('causeExpired', w.when(status.policy.expires)));
  if (status.lastRefusal)
    causes.push(w.helpDesk ? w.t('causeRefused', status.lastRefusal.message) : w.t('stateUpdateNotUsed'));
  if (!causes.length) causes.push(w.t('causeNoPolicy'));
  return causes;
}

/**
 * The verification state of the policy, for `policy-status`. For employees in their words; with
 * `w.helpDesk`, with the technical detail IT needs (what was refused and why, which managed keys).
 */
export function describePolicyState(status: Status, w: Wording): PolicyState {
  const { t, helpDesk } = w;
  const contact = policyContact(status, w);
  let tone: Tone;
  let headline: string;
  const lines: string[] = [];
  let verified = false;
  // The serial whose network rules are installed: "stays in force" names this one, never merely verified.
  const inForce = policyInForce(status);
  const keepsLine =
    status.policy && !status.policy.expired && inForce.serial !== null ? t('stateKeeps', inForce.serial) : null;

  if (status.mode === 'waiting-config') {
    tone = 'error';
    headline = helpDesk
      ? t('stateNotConfigured', status.configErrors.join('; ') || t('notGiven'))
      : t('stateSetupProblem');
    lines.push(helpDesk ? t('stateNotConfiguredAdvice') : t('stateHelpDeskAdvice', contact));
  } else if (status.mode === 'fail-closed' || status.mode === 'fail-open') {
    tone = status.mode === 'fail-closed' ? 'error' : 'warn';
    headline = t(status.mode === 'fail-closed' ? 'stateFailClosed' : 'stateFailOpen');
    // The refusal gets its own line below; here only what the refusal does not explain.
    const office = unknownOfficeLine(status, w);
    if (office) lines.push(office);
    else if (status.policy?.expired) lines.push(t('causeExpired', w.when(status.policy.expires)));
    else if (!status.lastRefusal) lines.push(t('causeNoPolicy'));
  } else if (!status.policy) {
    tone = 'warn';
    headline = t('stateNoPolicy');
  } else if (status.policy.expired) {
    tone = 'error';
    headline = t('stateExpired', w.when(status.policy.expires));
  } else {
    // Verified is not yet in force: the network rules of a newer policy may still be installing,
    // or the browser refused them (the rules before stay). Say which serial the rules enforce.
    const pending = inForce.pending;
    verified = true;
    if (pending) {
      tone = pending.error ? 'warn' : 'info';
      headline = t(pending.error ? 'stateApplyFailed' : 'stateApplying', pending.serial);
      if (pending.error && helpDesk) lines.push(pending.error);
      lines.push(keepsLine ?? t('stateKeepsNone'));
    } else {
      tone = 'ok';
      headline = t('stateVerified');
    }
    lines.push(t('stateVerifiedDetail', w.when(status.policy.verifiedAt)));
  }

  // Configuration removed or broken while a policy stays in force: enforcement continues, but IT must know.
  if (status.mode !== 'waiting-config' && status.configErrors.length) {
    tone = worse(tone, 'warn');
    lines.unshift(helpDesk ? t('stateNotConfigured', status.configErrors.join('; ')) : `${t('stateSetupProblem')}.`);
    if (keepsLine) lines.push(keepsLine);
  }

  const refusal = status.lastRefusal;
  if (refusal) {
    tone = worse(tone, 'warn');
    const refused = helpDesk ? t('stateRefused', refusal.message) : t('stateUpdateNotUsed');
    // A refused update next to a policy still in force is the news, not a footnote.
    if (verified) lines.unshift(refused);
    else lines.push(refused);
    lines.push(keepsLine ?? t('stateKeepsNone'));
    if (helpDesk) lines.push(t('stateRefusedAdvice', refusal.code));
  }

  const fetch = status.lastFetch;
  // The employee needs one sentence about a failed update: a refusal already says it.
  if (fetch && !fetch.ok && fetch.message !== refusal?.message && (helpDesk || !refusal)) {
    tone = worse(tone, 'warn');
    lines.push(
      helpDesk ? t('stateFetchFailed', w.when(fetch.at), fetch.message) : t('stateUpdateFailed', w.when(fetch.at)),
    );
  }

  if (tone !== 'ok' && status.mode !== 'waiting-config') {
    lines.push(
      t(!helpDesk && (refusal || status.configErrors.length) ? 'stateHelpDeskAdvice' : 'stateAdvice', contact),
    );
  }
  // Two reasons to say "serial 42 stays in force" (a refusal, a configuration problem) say it once.
  return { tone, headline, lines: [...new Set(lines)] };
}

const ACTION_KEY: Record<Action, MessageKey> = {
  block: 'actionBlock',
  warn: 'actionWarn',
  monitor: 'actionMonitor',
  allow: 'actionAllow',
};

export const ACTION_TONE: Record<Action, Tone> = { block: 'error', warn: 'warn', monitor: 'info', allow: 'ok' };

export function actionLabel(action: Action, t: Translate): string {
  return t(ACTION_KEY[action]);
}

const UPCOMING_KEY: Record<Action, MessageKey> = {
  block: 'upcomingBlock',
  warn: 'upcomingWarn',
  monitor: 'upcomingMonitor',
  allow: 'upcomingAllow',
};

/** "Will be blocked": the action of a rule that has not started yet. */
export function upcomingLabel(action: Action, t: Translate): string {
  return t(UPCOMING_KEY[action]);
}

export interface SiteState {
  tone: Tone;
  /** For `site-status`: "Blocked by company policy", "Not an AI tool"… */
  text: string;
  /** An extra line, e.g. an acknowledgement that is still running. */
  note: string | null;
}

/** This site's status for the popup. `site` null means the tab shows no web page. */
export function describeSite(site: Explanation | null, w: Wording, now: number = Date.now()): SiteState {
  const { t } = w;
  if (!site) return { tone: 'info', text: t('siteNone'), note: null };
  const ack =
    site.action === 'warn' && site.acknowledgedUntil && Date.parse(site.acknowledgedUntil) > now
      ? t('siteAcknowledged', w.when(site.acknowledgedUntil))
      : null;
  switch (site.basis) {
    case 'not-a-tool':
      return { tone: 'info', text: t('siteNotTool'), note: null };
    case 'fail-closed':
      return { tone: 'error', text: t('siteFailClosed'), note: null };
    case 'fail-open':
      return { tone: 'warn', text: t('siteFailOpen'), note: null };
    case 'rule':
      return {
        tone: ACTION_TONE[site.action],
        // The rule id is for the help desk (its summary's Decision line), not the employee.
        text: site.ruleId ? t('siteRule', actionLabel(site.action, t)) : actionLabel(site.action, t),
        // Allowed by a signed exception (docs/compliance.md#signed-exceptions): until when, the ticket and who approved it.
        note: site.exception
          ? t('exceptionUntil', w.when(site.exception.until), site.exception.ticket, site.exception.approver)
          : ack,
      };
    default:
      return { tone: ACTION_TONE[site.action], text: t('siteDefault', actionLabel(site.action, t)), note: ack };
  }
}

/** "Hong Kong (HK)", or "香港 (HK)" for a zh-HK employee when the policy names the office in Chinese. */
export function officeLabel(office: OfficeRef, languages: readonly string[]): string {
  const name = pickText(office.name, languages);
  // No policy to name it: the code alone, not "HK (HK)".
  return name && name !== office.code ? `${name} (${office.code})` : office.code;
}

/** A policy text in the employee's language, with the language tag it came in (for `lang`). */
export function pickLocalized(
  text: LocalizedText | undefined | null,
  languages: readonly string[],
): { text: string; lang: string | undefined } {
  const value = pickText(text, languages);
  if (text && typeof text === 'object') {
    return { text: value, lang: Object.keys(text).find((tag) => text[tag] === value) };
  }
  return { text: value, lang: undefined };
}

/** The popup's line about signed exceptions (docs/compliance.md#signed-exceptions), or null when IT configured none. */
/** The popup's location line: where, how it was established, since when; "not verified" said plainly. */
export function describeLocation(
  status: Status,
  w: Wording & { region: (code: string) => string },
): { tone: Tone; text: string } | null {
  const loc = status.location;
  if (!loc) return null;
  const { t } = w;
  if (loc.basis === 'verified' && loc.country) {
    const place = placeName(loc.country, loc.zone, w);
    return { tone: 'ok', text: t('locationVerified', place, loc.since ? w.when(loc.since) : '') };
  }
  if (loc.basis === 'closed') return { tone: 'warn', text: t('locationUnverifiedClosed') };
  return {
    tone: 'info',
    text: loc.country ? t('locationUnverifiedOffice', w.region(loc.country)) : t('locationUnverified'),
  };
}

/** "Hong Kong" or "Hong Kong (network HK-OFFICE)". */
export function placeName(
  country: string,
  zone: string | null,
  w: Pick<Wording, 't'> & { region: (code: string) => string },
): string {
  return zone ? w.t('locationPlaceZone', w.region(country), zone) : w.region(country);
}

/** What the block and warn pages say when a rule about places decided: "used from Hong Kong". */
export function describeDecidingLocation(
  ex: Explanation,
  w: Wording & { region: (code: string) => string },
): string | null {
  const loc = ex.location;
  if (!loc) return null;
  if (loc.basis === 'verified' && loc.country) return w.t('noticeUsedFrom', placeName(loc.country, loc.zone, w));
  if (loc.basis === 'office' && loc.country) return w.t('noticeUnverifiedOffice', w.region(loc.country));
  return w.t('noticeUnverifiedClosed');
}

export function describeExceptions(status: Status, w: Wording): { tone: Tone; lines: string[] } | null {
  const ex = status.exceptions;
  if (!ex) return null;
  const { t } = w;
  const lines = [
    ex.serial !== null && ex.verifiedAt
      ? t('exceptionsInForce', String(ex.serial), w.when(ex.verifiedAt), String(ex.forYou))
      : t('exceptionsNone'),
  ];
  const failed = ex.lastFetch && !ex.lastFetch.ok ? ex.lastFetch : null;
  if (failed)
    lines.push(
      w.helpDesk
        ? t('exceptionsFetchFailed', w.when(failed.at), failed.message)
        : t('exceptionsUpdateFailed', w.when(failed.at)),
    );
  if (w.helpDesk) lines.push(t('exceptionsSource', ex.url));
  return { tone: failed ? 'warn' : 'ok', lines };
}
