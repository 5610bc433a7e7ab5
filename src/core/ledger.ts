/**
 * The tamper-evident audit ledger (issue 11). Every event a browser records carries its `source`
 * (a random id made once per browser), its `seq` (0, 1, 2… in that browser) and `prev`, the SHA-256
 * of the previous event's canonical JSON. Editing, deleting or reordering a line of the collected
 * events therefore breaks a link that anyone can check without a key: `ai-geofence audit-verify`.
 *
 * What the chain cannot show by itself: lines cut from the very end (nothing follows them). The
 * daily `heartbeat` bounds that: a browser that is running keeps extending its chain.
 *
 * Also here, pure and shared with the CLI: reading the collector's JSON-lines file and the coverage
 * report built from heartbeats.
 */
import { parseStrictJson } from './strict-json.ts';
import { sha256Hex } from './verify.ts';
import type { AuditEvent, AuditLedger } from './audit.ts';

/**
 * Canonical JSON: object keys sorted by UTF-16 code units at every level, no whitespace, values
 * serialised as JSON.stringify does (RFC 8785 for the strings, integers and booleans events hold).
 * Two parties that parse the same event compute the same text, whatever order its keys came in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((x) => (x === undefined || typeof x === 'function' ? 'null' : canonicalJson(x))).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined && typeof obj[k] !== 'function')
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** The hash that the next event's `prev` must equal: SHA-256 hex of the event's canonical JSON. */
export function auditEventHash(event: unknown): Promise<string> {
  return sha256Hex(canonicalJson(event));
}

/** A new ledger for a browser (`source` is a random UUID, made once and kept). */
export function startLedger(source: string): AuditLedger {
  return { source, seq: 0, head: null };
}

/** Chain an event: stamp `source`, `seq` and `prev`, and return the ledger advanced past it. */
export async function sealAuditEvent(ledger: AuditLedger, event: AuditEvent): Promise<{ event: AuditEvent; ledger: AuditLedger }> {
  const sealed: AuditEvent = { ...event, source: ledger.source, seq: ledger.seq, prev: ledger.head };
  return { event: sealed, ledger: { source: ledger.source, seq: ledger.seq + 1, head: await auditEventHash(sealed) } };
}

// ---------------------------------------------------------------------------------------------
// Reading the collector's output

/** One event line of a JSON-lines file (1-based line number). */
export interface LedgerLine {
  line: number;
  event: Record<string, unknown>;
}

export type LedgerFindingKind =
  | 'malformed' // a line that is not an event
  | 'gap' // events missing: a `prev` that matches no event
  | 'edited' // an event whose hash is not what the next event recorded
  | 'reordered' // an event before its predecessor in the file
  | 'conflict' // one id, two different contents
  | 'fork' // one seq, two different events
  | 'lost' // events the browser itself dropped and reported (warning)
  | 'partial' // the file starts after the ledger's beginning, accepted with --partial (warning)
  | 'unchained'; // events without ledger fields, from an older extension version (warning)

export interface LedgerFinding {
  kind: LedgerFindingKind;
  source: string | null;
  lines: number[];
  message: string;
}

/**
 * Parse the reference collector's file: one event per line (a Splunk HEC line
 * `{"time", "sourcetype", "event"}` is unwrapped). Blank lines are skipped; anything else is malformed.
 */
export function parseEventLines(text: string): { events: LedgerLine[]; malformed: LedgerFinding[] } {
  const events: LedgerLine[] = [];
  const malformed: LedgerFinding[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.replace(/\r$/, '');
    if (trimmed.trim() === '') return;
    const parsed = parseStrictJson(trimmed);
    let value: unknown = parsed.ok ? parsed.value : undefined;
    const wrapped = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
    if (wrapped && 'sourcetype' in wrapped && wrapped.event && typeof wrapped.event === 'object') value = wrapped.event;
    if (!value || typeof value !== 'object' || Array.isArray(value) || typeof (value as { id?: unknown }).id !== 'string') {
      const why = parsed.ok ? 'not an audit event (an object with an "id")' : `not JSON: ${parsed.message}`;
      malformed.push({ kind: 'malformed', source: null, lines: [line], message: `line ${line}: ${why}` });
      return;
    }
    events.push({ line, event: value as Record<string, unknown> });
  });
  return { events, malformed };
}

// ---------------------------------------------------------------------------------------------
// Verifying

