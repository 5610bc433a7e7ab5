/**
 * The tamper-evident audit ledger (docs/compliance.md#the-tamper-evident-ledger). Every event a browser records carries its `source`
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
import { parseStrictJson } from '../policy/strict-json.ts';
import { sha256Hex } from '../policy/verify.ts';
import type { AuditEvent, AuditLedger } from './audit.ts';

/**
 * Canonical JSON: object keys sorted by UTF-16 code units at every level, no whitespace, values
 * serialised as JSON.stringify does (RFC 8785 for the strings, integers and booleans events hold).
 * Two parties that parse the same event compute the same text, whatever order its keys came in.
 */
export function canonicalJson(value: unknown): string {
  // Fast path: a copy with keys inserted in sorted order, serialised by the native JSON.stringify
  // (several times faster than building the text here, which matters for a fleet's month of events).
  // V8 enumerates integer-like keys first whatever the insertion order, so objects with such keys
  // take the slow path, as do values JSON.stringify treats differently (symbols, toJSON).
  const copy = sortedCopy(value, 0);
  return copy === SLOW ? canonicalSlow(value) : (JSON.stringify(copy) ?? 'null');
}

const SLOW = Symbol('slow');
const INTEGER_KEY = /^(?:0|[1-9]\d*)$/;
/** Deeper than any event; past it the text is built by the slow path (which a stack limit bounds). */
const MAX_FAST_DEPTH = 64;

function sortedCopy(value: unknown, depth: number): unknown {
  if (value === null) return value;
  const type = typeof value;
  if (type === 'symbol') return SLOW;
  if (type !== 'object') return value;
  if (depth > MAX_FAST_DEPTH || typeof (value as { toJSON?: unknown }).toJSON === 'function') return SLOW;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const x = sortedCopy(value[i], depth + 1);
      if (x === SLOW) return SLOW;
      out[i] = x;
    }
    return out;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  // No prototype: a "__proto__" key (JSON.parse makes it an own property) must stay a key, not set one.
  const out = Object.create(null) as Record<string, unknown>;
  for (const k of keys) {
    if (INTEGER_KEY.test(k)) return SLOW;
    const x = sortedCopy(obj[k], depth + 1);
    if (x === SLOW) return SLOW;
    out[k] = x;
  }
  return out;
}

