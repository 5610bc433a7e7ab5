/**
 * The one message protocol between extension contexts, as a discriminated union. Requests are named
 * by who sends them; the background answers each with the matching response type.
 */
import type { PolicyMatrix } from './decide/matrix.ts';
import type { ModelDef, ModelRule } from './decide/model-match.ts';
import type { Action, LocalizedText, Notice } from './policy/policy-schema.ts';
import type { ManagedConfig } from './config/managed-config.ts';
import type { RefusalCode } from './policy/verify.ts';
import type { DataKind, DataOutcome, Finding } from './decide/data-controls.ts';
import type { OfficeProblem } from './config/office-check.ts';
import type { DataControls } from './policy/policy-schema.ts';
import type { SelectedBy } from './catalogue/tool-attributes.ts';

/** What the extension is doing right now. */
export type EnforcementMode =
  | 'enforcing' // a verified, unexpired policy is in force
  | 'fail-closed' // no valid policy: every catalogue tool is blocked
  | 'fail-open' // no valid policy: everything allowed, and the popup says so
  | 'waiting-config'; // no (valid) managed configuration yet

export interface PolicySummary {
  serial: number;
  issuer: string | null;
  contact: string | null;
  issued: string;
  expires: string;
  payloadHash: string;
  signers: string[];
  verifiedAt: string;
  /** true once `expires` has passed (the policy no longer counts; fail mode applies). */
  expired: boolean;
  /**
   * Past `maxStalenessHours` (docs/compliance.md#stale-policies) since the last successful fetch — since when, and what this
   * office does about it (`closed`: restricted tools blocked; `open`: the last policy still enforced).
   */
  stale?: { since: string; failMode: 'closed' | 'open' } | null;
}

export interface Problem {
  at: string;
  code: RefusalCode | 'fetch-failed' | 'config-invalid' | 'timeout' | 'http-error' | 'too-large';
  message: string;
}

export interface Status {
  mode: EnforcementMode;
  extensionVersion: string;
  config: Partial<ManagedConfig> | null;
  configErrors: string[];
  /**
   * The configured office is not one the policy in force defines (src/core/config/office-check.ts): a
   * configuration error, enforced as with no valid policy. Null (or absent) when it is.
   */
  officeProblem?: OfficeProblem | null;
  policy: PolicySummary | null;
  /** The last attempt to fetch the policy, successful or not. */
  lastFetch: { at: string; ok: boolean; message: string } | null;
  /** The last refused document (signature, rollback, expiry, schema…), kept until a good one arrives. */
  lastRefusal: Problem | null;
  /** Number of installed DNR rules, for diagnostics. */
  ruleCount: number;
  /**
   * The last installation of network rules: the policy serial they enforce (null: none, e.g. fail
   * closed) and the browser's refusal of the latest update, if it refused it (the rules before stay).
   * A verified `policy` is in force only once its serial is here (src/core/policy/policy-in-force.ts).
   */
  applied?: { serial: number | null; error: string | null } | null;
  audit: { queued: number; lastDelivery: { at: string; ok: boolean; message: string } | null };
  /**
   * The signed exceptions document (docs/compliance.md#signed-exceptions), when IT configured `exceptionsUrl` (null otherwise):
   * the one in force (serial, when verified, when it expires), how many apply to this employee, and
   * the last attempt to fetch it — a failure keeps the document in force and is shown, never silent.
   */
  exceptions?: {
    url: string;
    serial: number | null;
    verifiedAt: string | null;
    expires: string | null;
    forYou: number;
    lastFetch: { at: string; ok: boolean; message: string } | null;
  } | null;
  /** Where the browser is, and how that was established. */
  location?: LocationStatus;
}

/** Where the browser is and how that was established (the popup's location line). */
export interface LocationStatus {
  /**
   * `verified`: by the company's location service; `office`: not verified, the office's
   * jurisdiction stands in (`unknownLocation: "office"`); `closed`: not verified, and the policy
   * treats an unverified browser as being in every restricted place (`unknownLocation: "closed"`).
   */
  basis: 'verified' | 'office' | 'closed';
  /** The country (verified, or the office's jurisdiction standing in); null when none. */
  country: string | null;
  zone: string | null;
  /** Since when the browser has been at this place (ISO), while verified. */
  since: string | null;
  verifiedAt: string | null;
  expires: string | null;
  /** The managed `locationUrl`, or null when none is configured (help-desk details only). */
  url: string | null;
  /** The last attempt to establish the location, successful or not. */
  lastCheck: { at: string; ok: boolean; message: string } | null;
}