export interface LedgerSourceSummary {
  source: string;
  /** Distinct events (by id). */
  events: number;
  /** Identical repeats of an id (at-least-once delivery): harmless. */
  duplicates: number;
  firstSeq: number;
  lastSeq: number;
  firstTime: string | null;
  lastTime: string | null;
  /** From the newest event. */
  office: string | null;
  policySerial: number | null;
  /** Hash of the newest event: compare with the browser to detect a cut-off end. */
  head: string;
  problems: number;
  warnings: number;
}

export interface LedgerReport {
  /** Event lines read. */
  events: number;
  sources: LedgerSourceSummary[];
  problems: LedgerFinding[];
  warnings: LedgerFinding[];
}

interface Entry {
  line: number;
  event: Record<string, unknown>;
  id: string;
  source: string;
  seq: number;
  prev: string | null;
  hash: string;
  canonical: string;
}

const HEX64 = /^[0-9a-f]{64}$/;
const short = (hash: string | null) => (hash === null ? 'null' : `${hash.slice(0, 12)}…`);
const range = (a: number, b: number) => (a === b ? `seq ${a}` : `seq ${a}–${b}`);

/**
 * Check every browser's chain in the lines (file order matters: it is delivery order). Problems:
 * gaps, edits, reordering, conflicting duplicates, forks, malformed ledger fields. `partial`
 * accepts a file that starts after a ledger's beginning (a rotated log).
 */
