/**
 * Data controls (docs/data-controls.md): which pastes, drops, uploads and sends a rule lets
 * through on a tool's pages. Pure: the content script (src/content/guard.ts) feeds it what the
 * employee is about to hand to the vendor, the background screens the policy's patterns with it.
 *
 * Regular expressions written by compliance run on vendor pages, on the employee's text, inside the
 * event handler that must decide before the page sees the event. JavaScript cannot interrupt a
 * running regex, so the work is bounded in layers (docs/data-controls.md, "Limits"):
 * 1. only patterns that compile and pass the same catastrophic-backtracking check as `lint` run
 *    (the background applies it, see screenControls);
 * 2. at most SCAN_MAX_CHARS characters are scanned;
 * 3. each regex call sees one window of at most SCAN_LEAD_CHARS + SCAN_WINDOW_CHARS +
 *    SCAN_OVERLAP_CHARS characters, so a pattern that backtracks polynomially costs at most that
 *    window's worth per call;
 * 4. a time budget is checked between windows; text not scanned in time counts as unchecked, and
 *    unchecked text gets the rule's `sensitive` level, as if it had matched.
 */
import type { DataControls } from '../policy/policy-schema.ts';

/** What the employee is doing: pasting, dropping onto the page, choosing a file, or sending text. */
export type DataKind = 'paste' | 'upload' | 'drop' | 'send';
export type DataLevel = 'allow' | 'warn' | 'block';
/** What happened, as the audit event tells it. */
export type DataOutcome = 'blocked' | 'warned-proceeded' | 'warned-cancelled';

export const DATA_KINDS: readonly DataKind[] = ['paste', 'upload', 'drop', 'send'];
export const DATA_OUTCOMES: readonly DataOutcome[] = ['blocked', 'warned-proceeded', 'warned-cancelled'];

/** Text beyond this many characters is not scanned (it counts as unchecked). */
export const SCAN_MAX_CHARS = 1_000_000;
/** Matches are looked for in windows this long… */
export const SCAN_WINDOW_CHARS = 512;
/** …that extend this far past the window, so a match up to this long is never cut in two… */
export const SCAN_OVERLAP_CHARS = 128;
/** …and start this far before it, so `\b` and short lookbehinds see the text before the window. */
export const SCAN_LEAD_CHARS = 16;
/** Time for one scan (all patterns) before the rest of the text counts as unchecked. */
export const SCAN_BUDGET_MS = 500;
/** Counting stops here: enough for any `min` and for the audit trail. */
export const COUNT_CAP = 10_000;

export interface PatternInput {
  name: string;
  regex: string;
  min?: number;
}

export interface CompiledPattern {
  name: string;
  min: number;
  re: RegExp;
}

export interface Finding {
  name: string;
  count: number;
}

export interface ScanResult {
  /** Every pattern found at least once, with its count (capped at COUNT_CAP). */
  findings: Finding[];
  /** The findings that reach their pattern's `min`. */
  hits: Finding[];
  /** false when some text was not scanned (longer than the cap, or out of time). */
  complete: boolean;
}

export interface DataDecision {
  outcome: DataLevel;
  /** The patterns that reached their `min` (names and counts, never the text). */
  patterns: Finding[];
  /** True when text could not be fully scanned and that alone raised the level. */
  unchecked: boolean;
}

export interface RejectedPattern {
  name: string;
  reason: string;
}

/** Compile patterns for scanning: the regex as written plus the `g` flag; a pattern that does not compile, or that `isRisky` flags, is left out. */
export function compilePatterns(
  patterns: readonly PatternInput[],
  isRisky: (regex: string) => boolean = () => false,
): { patterns: CompiledPattern[]; rejected: RejectedPattern[] } {
  const out: CompiledPattern[] = [];
  const rejected: RejectedPattern[] = [];
  for (const p of patterns) {
    let re: RegExp;
    try {
      re = new RegExp(p.regex, 'g');
    } catch (e) {
      rejected.push({ name: p.name, reason: `does not compile: ${e instanceof Error ? e.message : String(e)}` });
      continue;
    }
    if (isRisky(p.regex)) {
      rejected.push({ name: p.name, reason: 'may backtrack catastrophically' });
      continue;
    }
    out.push({ name: p.name, min: Math.max(1, Math.floor(p.min ?? 1)), re });
  }
  return { patterns: out, rejected };
}

/** The controls with only the patterns that are safe to run (the background sends these to the guard). */
export function screenControls(
  controls: DataControls,
  isRisky: (regex: string) => boolean,
): { controls: DataControls; rejected: RejectedPattern[] } {
  const rejected: RejectedPattern[] = [];
  const kept = controls.patterns.filter((p) => {
    const problem = compilePatterns([p], isRisky).rejected[0];
    if (problem) rejected.push(problem);
    return !problem;
  });
  return { controls: rejected.length ? { ...controls, patterns: kept } : controls, rejected };
}

/** True when the controls ask for anything at all (otherwise the guard does no work). */
export function controlsActive(controls: DataControls | null | undefined): controls is DataControls {
  return (
    !!controls &&
    (controls.paste !== 'allow' ||
      controls.upload !== 'allow' ||
      (!!controls.sensitive && controls.patterns.length > 0))
  );
}