/** The location that decided a notice, when the deciding rule has `locations` / `exceptLocations`. */
export interface DecidingLocation {
  basis: LocationStatus['basis'];
  country: string | null;
  zone: string | null;
}

export interface ToolRef {
  id: string;
  name: string;
  vendor: string | null;
  url: string | null;
}

/** A decision made serialisable for pages and content scripts. */
export interface Explanation {
  url: string;
  action: Action;
  basis: 'rule' | 'default' | 'not-a-tool' | 'fail-closed' | 'fail-open';
  tool: ToolRef | null;
  ruleId: string | null;
  notice: Notice | null;
  alternatives: ToolRef[];
  office: OfficeRef | null;
  contact: string | null;
  /**
   * For a block by a rule: where to ask for an exception, with `tool`, `rule` and `office` in the
   * query string (the notice's `exceptionRequestUrl`, else the policy's). Null when none is given.
   */
  exceptionRequest?: string | null;
  issuer: string | null;
  policySerial: number | null;
  /** For warn: ISO time until which an acknowledgement lets the employee through, if any. */
  acknowledgedUntil: string | null;
  allowForMinutes: number | null;
  requireJustification: boolean;
  /**
   * A signed exception (docs/compliance.md#signed-exceptions) that lets this employee use the tool although a rule restricts
   * it: the page says "you have an exception until …". Absent or null: none applies.
   */
  exception?: ExceptionRef | null;
  /** A block rule with `requireAcknowledgement`: whether this notice version still needs reading. */
  acknowledgement?: NoticeAcknowledgement | null;
  /** The policy is older than `maxStalenessHours` and this office fails closed (docs/compliance.md#stale-policies). */
  stale?: { since: string; failMode: 'closed' | 'open' } | null;
  /** The rule reached the tool by attribute (`toolsWhere`): which one, for "blocked because …". */
  selectedBy?: SelectedBy | null;
  /** The address is a web proxy's form of the tool's host (`claude-ai.translate.goog`): that host. */
  proxiedHost?: string | null;
  /** Present when the deciding rule is about where the browser is: the pages say "used from …". */
  location?: DecidingLocation | null;
}

/** What pages show of a signed exception; the rest (user, reason) stays in the signed document. */
export interface ExceptionRef {
  id: string;
  /** ISO instant at which the exception ends. */
  until: string;
  ticket: string;
  approver: string;
}

/** The acknowledgement state of a versioned notice, for the block page's "I have read this". */
export interface NoticeAcknowledgement {
  ruleId: string;
  version: number;
  policySerial: number;
  /** True while this version has not been acknowledged on this browser. */
  required: boolean;
  /** When this version was acknowledged (ISO), or null. */
  acknowledgedAt: string | null;
}

/** The employee's office: its code, and its name as the policy gives it (a string or a language map). */
export interface OfficeRef {
  code: string;
  name: LocalizedText;
}

export interface NoticeEntry {
  ruleId: string;
  action: Action;
  tools: ToolRef[];
  notice: Notice | null;
}

/** A rule that will start to apply to this employee (its `from` is in the near future). */
export interface UpcomingNotice extends NoticeEntry {
  /** ISO instant at which the rule starts. */
  from: string;
}

export interface PopupView {
  status: Status;
  office: OfficeRef | null;
  site: Explanation | null;
  /** Every rule that applies to this employee right now, in policy order. */
  notices: NoticeEntry[];
  /** Tools the employee may use (allow or monitor), with a link where the policy gives one. */
  approved: ToolRef[];
  /** Rules that start within the next 14 days, soonest first (src/core/decide/explain.ts upcomingNotices). */
  upcoming?: UpcomingNotice[];
}

