/**
 * The message protocol between extension contexts: one table from each request kind to the schema
 * its request must match, who may send it, and (in ResponseMap) the answer the worker gives.
 *
 * Two kinds of sender reach the worker's `runtime.onMessage`
 * (https://developer.chrome.com/docs/extensions/develop/concepts/messaging):
 * - the extension's own pages (popup, block, warn, embedded notice, preview), which may ask anything;
 * - content scripts, which run inside vendor pages. Chrome's guidance is to treat them as less
 *   trustworthy than the rest of the extension, since a compromised renderer can send anything in
 *   their name (https://developer.chrome.com/docs/extensions/develop/security-privacy/stay-secure#content_scripts).
 *   They may only ask about their own page and report what happened on it (`privileged: false`).
 * Web pages and other extensions cannot reach `runtime.onMessage` at all: the manifest declares no
 * `externally_connectable`, and the worker does not listen to `runtime.onMessageExternal`.
 *
 * The worker validates every request against its schema before acting
 * (./request-dispatch.ts); senders import only the types, so content scripts do not carry valibot.
 */
import * as v from 'valibot';
import { DATA_KINDS, DATA_OUTCOMES } from '../core/decide/data-controls.ts';
import type { Explanation, NoticeEntry, OfficeRef, ToolRef, UpcomingNotice } from '../core/decide/explain.ts';
import type { PolicyMatrix } from '../core/decide/matrix.ts';
import type { PageControls, PageModels } from '../core/plan/content-scripts.ts';
import type { Status } from '../core/status/status.ts';

/**
 * Chromium refuses URLs longer than 2 MB
 * (https://chromium.googlesource.com/chromium/src/+/main/docs/security/url_display_guidelines/url_display_guidelines.md#url-length):
 * a longer "URL" is not one a page can be at.
 */
const MAX_URL_LENGTH = 2 * 1024 * 1024;
const UrlSchema = v.pipe(v.string(), v.maxLength(MAX_URL_LENGTH));
/** navigator.languages as the page has it; the worker keeps the first few well-formed tags. */
const LanguagesSchema = v.array(v.string());

/** Build one table entry: the request's schema is its fields plus its `type`. */
function request<K extends string, E extends v.ObjectEntries>(type: K, privileged: boolean, entries: E) {
  return { privileged, schema: v.strictObject({ type: v.literal(type), ...entries }) };
}

/** Every request kind: whether only extension pages may send it, and the request's schema. */
export const REQUESTS = {
  // Content scripts may ask about their own page and report what happened on it.
  /** The banner script, on every navigation of a page (top frame or embedded). */
  'page-visit': request('page-visit', false, { url: UrlSchema, frame: v.picklist(['top', 'embedded']) }),
  /** The data-controls guard asks for its page's controls... */
  'get-data-controls': request('get-data-controls', false, { url: UrlSchema, languages: v.optional(LanguagesSchema) }),
  /** ...and reports what it blocked or warned about: pattern names and counts, never the text. */
  'data-control-event': request('data-control-event', false, {
    url: UrlSchema,
    kind: v.picklist(DATA_KINDS),
    outcome: v.picklist(DATA_OUTCOMES),
    ruleId: v.nullable(v.string()),
    patterns: v.array(v.strictObject({ name: v.string(), count: v.number() })),
    unchecked: v.optional(v.boolean()),
  }),
  /** The models script asks which model-level rules apply on its page, and reports its overlay. */
  'get-model-rules': request('get-model-rules', false, { url: UrlSchema, languages: LanguagesSchema }),
  'model-event': request('model-event', false, {
    url: UrlSchema,
    ruleId: v.string(),
    model: v.string(),
    outcome: v.picklist(['block', 'warn-shown', 'warn-proceeded']),
  }),
  /** The discovery detector found that its page looks like an AI tool (signal names only). */
  discovered: request('discovered', false, { signals: v.array(v.string()) }),

  // Only the extension's own pages may read the whole status and policy, or act for the employee.
  'get-status': request('get-status', true, {}),
  'get-popup': request('get-popup', true, { tabUrl: v.nullable(UrlSchema) }),
  /** The block, warn and embedded notice pages, once when shown (the moment the event is recorded). */
  explain: request('explain', true, { url: UrlSchema }),
  proceed: request('proceed', true, { url: UrlSchema, justification: v.optional(v.string()) }),
  'refresh-policy': request('refresh-policy', true, {}),
  /** The block page's "I have read this notice", for the notice version it showed. */
  'acknowledge-notice': request('acknowledge-notice', true, {
    ruleId: v.string(),
    version: v.pipe(v.number(), v.integer()),
  }),
  /** The preview page's office × tool matrix of the policy in force: compliance data. */
  'get-matrix': request('get-matrix', true, {}),
};

export type RequestKind = keyof typeof REQUESTS;
export type Request = { [K in RequestKind]: v.InferOutput<(typeof REQUESTS)[K]['schema']> }[RequestKind];
export type RequestOf<K extends RequestKind> = Extract<Request, { type: K }>;

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

/** The worker's answer to each request kind. */
export interface ResponseMap {
  'get-status': Status;
  'get-popup': PopupView;
  explain: Explanation;
  proceed: { ok: true; until: string } | { ok: false; error: string };
  'page-visit': Explanation;
  'refresh-policy': Status;
  'acknowledge-notice': { ok: true; acknowledgedAt: string; evidence: string } | { ok: false; error: string };
  /** `strings`: the notice's messages in the page's language (background/content-strings.ts). */
  'get-data-controls': PageControls & { strings?: Partial<Record<string, { message: string }>> };
  'data-control-event': { ok: boolean };
  /** null when no verified policy is in force; `office` is this employee's, to highlight. */
  'get-matrix': { matrix: PolicyMatrix | null; office: string | null };
  'get-model-rules': PageModels & { strings?: Partial<Record<string, { message: string }>> };
  'model-event': { ok: boolean };
  /** `listed`: a known tool (nothing recorded); otherwise what `unlistedAiAction` applies to it. */
  discovered: { ok: boolean; listed: boolean; action: 'allow' | 'warn' | 'block' | null };
}

/** The answer to one request (indexing by kind also fails to compile when a kind has no answer type). */
export type ResponseFor<R extends Request> = ResponseMap[R['type']];