function canonicalSlow(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value))
    return `[${value.map((x) => (x === undefined || typeof x === 'function' ? 'null' : canonicalSlow(x))).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined && typeof obj[k] !== 'function')
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalSlow(obj[k])}`).join(',')}}`;
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
export async function sealAuditEvent(
  ledger: AuditLedger,
  event: AuditEvent,
): Promise<{ event: AuditEvent; ledger: AuditLedger }> {
  const sealed: AuditEvent = { ...event, source: ledger.source, seq: ledger.seq, prev: ledger.head };
  return { event: sealed, ledger: { source: ledger.source, seq: ledger.seq + 1, head: await auditEventHash(sealed) } };
}

/**
 * A synchronous SHA-256 hex of a string, injected by the caller: node:crypto in the CLI (WebCrypto
 * has only an async digest, one promise per event, which caps verification at ~10,000 events/s).
 */
export type SyncSha256 = (text: string) => string;

/** Chain an event with a synchronous hash (same result as sealAuditEvent): the CLI's generator and tests. */
export function sealAuditEventWith(
  hash: SyncSha256,
  ledger: AuditLedger,
  event: AuditEvent,
): { event: AuditEvent; ledger: AuditLedger } {
  const sealed: AuditEvent = { ...event, source: ledger.source, seq: ledger.seq, prev: ledger.head };
  return { event: sealed, ledger: { source: ledger.source, seq: ledger.seq + 1, head: hash(canonicalJson(sealed)) } };
}

// ---------------------------------------------------------------------------------------------
// Reading the collector's output

/** One event line of a JSON-lines file (1-based line number). */
export interface LedgerLine {
  line: number;
  event: Record<string, unknown>;
  /** The input the line came from, when several inputs make one stream (named in messages). */
  file?: string;
  /** Index of that input among the inputs, 0 for the first (only the first may start mid-ledger with --partial). */
  part?: number;
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
  | 'unchained' // events without ledger fields, from an older extension version (warning)
  | 'unchecked'; // a repeat of an event too old to compare with the original (warning)

export interface LedgerFinding {
  kind: LedgerFindingKind;
  source: string | null;
  lines: number[];
  message: string;
  /** The input of each of `lines`, when several inputs were read. */
  files?: string[];
}

/**
 * Parse one line of collected events: an event; a Splunk HEC line `{"time", "sourcetype", "event"}`
 * (unwrapped); or an OTLP/HTTP JSON logs request, as an OpenTelemetry Collector's file exporter
 * writes one per line (each log record's `body.stringValue` is an event: docs/audit.md). Null for
 * a blank line, else the events or a malformed finding (one bad record makes the line malformed).
 */
export function parseEventLine(
  raw: string,
  line: number,
): { events: Array<Record<string, unknown>> } | { malformed: LedgerFinding } | null {
  const trimmed = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (trimmed.trim() === '') return null;
  const parsed = parseEventJson(trimmed);
  let value: unknown = parsed.ok ? parsed.value : undefined;
  const wrapped =
    value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  if (wrapped && Array.isArray(wrapped.resourceLogs) && !('id' in wrapped))
    return otlpLineEvents(wrapped.resourceLogs, line);
  if (wrapped && 'sourcetype' in wrapped && wrapped.event && typeof wrapped.event === 'object') value = wrapped.event;
  if (!isEvent(value)) {
    const why = parsed.ok ? 'not an audit event (an object with an "id")' : `not JSON: ${parsed.message}`;
    return { malformed: { kind: 'malformed', source: null, lines: [line], message: `line ${line}: ${why}` } };
  }
  return { events: [value] };
}

const isEvent = (value: unknown): value is Record<string, unknown> =>
  !!value && typeof value === 'object' && !Array.isArray(value) && typeof (value as { id?: unknown }).id === 'string';

function otlpLineEvents(
  resourceLogs: unknown[],
  line: number,
): { events: Array<Record<string, unknown>> } | { malformed: LedgerFinding } {
  const events: Array<Record<string, unknown>> = [];
  const bad = (why: string) => ({
    malformed: {
      kind: 'malformed' as const,
      source: null,
      lines: [line],
      message: `line ${line}: OTLP log record ${events.length + 1}: ${why}`,
    },
  });
  for (const rl of resourceLogs) {
    for (const sl of asArray((rl as { scopeLogs?: unknown } | null)?.scopeLogs)) {
      for (const record of asArray((sl as { logRecords?: unknown } | null)?.logRecords)) {
        const body = (record as { body?: { stringValue?: unknown } } | null)?.body?.stringValue;
        if (typeof body !== 'string') return bad('no body.stringValue');
        const inner = parseStrictJson(body);
        if (!inner.ok) return bad(`body is not JSON: ${inner.message}`);
        if (!isEvent(inner.value)) return bad('body is not an audit event (an object with an "id")');
        events.push(inner.value);
      }
    }
  }
  return { events };
}

const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * parseStrictJson, faster for the usual line: when JSON.stringify gives the text back unchanged, the
 * text has no duplicate key (each key of an object is written once) and no whitespace to look at.
 */
function parseEventJson(text: string): ReturnType<typeof parseStrictJson> {
  if (text.charCodeAt(0) === 123 /* { */) {
    try {
      const value: unknown = JSON.parse(text);
      if (JSON.stringify(value) === text) return { ok: true, value };
    } catch {
      // parseStrictJson says why
    }
  }
  return parseStrictJson(text);
}

/** Parse JSON lines of collected events (parseEventLine). Blank lines are skipped; anything else is malformed. */
export function parseEventLines(text: string): { events: LedgerLine[]; malformed: LedgerFinding[] } {
  const events: LedgerLine[] = [];
  const malformed: LedgerFinding[] = [];
  text.split('\n').forEach((raw, i) => {
    const parsed = parseEventLine(raw, i + 1);
    if (!parsed) return;
    if ('malformed' in parsed) malformed.push(parsed.malformed);
    else for (const event of parsed.events) events.push({ line: i + 1, event });
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

/** What the verifier keeps of one event: its links and a few fields, never the event itself. */
interface Link {
  pos: number;
  line: number;
  file: string | undefined;
  part: number;
  id: string;
  seq: number;
  prev: string | null;
  hash: string;
  dropped: boolean;
  office: string | null;
  policySerial: number | null;
}

/** One browser's chain as far as it has been read: bounded, whatever the number of its events. */
interface Chain {
  source: string;
  /** The next seq expected; 0 until the first event is chained. */
  next: number;
  started: boolean;
  /** The last chained event (its hash is what the next `prev` must be). */
  last: Link | null;
  /** Events read ahead of their predecessor (a `dropped` report, a gap not yet resolved), by seq. */
  pending: Map<number, Link>;
  /** The newest chained events, to tell an identical repeat from a conflict or a fork (null until the first). */
  recent: RecentRing | null;
  /** Seq ranges the browser reported as dropped. */
  losses: Array<[number, number]>;
  events: number;
  duplicates: number;
  firstSeq: number;
  firstTime: string | null;
  lastTime: string | null;
  problems: number;
  warnings: number;
}

const HEX64 = /^[0-9a-f]{64}$/;
const short = (hash: string | null) => (hash === null ? 'null' : `${hash.slice(0, 12)}…`);
const range = (a: number, b: number) => (a === b ? `seq ${a}` : `seq ${a}–${b}`);
type At = { line: number; file?: string | undefined };
const where = (l: At) => (l.file === undefined ? `line ${l.line}` : `${l.file} line ${l.line}`);
const both = (a: At, b: At) =>
  a.file === undefined && b.file === undefined ? `lines ${a.line} and ${b.line}` : `${where(a)} and ${where(b)}`;
/**
 * Events kept per browser to compare repeats with: a collector that does not de-duplicate stores a
 * resent batch (at most AUDIT_BATCH_MAX_EVENTS, 100) again, right after the original.
 */
export const LEDGER_REPEAT_WINDOW = 128;
/** Events held per browser waiting for a missing predecessor before the gap is declared. */
export const LEDGER_REORDER_WINDOW = 64;
/** Findings listed per report list; beyond, they are counted in one closing finding. */
const MAX_LISTED_FINDINGS = 10_000;
/** Line numbers listed in one finding about many lines (the count is always exact). */
const MAX_LISTED_LINES = 1000;

/** What the verifier needs of one event: small, plain data (it crosses threads in the CLI). */
export type LedgerFields =
  | { kind: 'unchained' }
  | { kind: 'invalid'; source: string | null; message: string }
  | {
      kind: 'link';
      id: string;
      source: string;
      seq: number;
      prev: string | null;
      hash: string;
      dropped: boolean;
      time: string | null;
      office: string | null;
      policySerial: number | null;
      /** A `dropped` report's seq range. */
      loss: [number, number] | null;
    };

/** Reduce an event to its ledger fields, hashing its canonical JSON: the costly, stateless half of verifying. */
export function ledgerFields(event: Readonly<Record<string, unknown>>, hash: SyncSha256): LedgerFields {
  const { id, source, seq, prev } = event as { id: string; source?: unknown; seq?: unknown; prev?: unknown };
  if (source === undefined && seq === undefined && prev === undefined) return { kind: 'unchained' };
  if (
    typeof source !== 'string' ||
    !Number.isSafeInteger(seq) ||
    (seq as number) < 0 ||
    !(prev === null || (typeof prev === 'string' && HEX64.test(prev)))
  ) {
    return {
      kind: 'invalid',
      source: typeof source === 'string' ? source : null,
      message: `event ${id} has incomplete ledger fields (source, seq, prev)`,
    };
  }
  let digest: string;
  try {
    digest = hash(canonicalJson(event));
  } catch (e) {
    // A nesting bomb that JSON.parse accepted (RangeError): a damaged line, not a crash.
    return {
      kind: 'invalid',
      source,
      message: `event ${id} cannot be hashed (${e instanceof Error ? e.message : String(e)})`,
    };
  }
  const dropped = event.type === 'dropped';
  const d = (dropped ? event.detail : undefined) as { firstSeq?: unknown; lastSeq?: unknown } | undefined;
  return {
    kind: 'link',
    id,
    source,
    seq: seq as number,
    prev: prev as string | null,
    hash: digest,
    dropped,
    time: typeof event.time === 'string' ? event.time : null,
    office: typeof event.office === 'string' ? event.office : null,
    policySerial: typeof event.policySerial === 'number' ? event.policySerial : null,
    loss:
      Number.isSafeInteger(d?.firstSeq) && Number.isSafeInteger(d?.lastSeq)
        ? [d!.firstSeq as number, d!.lastSeq as number]
        : null,
  };
}

/**
 * The last `size` chained events of one browser in typed arrays, ~34 bytes each instead of ~300 for
 * objects: 10,000 browsers × 128 events fit in ~45 MB. Kept per event: seq, 128 bits of its hash
 * (a forged copy that passes as an identical repeat needs a 128-bit second preimage), a 32-bit
 * fingerprint of its id (conflict or fork: both are problems), its line and input.
 */
class RecentRing {
  private readonly seqs: Float64Array;
  private readonly hashes: Uint32Array;
  private readonly ids: Uint32Array;
  private readonly lines: Float64Array;
  private readonly parts: Uint16Array;
  constructor(private readonly size: number) {
    this.seqs = new Float64Array(size).fill(-1);
    this.hashes = new Uint32Array(size * 4);
    this.ids = new Uint32Array(size);
    this.lines = new Float64Array(size);
    this.parts = new Uint16Array(size);
  }

  set(link: Link): void {
    const i = link.seq % this.size;
    this.seqs[i] = link.seq;
    for (let k = 0; k < 4; k++) this.hashes[i * 4 + k] = Number.parseInt(link.hash.slice(k * 8, k * 8 + 8), 16);
    this.ids[i] = fingerprint(link.id);
    this.lines[i] = link.line;
    this.parts[i] = link.part;
  }

  /** The kept event at `seq` as a partial Link whose `hash` and `id` compare equal to an identical one's. */
  get(seq: number, files: readonly string[]): Pick<Link, 'id' | 'hash' | 'line' | 'file'> | null {
    const i = seq % this.size;
    if (this.seqs[i] !== seq) return null;
    let hash = '';
    for (let k = 0; k < 4; k++) hash += this.hashes[i * 4 + k]!.toString(16).padStart(8, '0');
    return { hash, id: `#${this.ids[i]}`, line: this.lines[i]!, file: files[this.parts[i]!] };
  }
}