export async function verifyLedger(lines: readonly LedgerLine[], opts: { partial?: boolean } = {}): Promise<LedgerReport> {
  const problems: LedgerFinding[] = [];
  const warnings: LedgerFinding[] = [];
  const byId = new Map<string, Entry>();
  const bySource = new Map<string, Entry[]>();
  const duplicates = new Map<string, number>();
  const unchained: number[] = [];

  for (const { line, event } of lines) {
    const { id, source, seq, prev } = event as { id: string; source?: unknown; seq?: unknown; prev?: unknown };
    if (source === undefined && seq === undefined && prev === undefined) {
      unchained.push(line);
      continue;
    }
    if (typeof source !== 'string' || !Number.isSafeInteger(seq) || (seq as number) < 0 || !(prev === null || (typeof prev === 'string' && HEX64.test(prev)))) {
      problems.push({ kind: 'malformed', source: typeof source === 'string' ? source : null, lines: [line], message: `line ${line}: event ${id} has incomplete ledger fields (source, seq, prev)` });
      continue;
    }
    const canonical = canonicalJson(event);
    const entry: Entry = { line, event, id, source, seq: seq as number, prev: prev as string | null, hash: await sha256Hex(canonical), canonical };
    const seen = byId.get(id);
    if (seen) {
      // At-least-once delivery repeats events verbatim; a repeat that differs is an edited copy.
      if (seen.canonical === canonical) duplicates.set(source, (duplicates.get(source) ?? 0) + 1);
      else problems.push({ kind: 'conflict', source, lines: [seen.line, line], message: `lines ${seen.line} and ${line}: event ${id} appears twice with different content` });
      continue;
    }
    byId.set(id, entry);
    const list = bySource.get(source);
    if (list) list.push(entry);
    else bySource.set(source, [entry]);
  }
  if (unchained.length) {
    warnings.push({
      kind: 'unchained', source: null, lines: unchained,
      message: `${unchained.length} event(s) carry no ledger fields (recorded by an extension version before the ledger); they cannot be verified`,
    });
  }

  const sources: LedgerSourceSummary[] = [];
  for (const [source, entries] of bySource) {
    const before = { p: problems.length, w: warnings.length };
    const bySeq = new Map<number, Entry>();
    for (const e of entries) {
      const other = bySeq.get(e.seq);
      if (other) {
        problems.push({ kind: 'fork', source, lines: [other.line, e.line], message: `lines ${other.line} and ${e.line}: two different events claim seq ${e.seq} of browser ${source}` });
        continue;
      }
      bySeq.set(e.seq, e);
    }
    const chain = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
    const reported = reportedLoss(entries);
    const first = chain[0]!;
    if (first.seq > 0) {
      const finding = { source, lines: [first.line] };
      if (covered(reported, 0, first.seq - 1)) {
        warnings.push({ ...finding, kind: 'lost', message: `${range(0, first.seq - 1)} of browser ${source} were dropped on the device and reported by a "dropped" event` });
      } else if (opts.partial) {
        warnings.push({ ...finding, kind: 'partial', message: `browser ${source} starts at seq ${first.seq} (line ${first.line}); its first ${first.seq} event(s) are not in this file` });
      } else {
        problems.push({
          ...finding, kind: 'gap',
          message: `browser ${source} starts at seq ${first.seq} (line ${first.line}): ${range(0, first.seq - 1)} missing (deleted, or the file begins mid-ledger: pass --partial)`,
        });
      }
    } else if (first.prev !== null) {
      problems.push({ kind: 'edited', source, lines: [first.line], message: `line ${first.line}: the first event (seq 0) of browser ${source} must have prev null, has ${short(first.prev)}` });
    }
    for (let i = 1; i < chain.length; i++) {
      const a = chain[i - 1]!;
      const b = chain[i]!;
      if (b.seq === a.seq + 1) {
        if (b.prev !== a.hash) {
          problems.push({
            kind: 'edited', source, lines: [a.line, b.line],
            message: `line ${b.line} (seq ${b.seq}) records prev ${short(b.prev)} but line ${a.line} (seq ${a.seq}) hashes to ${short(a.hash)}: one of them was edited`,
          });
        }
        // A `dropped` report is queued ahead of older events by design (docs/audit.md).
        if (b.line < a.line && b.event.type !== 'dropped') {
          problems.push({ kind: 'reordered', source, lines: [b.line, a.line], message: `line ${b.line} (seq ${b.seq}) comes before line ${a.line} (seq ${a.seq}): lines were moved` });
        }
        continue;
      }
      const lo = a.seq + 1;
      const hi = b.seq - 1;
      if (covered(reported, lo, hi)) {
        warnings.push({ kind: 'lost', source, lines: [a.line, b.line], message: `${range(lo, hi)} of browser ${source} were dropped on the device and reported by a "dropped" event` });
      } else {
        problems.push({
          kind: 'gap', source, lines: [a.line, b.line],
          message: `${range(lo, hi)} of browser ${source} missing between line ${a.line} and line ${b.line} (${hi - lo + 1} event(s)): line ${b.line}'s prev ${short(b.prev)} matches no event`,
        });
      }
    }
    const last = chain[chain.length - 1]!;
    const times = entries.map((e) => e.event.time).filter((t): t is string => typeof t === 'string').sort();
    sources.push({
      source,
      events: entries.length,
      duplicates: duplicates.get(source) ?? 0,
      firstSeq: first.seq,
      lastSeq: last.seq,
      firstTime: times[0] ?? null,
      lastTime: times[times.length - 1] ?? null,
      office: typeof last.event.office === 'string' ? last.event.office : null,
      policySerial: typeof last.event.policySerial === 'number' ? last.event.policySerial : null,
      head: last.hash,
      problems: problems.length - before.p,
      warnings: warnings.length - before.w,
    });
  }
  return { events: lines.length, sources, problems, warnings };
}

/** `seq` ranges the browser reported as dropped (`dropped` events carry firstSeq/lastSeq). */
function reportedLoss(entries: readonly Entry[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const e of entries) {
    if (e.event.type !== 'dropped') continue;
    const d = e.event.detail as { firstSeq?: unknown; lastSeq?: unknown } | undefined;
    if (Number.isSafeInteger(d?.firstSeq) && Number.isSafeInteger(d?.lastSeq)) out.push([d!.firstSeq as number, d!.lastSeq as number]);
  }
  return out;
}

/** True when every seq in [lo, hi] lies in the union of `ranges` (merged, so a huge gap costs nothing). */
function covered(ranges: ReadonlyArray<[number, number]>, lo: number, hi: number): boolean {
  let reach = lo - 1;
  for (const [a, b] of [...ranges].sort((x, y) => x[0] - y[0])) {
    if (a > reach + 1) break;
    reach = Math.max(reach, b);
  }
  return reach >= hi;
}

// ---------------------------------------------------------------------------------------------
// Coverage

export const DEFAULT_SILENT_HOURS = 48;

export interface BrowserCoverage {
  source: string;
  office: string | null;
  policySerial: number | null;
  mode: string | null;
  /** Time of the newest heartbeat, or null when the browser sent none. */
  lastHeartbeat: string | null;
  /** Time of the newest event of any type. */
  lastSeen: string;
  status: 'current' | 'stale' | 'silent';
}