export type Request =
  | { type: 'get-status' }
  | { type: 'get-popup'; tabUrl: string | null }
  | { type: 'explain'; url: string }
  | { type: 'proceed'; url: string; justification?: string }
  | { type: 'page-visit'; url: string; frame: 'top' | 'embedded' }
  | { type: 'refresh-policy' }
  // The block page's "I have read this notice" (docs/compliance.md#versioned-acknowledgements), for the notice version it showed.
  | { type: 'acknowledge-notice'; ruleId: string; version: number }
  // Data controls (docs/data-controls.md#protocol-for-developers): the guard content script asks for its page's controls and reports
  // what it blocked or warned about: pattern names and counts, never the text.
  | { type: 'get-data-controls'; url: string; languages?: string[] }
  // The preview page's office × tool matrix (docs/beyond-domains.md#policy-preview-matrix) of the policy in force (trusted pages only).
  | { type: 'get-matrix' }
  // The models content script (docs/beyond-domains.md#model-level-rules) asks which model-level rules apply on its page.
  | { type: 'get-model-rules'; url: string; languages: string[] }
  | { type: 'model-event'; url: string; ruleId: string; model: string; outcome: 'block' | 'warn-shown' | 'warn-proceeded' }
  // The discovery detector (docs/beyond-domains.md#discovery-of-unlisted-ai-tools) found that its page looks like an AI tool (signal names only).
  | { type: 'discovered'; signals: string[] }
  | { type: 'data-control-event'; url: string; kind: DataKind; outcome: DataOutcome; ruleId: string | null; patterns: Finding[]; unchecked?: boolean };

export interface ResponseMap {
  'get-status': Status;
  'get-popup': PopupView;
  explain: Explanation;
  proceed: { ok: true; until: string } | { ok: false; error: string };
  'page-visit': Explanation;
  'refresh-policy': Status;
  'acknowledge-notice': { ok: true; acknowledgedAt: string; evidence: string } | { ok: false; error: string };
  /** `strings`: the notice's messages in the page's language (background/content-strings.ts). */
  'get-data-controls': { ruleId: string | null; controls: DataControls | null; strings?: Partial<Record<string, { message: string }>> };
  'data-control-event': { ok: boolean };
  /** null when no verified policy is in force; `office` is this employee's, to highlight. */
  'get-matrix': { matrix: PolicyMatrix | null; office: string | null };
  'get-model-rules': { tool: string | null; models: Record<string, ModelDef>; rules: ModelRule[]; strings?: Partial<Record<string, { message: string }>> };
  'model-event': { ok: boolean };
  /** `listed`: a known tool (nothing recorded); otherwise what `unlistedAiAction` applies to it. */
  discovered: { ok: boolean; listed: boolean; action: 'allow' | 'warn' | 'block' | null };
}

export type ResponseFor<R extends Request> = ResponseMap[R['type']];

/**
 * The language-map tags to try for one of the employee's languages, most specific first. Hong Kong
 * and Macao read Hong Kong usage (zh-MO falls back to zh-HK), then any Traditional Chinese; Taiwan
 * reads its own usage, then Traditional; mainland China and Singapore read Simplified.
 */
export function textTagsFor(language: string): string[] {
  const l = language.toLowerCase().replace(/_/g, '-');
  const base = l.split('-')[0]!;
  const m = /^zh(?:-(hant|hans))?(?:-(hk|mo|tw|cn|sg))?$/.exec(l);
  if (!m) return l === base ? [l] : [l, base];
  const [, script, region] = m;
  const traditional = script === 'hant' || (!script && (region === 'hk' || region === 'mo' || region === 'tw'));
  const tags = [l];
  if (traditional && region === 'mo') tags.push('zh-mo', 'zh-hant-mo', 'zh-hk', 'zh-hant-hk');
  else if (traditional && region === 'hk') tags.push('zh-hk', 'zh-hant-hk');
  else if (traditional && region === 'tw') tags.push('zh-tw', 'zh-hant-tw');
  tags.push(traditional ? 'zh-hant' : 'zh-hans', 'zh');
  return [...new Set(tags)];
}

/** Pick the employee's language from a localized text; falls back to `en`, then to any entry. */
export function pickText(text: LocalizedText | undefined | null, languages: readonly string[]): string {
  if (text == null) return '';
  if (typeof text === 'string') return text;
  const byTag = new Map(Object.entries(text).map(([tag, value]) => [tag.toLowerCase().replace(/_/g, '-'), value]));
  for (const lang of languages) {
    for (const tag of textTagsFor(lang)) {
      const value = byTag.get(tag);
      if (value !== undefined) return value;
    }
  }
  return text.en ?? Object.values(text)[0] ?? '';
}