export interface ScanOptions {
  maxChars?: number;
  budgetMs?: number;
  /** Clock in ms (tests inject one). */
  now?: () => number;
}

/** Count each pattern's matches in `text`, with bounded work (see the module comment); never the text itself in the result. */
export function scanText(text: string, patterns: readonly CompiledPattern[], opts: ScanOptions = {}): ScanResult {
  const now = opts.now ?? (() => performance.now());
  const deadline = now() + (opts.budgetMs ?? SCAN_BUDGET_MS);
  const n = Math.min(text.length, opts.maxChars ?? SCAN_MAX_CHARS);
  let complete = n === text.length;
  const findings: Finding[] = [];
  const hits: Finding[] = [];
  for (const p of patterns) {
    const { count, finished } = countMatches(text, n, p.re, deadline, now);
    if (!finished) complete = false;
    if (count > 0) {
      findings.push({ name: p.name, count });
      if (count >= p.min) hits.push({ name: p.name, count });
    }
    if (!finished) break; // out of time: the remaining patterns would be too
  }
  return { findings, hits, complete };
}

/**
 * Matches of `re` in text[0, n), window by window. The result equals a scan of the whole text for
 * every match up to SCAN_OVERLAP_CHARS long; `^` matches only at the start of the text.
 */
function countMatches(
  text: string,
  n: number,
  re: RegExp,
  deadline: number,
  now: () => number,
): { count: number; finished: boolean } {
  let count = 0;
  let c = 0; // the next match may start here
  while (c < n) {
    if (now() > deadline) return { count, finished: false };
    const from = c > SCAN_LEAD_CHARS ? c - SCAN_LEAD_CHARS : 0;
    const to = Math.min(n, c + SCAN_WINDOW_CHARS + SCAN_OVERLAP_CHARS);
    const limit = c + SCAN_WINDOW_CHARS; // this window counts matches that start before limit
    const s = text.slice(from, to);
    re.lastIndex = c - from;
    let next = limit;
    for (let m = re.exec(s); m; m = re.exec(s)) {
      const at = from + m.index;
      const end = at + m[0].length;
      if (at >= limit) {
        next = at; // the next window starts on it and finds it again, with room after it
        break;
      }
      if (end === at) {
        re.lastIndex++; // an empty match is never counted, and must not stop the scan
        continue;
      }
      if (end >= to && to < n && at > c) {
        // Touches the window's end: it may be cut short (\d+) or a false `$`. Look again from it.
        next = at;
        break;
      }
      if (++count >= COUNT_CAP) return { count, finished: true };
      next = Math.max(limit, end);
    }
    c = next;
  }
  return { count, finished: true };
}

const RANK: Record<DataLevel, number> = { allow: 0, warn: 1, block: 2 };
const stricter = (a: DataLevel, b: DataLevel): DataLevel => (RANK[b] > RANK[a] ? b : a);

export interface DataActionInput {
  kind: DataKind;
  /** The action carries text (typed, pasted or dropped). */
  hasText: boolean;
  /** The action carries files (an upload, or files pasted or dropped). */
  hasFiles: boolean;
  /** The scan of that text, or null when `sensitive` has nothing to check. */
  scan: ScanResult | null;
}

/**
 * allow, warn or block for one action: `paste` covers every paste and every drop of text, `upload`
 * every file chosen, pasted or dropped, `sensitive` any text with a pattern at its `min` (and text
 * that could not be fully scanned). The strictest applicable control wins.
 */
export function decideDataAction(controls: DataControls, input: DataActionInput): DataDecision {
  let outcome: DataLevel = 'allow';
  if (input.kind === 'paste' || (input.kind === 'drop' && (input.hasText || !input.hasFiles))) outcome = controls.paste;
  if (input.hasFiles && input.kind !== 'send') outcome = stricter(outcome, controls.upload);
  const scan = controls.sensitive && input.kind !== 'upload' ? input.scan : null;
  const patterns = scan ? scan.hits : [];
  let unchecked = false;
  if (scan && controls.sensitive) {
    const before = outcome;
    if (patterns.length > 0 || !scan.complete) outcome = stricter(outcome, controls.sensitive);
    unchecked = patterns.length === 0 && !scan.complete && outcome !== before;
  }
  return { outcome, patterns, unchecked };
}

/** The audit `detail` of a data-control event from what a content script reported, or null when malformed. Carries no text. */
export function dataControlDetail(report: {
  kind?: unknown;
  outcome?: unknown;
  patterns?: unknown;
  unchecked?: unknown;
}): Record<string, unknown> | null {
  const { kind, outcome, patterns } = report;
  if (
    !DATA_KINDS.includes(kind as DataKind) ||
    !DATA_OUTCOMES.includes(outcome as DataOutcome) ||
    !Array.isArray(patterns)
  )
    return null;
  // A content script runs in the vendor's renderer: keep only names and counts, bounded.
  const clean = patterns.slice(0, 50).flatMap((p: unknown) => {
    const { name, count } = (p ?? {}) as { name?: unknown; count?: unknown };
    return typeof name === 'string' && Number.isInteger(count) && (count as number) > 0
      ? [{ name: name.slice(0, 200), count: Math.min(count as number, COUNT_CAP) }]
      : [];
  });
  return { kind, outcome, patterns: clean, ...(report.unchecked === true ? { unchecked: true } : {}) };
}