/** FNV-1a, 32 bits. */
function fingerprint(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export interface LedgerVerifierOptions {
  hash: SyncSha256;
  /** The input may start after a ledger's beginning (a rotated log), in its first part only. */
  partial?: boolean;
  repeatWindow?: number;
  reorderWindow?: number;
}

/**
 * Check every browser's chain in delivery order, one event at a time, in memory bounded by the
 * number of browsers (not of events). Several inputs read in order are one stream: an event
 * deleted at the boundary between two files is a gap like any other. Problems: gaps, edits,
 * reordering, conflicting duplicates, forks, malformed ledger fields.
 */
export class LedgerVerifier {
  private readonly chains = new Map<string, Chain>();
  private readonly problems: LedgerFinding[] = [];
  private readonly warnings: LedgerFinding[] = [];
  private readonly unchained: Array<{ line: number; file?: string }> = [];
  private unchainedCount = 0;
  private read = 0;
  /** Input names by index, for messages about events kept only as a RecentRing slot. */
  private readonly partFiles: string[] = [];
  private readonly opts: Required<LedgerVerifierOptions>;

  constructor(opts: LedgerVerifierOptions) {
    this.opts = { partial: false, repeatWindow: LEDGER_REPEAT_WINDOW, reorderWindow: LEDGER_REORDER_WINDOW, ...opts };
  }

  /** A line that was not an event (reported among the problems, in order). */
  addMalformed(finding: LedgerFinding): void {
    this.keep(this.problems, finding);
  }

  /** Findings are listed up to MAX_LISTED_FINDINGS per list (a file of garbage must not fill memory); the rest are counted. */
  private keep(list: LedgerFinding[], finding: LedgerFinding): void {
    if (list.length < MAX_LISTED_FINDINGS) list.push(finding);
    else this.unlisted.set(list, (this.unlisted.get(list) ?? 0) + 1);
  }
  private readonly unlisted = new Map<LedgerFinding[], number>();

  /** Read the next event of the stream. */
  add({ line, event, file, part = 0 }: LedgerLine): void {
    this.addFields(ledgerFields(event, this.opts.hash), { line, file, part });
  }

  /** Read the next event of the stream, already reduced by ledgerFields (perhaps in another thread). */
  addFields(
    fields: LedgerFields,
    { line, file, part = 0 }: { line: number; file?: string | undefined; part?: number },
  ): void {
    const pos = this.read++;
    if (fields.kind === 'unchained') {
      this.unchainedCount += 1;
      if (this.unchained.length < MAX_LISTED_LINES) this.unchained.push({ line, file });
      return;
    }
    if (fields.kind === 'invalid') {
      this.problem(
        { kind: 'malformed', source: fields.source },
        [{ line, file }],
        `${where({ line, file })}: ${fields.message}`,
      );
      return;
    }
    const { source } = fields;
    let chain = this.chains.get(source);
    if (!chain) {
      chain = {
        source,
        next: 0,
        started: false,
        last: null,
        pending: new Map(),
        recent: null,
        losses: [],
        events: 0,
        duplicates: 0,
        firstSeq: 0,
        firstTime: null,
        lastTime: null,
        problems: 0,
        warnings: 0,
      };
      this.chains.set(source, chain);
    }
    const link: Link = {
      pos,
      line,
      file,
      part,
      id: fields.id,
      seq: fields.seq,
      prev: fields.prev,
      hash: fields.hash,
      dropped: fields.dropped,
      office: fields.office,
      policySerial: fields.policySerial,
    };
    if (this.isRepeat(chain, link)) return;
    chain.events += 1;
    const { time } = fields;
    if (time !== null) {
      if (chain.firstTime === null || time < chain.firstTime) chain.firstTime = time;
      if (chain.lastTime === null || time > chain.lastTime) chain.lastTime = time;
    }
    if (fields.loss) chain.losses.push(fields.loss);
    // In order (a ledger's genesis included): chain now. Anything else waits for its predecessor.
    if (chain.started ? link.seq === chain.next : link.seq === 0) {
      this.link(chain, link, false);
      this.drain(chain);
      return;
    }
    chain.pending.set(link.seq, link);
    // A missing predecessor may still come (a `dropped` report travels ahead of older events); past
    // the window it is declared missing, so memory stays bounded whatever follows.
    if (chain.pending.size > this.opts.reorderWindow) this.resolveGap(chain);
  }

  /** The report: every chain resolved (events still waiting for a predecessor mark gaps). */
  finish(): LedgerReport {
    if (this.unchainedCount) {
      this.warnings.push({
        kind: 'unchained',
        source: null,
        lines: this.unchained.map((u) => u.line),
        ...this.filesOf(this.unchained),
        message: `${this.unchainedCount} event(s) carry no ledger fields (recorded by an extension version before the ledger); they cannot be verified`,
      });
    }
    const sources: LedgerSourceSummary[] = [];
    for (const chain of this.chains.values()) {
      while (chain.pending.size > 0) this.resolveGap(chain);
      const last = chain.last!;
      sources.push({
        source: chain.source,
        events: chain.events,
        duplicates: chain.duplicates,
        firstSeq: chain.firstSeq,
        lastSeq: last.seq,
        firstTime: chain.firstTime,
        lastTime: chain.lastTime,
        office: last.office,
        policySerial: last.policySerial,
        head: last.hash,
        problems: chain.problems,
        warnings: chain.warnings,
      });
    }
    for (const [list, n] of this.unlisted) {
      const what = list === this.problems ? 'problem' : 'warning';
      list.push({
        kind: list[list.length - 1]!.kind,
        source: null,
        lines: [],
        message: `… and ${n} more ${what}(s), not listed (the first ${MAX_LISTED_FINDINGS} are)`,
      });
    }
    return { events: this.read, sources, problems: this.problems, warnings: this.warnings };
  }

  /** An id or seq seen before: an identical repeat is harmless; anything else is a conflict or fork. */
  private isRepeat(chain: Chain, link: Link): boolean {
    let seen: Pick<Link, 'id' | 'hash' | 'line' | 'file'> | undefined = chain.pending.get(link.seq);
    if (seen) {
      // compared below
    } else if (chain.started && link.seq < chain.next) {
      seen = chain.recent?.get(link.seq, this.partFiles) ?? undefined;
      if (seen === undefined) {
        this.warning(
          { kind: 'unchecked', source: chain.source },
          chain,
          [link],
          `${where(link)} repeats seq ${link.seq} of browser ${chain.source}, older than the ${this.opts.repeatWindow} newest events kept for comparison: not compared with the original`,
        );
        return true;
      }
    } else {
      return false;
    }
    const ring = !chain.pending.has(link.seq);
    const sameHash = ring ? seen.hash === link.hash.slice(0, 32) : seen.hash === link.hash;
    const sameId = ring ? seen.id === `#${fingerprint(link.id)}` : seen.id === link.id;
    if (sameHash) chain.duplicates += 1;
    else if (sameId)
      this.problem(
        { kind: 'conflict', source: chain.source },
        [seen, link],
        `${both(seen, link)}: event ${link.id} appears twice with different content`,
        chain,
      );
    else
      this.problem(
        { kind: 'fork', source: chain.source },
        [seen, link],
        `${both(seen, link)}: two different events claim seq ${link.seq} of browser ${chain.source}`,
        chain,
      );
    return true;
  }

  /** Chain `link` after `chain.last`; `afterGap` when its predecessor is missing (its prev cannot be checked). */
  private link(chain: Chain, link: Link, afterGap: boolean): void {
    const a = chain.last;
    if (!chain.started) {
      chain.started = true;
      chain.firstSeq = link.seq;
      if (link.seq === 0 && link.prev !== null) {
        this.problem(
          { kind: 'edited', source: chain.source },
          [link],
          `${where(link)}: the first event (seq 0) of browser ${chain.source} must have prev null, has ${short(link.prev)}`,
          chain,
        );
      }
    } else if (a && !afterGap) {
      if (link.prev !== a.hash) {
        this.problem(
          { kind: 'edited', source: chain.source },
          [a, link],
          `${where(link)} (seq ${link.seq}) records prev ${short(link.prev)} but ${where(a)} (seq ${a.seq}) hashes to ${short(a.hash)}: one of them was edited`,
          chain,
        );
      }
      // A `dropped` report is queued ahead of older events by design (docs/audit.md).
      if (link.pos < a.pos && !link.dropped) {
        this.problem(
          { kind: 'reordered', source: chain.source },
          [link, a],
          `${where(link)} (seq ${link.seq}) comes before ${where(a)} (seq ${a.seq}): lines were moved`,
          chain,
        );
      }
    }
    chain.last = link;
    chain.next = link.seq + 1;
    chain.recent ??= new RecentRing(this.opts.repeatWindow);
    chain.recent.set(link);
    if (link.file !== undefined) this.partFiles[link.part] = link.file;
  }

  private drain(chain: Chain): void {
    for (let n = chain.pending.get(chain.next); n; n = chain.pending.get(chain.next)) {
      chain.pending.delete(n.seq);
      this.link(chain, n, false);
    }
  }

  /** The lowest waiting event's predecessors are missing: say so (lost, partial or gap) and chain on from it. */
  private resolveGap(chain: Chain): void {
    let first: Link | null = null;
    for (const l of chain.pending.values()) if (!first || l.seq < first.seq) first = l;
    if (!first) return;
    chain.pending.delete(first.seq);
    const lo = chain.started ? chain.next : 0;
    const hi = first.seq - 1;
    if (hi < lo) {
      // Only when the chain had not started and this is seq 0 (it arrived behind a later event).
      this.link(chain, first, false);
      this.drain(chain);
      return;
    }
    const a = chain.last;
    if (covered(chain.losses, lo, hi)) {
      this.warning(
        { kind: 'lost', source: chain.source },
        chain,
        a ? [a, first] : [first],
        `${range(lo, hi)} of browser ${chain.source} were dropped on the device and reported by a "dropped" event`,
      );
    } else if (!a) {
      if (this.opts.partial && first.part === 0) {
        this.warning(
          { kind: 'partial', source: chain.source },
          chain,
          [first],
          `browser ${chain.source} starts at seq ${first.seq} (${where(first)}); its first ${first.seq} event(s) are not in this file`,
        );
      } else {
        const hint = this.opts.partial
          ? 'deleted, or earlier files are missing: only the first input may begin mid-ledger'
          : 'deleted, or the file begins mid-ledger: pass --partial';
        this.problem(
          { kind: 'gap', source: chain.source },
          [first],
          `browser ${chain.source} starts at seq ${first.seq} (${where(first)}): ${range(0, hi)} missing (${hint})`,
          chain,
        );
      }
    } else {
      this.problem(
        { kind: 'gap', source: chain.source },
        [a, first],
        `${range(lo, hi)} of browser ${chain.source} missing between ${where(a)} and ${where(first)} (${hi - lo + 1} event(s)): ${where(first)}'s prev ${short(first.prev)} matches no event`,
        chain,
      );
    }
    if (!chain.started) {
      chain.started = true;
      chain.firstSeq = first.seq;
    }
    this.link(chain, first, true);
    this.drain(chain);
  }

  private filesOf(at: ReadonlyArray<{ file?: string | undefined }>): { files?: string[] } {
    return at.some((l) => l.file !== undefined) ? { files: at.map((l) => l.file ?? '') } : {};
  }

  private problem(
    f: { kind: LedgerFindingKind; source: string | null },
    at: ReadonlyArray<{ line: number; file?: string | undefined }>,
    message: string,
    chain?: Chain,
  ): void {
    this.keep(this.problems, { ...f, lines: at.map((l) => l.line), ...this.filesOf(at), message });
    if (chain) chain.problems += 1;
  }

  private warning(
    f: { kind: LedgerFindingKind; source: string | null },
    chain: Chain,
    at: ReadonlyArray<{ line: number; file?: string | undefined }>,
    message: string,
  ): void {
    this.keep(this.warnings, { ...f, lines: at.map((l) => l.line), ...this.filesOf(at), message });
    chain.warnings += 1;
  }
}

/**
 * Check every browser's chain in the lines (file order matters: it is delivery order), hashing
 * with WebCrypto: for the extension's own tests and small inputs. The CLI streams through
 * LedgerVerifier with a synchronous hash.
 */
export async function verifyLedger(
  lines: readonly LedgerLine[],
  opts: { partial?: boolean } = {},
): Promise<LedgerReport> {
  const hashes = new Map<string, string>();
  for (const { event } of lines) {
    const canonical = canonicalJson(event);
    if (!hashes.has(canonical)) hashes.set(canonical, await sha256Hex(canonical));
  }
  const verifier = new LedgerVerifier({ hash: (text) => hashes.get(text)!, partial: opts.partial });
  for (const l of lines) verifier.add(l);
  return verifier.finish();
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
export function coverageReport(lines: readonly LedgerLine[], opts: CoverageOptions): CoverageReport {
  const counter = countCoverage(opts);
  for (const { event } of lines) counter.add(event);
  return counter.finish();
}

export interface CoverageOptions {
  at: number;
  currentSerial?: number;
  silentHours?: number;
}

/** coverageReport one event at a time: memory bounded by the number of browsers. */
export function countCoverage(opts: CoverageOptions): {
  add(event: Readonly<Record<string, unknown>>): void;
  finish(): CoverageReport;
} {
  const silentHours = opts.silentHours ?? DEFAULT_SILENT_HOURS;
  interface Seen {
    lastEvent: Record<string, unknown>;
    lastTime: number;
    lastBeat: Record<string, unknown> | null;
    beatTime: number;
  }
  const browsers = new Map<string, Seen>();
  let unattributed = 0;
  let highest: number | null = null;
  const firstSeenSerial = new Map<number, number>();
  const add = (event: Readonly<Record<string, unknown>>): void => {
    const time = typeof event.time === 'string' ? Date.parse(event.time) : Number.NaN;
    if (!Number.isFinite(time) || time > opts.at) return;
    const serials = [event.policySerial, (event.detail as { policySerial?: unknown } | undefined)?.policySerial];
    for (const s of serials) {
      if (typeof s !== 'number') continue;
      if (highest === null || s > highest) highest = s;
      if (!firstSeenSerial.has(s) || time < firstSeenSerial.get(s)!) firstSeenSerial.set(s, time);
    }
    if (typeof event.source !== 'string') {
      unattributed += 1;
      return;
    }
    let b = browsers.get(event.source);
    if (!b) {
      b = { lastEvent: event, lastTime: time, lastBeat: null, beatTime: -Infinity };
      browsers.set(event.source, b);
    }
    if (time >= b.lastTime) {
      b.lastEvent = event;
      b.lastTime = time;
    }
    if (event.type === 'heartbeat' && time >= b.beatTime) {
      b.lastBeat = event;
      b.beatTime = time;
    }
  };
  const finish = (): CoverageReport => {
    const currentSerial = opts.currentSerial ?? highest;
    const offices = new Map<string | null, OfficeCoverage>();
    for (const [source, b] of browsers) {
      const beat = (b.lastBeat?.detail ?? null) as { mode?: unknown } | null;
      // Every event carries the office and serial in force when it was recorded; the newest one wins
      // (a heartbeat is usually the newest, but a block recorded after it is just as current).
      const office = str(b.lastEvent.office);
      const policySerial = typeof b.lastEvent.policySerial === 'number' ? b.lastEvent.policySerial : null;
      const silent = opts.at - b.lastTime > silentHours * 3_600_000;
      const status: BrowserCoverage['status'] = silent
        ? 'silent'
        : currentSerial !== null && policySerial === currentSerial
          ? 'current'
          : 'stale';
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
      if (!o) {
        o = { office, browsers: 0, current: 0, stale: 0, silent: 0, list: [] };
        offices.set(office, o);
      }
      o.browsers += 1;
      o[status] += 1;
      o.list.push(entry);
    }
    const sorted = [...offices.values()].sort((a, b) => (a.office ?? '\uffff').localeCompare(b.office ?? '\uffff'));
    for (const o of sorted)
      o.list.sort((a, b) => a.status.localeCompare(b.status) || a.lastSeen.localeCompare(b.lastSeen));
    const since = currentSerial === null ? undefined : firstSeenSerial.get(currentSerial);
    return {
      at: new Date(opts.at).toISOString(),
      currentSerial,
      currentSince: since === undefined ? null : new Date(since).toISOString(),
      silentHours,
      offices: sorted,
      unattributed,
    };
  };
  return { add, finish };
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}