export interface OfficeCoverage {
  office: string | null;
  browsers: number;
  current: number;
  stale: number;
  silent: number;
  list: BrowserCoverage[];
}

export interface CoverageReport {
  at: string;
  currentSerial: number | null;
  /** When the current serial was first seen in any event (stale browsers are behind since then). */
  currentSince: string | null;
  silentHours: number;
  offices: OfficeCoverage[];
  /** Events that name no browser (older extension versions). */
  unattributed: number;
}

/**
 * Per office: browsers on the current serial, stale ones (on another serial, or none), and silent
 * ones (no event for `silentHours`). A browser's office and serial come from its newest heartbeat,
 * else its newest event. Only events at or before `at` count. `currentSerial` defaults to the
 * highest serial seen.
 */
export function coverageReport(lines: readonly LedgerLine[], opts: { at: number; currentSerial?: number; silentHours?: number }): CoverageReport {
  const silentHours = opts.silentHours ?? DEFAULT_SILENT_HOURS;
  interface Seen { lastEvent: Record<string, unknown>; lastTime: number; lastBeat: Record<string, unknown> | null; beatTime: number }
  const browsers = new Map<string, Seen>();
  let unattributed = 0;
  let highest: number | null = null;
  const firstSeenSerial = new Map<number, number>();
  for (const { event } of lines) {
    const time = typeof event.time === 'string' ? Date.parse(event.time) : Number.NaN;
    if (!Number.isFinite(time) || time > opts.at) continue;
    const serials = [event.policySerial, (event.detail as { policySerial?: unknown } | undefined)?.policySerial];
    for (const s of serials) {
      if (typeof s !== 'number') continue;
      if (highest === null || s > highest) highest = s;
      if (!firstSeenSerial.has(s) || time < firstSeenSerial.get(s)!) firstSeenSerial.set(s, time);
    }
    if (typeof event.source !== 'string') {
      unattributed += 1;
      continue;
    }
    let b = browsers.get(event.source);
    if (!b) browsers.set(event.source, (b = { lastEvent: event, lastTime: time, lastBeat: null, beatTime: -Infinity }));
    if (time >= b.lastTime) {
      b.lastEvent = event;
      b.lastTime = time;
    }
    if (event.type === 'heartbeat' && time >= b.beatTime) {
      b.lastBeat = event;
      b.beatTime = time;
    }
  }
  const currentSerial = opts.currentSerial ?? highest;
  const offices = new Map<string | null, OfficeCoverage>();
  for (const [source, b] of browsers) {
    const beat = (b.lastBeat?.detail ?? null) as { mode?: unknown } | null;
    // Every event carries the office and serial in force when it was recorded; the newest one wins
    // (a heartbeat is usually the newest, but a block recorded after it is just as current).
    const office = str(b.lastEvent.office);
    const policySerial = typeof b.lastEvent.policySerial === 'number' ? b.lastEvent.policySerial : null;
    const silent = opts.at - b.lastTime > silentHours * 3_600_000;
    const status: BrowserCoverage['status'] = silent ? 'silent' : currentSerial !== null && policySerial === currentSerial ? 'current' : 'stale';
    const entry: BrowserCoverage = {
      source,
      office,
      policySerial,
      mode: str(beat?.mode),
      lastHeartbeat: b.lastBeat ? new Date(b.beatTime).toISOString() : null,
      lastSeen: new Date(b.lastTime).toISOString(),
      status,
    };
    let o = offices.get(office);
    if (!o) offices.set(office, (o = { office, browsers: 0, current: 0, stale: 0, silent: 0, list: [] }));
    o.browsers += 1;
    o[status] += 1;
    o.list.push(entry);
  }
  const sorted = [...offices.values()].sort((a, b) => (a.office ?? '\uffff').localeCompare(b.office ?? '\uffff'));
  for (const o of sorted) o.list.sort((a, b) => a.status.localeCompare(b.status) || a.lastSeen.localeCompare(b.lastSeen));
  const since = currentSerial === null ? undefined : firstSeenSerial.get(currentSerial);
  return {
    at: new Date(opts.at).toISOString(),
    currentSerial,
    currentSince: since === undefined ? null : new Date(since).toISOString(),
    silentHours,
    offices: sorted,
    unattributed,
  };
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}
