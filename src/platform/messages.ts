/**
 * The message protocol between extension contexts: every request kind, named by what it asks, and
 * the answer the worker gives to it.
 */
import type { DataKind, DataOutcome, Finding } from '../core/decide/data-controls.ts';
import type { Explanation, NoticeEntry, OfficeRef, ToolRef, UpcomingNotice } from '../core/decide/explain.ts';
import type { PolicyMatrix } from '../core/decide/matrix.ts';
import type { ModelDef, ModelRule } from '../core/decide/model-match.ts';
import type { DataControls } from '../core/policy/policy-schema.ts';
import type { Status } from '../core/status/status.ts';

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
  // Issue 11: the block page's "I have read this notice", for the notice version it showed.
  | { type: 'acknowledge-notice'; ruleId: string; version: number }
  // Data controls (issue 12): the guard content script asks for its page's controls and reports
  // what it blocked or warned about: pattern names and counts, never the text.
  | { type: 'get-data-controls'; url: string; languages?: string[] }
  // Issue 10: the preview page's office × tool matrix of the policy in force (trusted pages only).
  | { type: 'get-matrix' }
  // Issue 10: the models content script asks which model-level rules apply on its page.
  | { type: 'get-model-rules'; url: string; languages: string[] }
  | { type: 'model-event'; url: string; ruleId: string; model: string; outcome: 'block' | 'warn-shown' | 'warn-proceeded' }
  // Issue 10: the discovery detector found that its page looks like an AI tool (signal names only).
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

