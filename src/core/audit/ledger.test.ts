import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
  AuditEventSchema,
  heartbeatDetail,
  makeAuditEvent,
  parseAuditQueue,
  type AuditEvent,
  type AuditInput,
} from './audit.ts';
import {
  auditEventHash,
  canonicalJson,
  coverageReport,
  LedgerVerifier,
  parseEventLines,
  sealAuditEvent,
  startLedger,
  verifyLedger,
  type LedgerLine,
} from './ledger.ts';
import { sha256Hex } from '../policy/verify.ts';

const NOW = Date.parse('2026-11-20T09:00:00Z');
const HOUR = 3_600_000;
const HASH_42 = 'a'.repeat(64);
const BROWSER_A = '11111111-1111-4111-8111-111111111111';
const BROWSER_B = '22222222-2222-4222-8222-222222222222';

let counter = 0;
function uuid(): string {
  counter += 1;
  return `00000000-0000-4000-8000-${counter.toString(16).padStart(12, '0')}`;
}

/** A browser's ledger: `n` sealed events, one a minute, as the background records them. */
async function ledgerOf(
  source: string,
  inputs: Array<Partial<AuditInput>>,
  opts: { office?: string; serial?: number; start?: number } = {},
): Promise<AuditEvent[]> {
  let ledger = startLedger(source);
  const out: AuditEvent[] = [];
  for (const [i, input] of inputs.entries()) {
    const e = makeAuditEvent(
      { type: 'block', tool: 'claude', rule: 'HK-ANTHROPIC', url: 'https://claude.ai/', ...input },
      {
        office: opts.office ?? 'HK',
        groups: [],
        policySerial: opts.serial ?? 42,
        urlDetail: 'path',
        policyHash: HASH_42,
      },
      { id: uuid(), now: (opts.start ?? NOW) + i * 60_000, extensionVersion: '0.2.0' },
    );
    const sealed = await sealAuditEvent(ledger, e);
    out.push(sealed.event);
    ledger = sealed.ledger;
  }
  return out;
}

const many = (n: number, input: Partial<AuditInput> = {}) => Array.from({ length: n }, () => input);
/** Lines as the collector writes them. */
const jsonl = (events: readonly unknown[]) => `${events.map((e) => JSON.stringify(e)).join('\n')}\n`;
const lines = (events: readonly unknown[]): LedgerLine[] => parseEventLines(jsonl(events)).events;
const kinds = async (events: readonly unknown[], partial = false) =>
  (await verifyLedger(lines(events), { partial })).problems.map((p) => p.kind);

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined, like JSON.stringify otherwise', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: null }], c: 'x' }, u: undefined })).toBe(
      '{"a":{"c":"x","d":[1,{"y":null,"z":1}]},"b":1}',
    );
  });
  it('does not depend on key order, and survives a JSON round trip (collector, storage)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const again = JSON.parse(JSON.stringify(value)) as unknown;
        expect(canonicalJson(again)).toBe(canonicalJson(value));
        expect(JSON.parse(canonicalJson(value))).toEqual(again);
      }),
    );
    const a = { x: 1, y: { p: 'é', q: [true] } };
    const b = { y: { q: [true], p: 'é' }, x: 1 };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
  });
});

describe('sealAuditEvent', () => {
  it('chains events: genesis prev null, then the hash of the previous canonical JSON', async () => {
    const [e0, e1, e2] = await ledgerOf(BROWSER_A, many(3));
    expect(e0).toMatchObject({ source: BROWSER_A, seq: 0, prev: null, policyHash: HASH_42 });
    expect(e1).toMatchObject({ source: BROWSER_A, seq: 1, prev: await sha256Hex(canonicalJson(e0)) });
    expect(e2!.prev).toBe(await auditEventHash(e1));
    for (const e of [e0, e1, e2]) expect(v.safeParse(AuditEventSchema, e).success).toBe(true);
  });
  it('keeps every ledger field through the stored-queue parser (an unknown key would be dropped and break the hash)', async () => {
    const events = await ledgerOf(BROWSER_A, many(2));
    const parsed = parseAuditQueue(JSON.parse(JSON.stringify({ events })));
    expect(parsed.events).toEqual(events);
    expect(await auditEventHash(parsed.events[0])).toBe(events[1]!.prev);
  });
});

describe('verifyLedger', () => {
  it('passes an untouched ledger of several interleaved browsers, in delivery order', async () => {
    const a = await ledgerOf(BROWSER_A, many(5));
    const b = await ledgerOf(BROWSER_B, many(4), { office: 'LDN' });
    const interleaved = [a[0], a[1], b[0], a[2], b[1], b[2], a[3], a[4], b[3]];
    const report = await verifyLedger(lines(interleaved));
    expect(report.problems).toEqual([]);
    expect(report.sources).toEqual([
      expect.objectContaining({
        source: BROWSER_A,
        events: 5,
        firstSeq: 0,
        lastSeq: 4,
        office: 'HK',
        head: await auditEventHash(a[4]),
        problems: 0,
      }),
      expect.objectContaining({ source: BROWSER_B, events: 4, lastSeq: 3, office: 'LDN', problems: 0 }),
    ]);
  });

  it('detects an edited field', async () => {
    const a = await ledgerOf(BROWSER_A, many(4));
    const edited = a.map((e, i) => (i === 1 ? { ...e, rule: 'SOMETHING-HARMLESS' } : e));
    const report = await verifyLedger(lines(edited));
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'edited', lines: [2, 3] })]);
    expect(report.problems[0]!.message).toMatch(/line 3 \(seq 2\) records prev .* but line 2 \(seq 1\) hashes to/);
  });

  it('detects a deleted line as a gap', async () => {
    const a = await ledgerOf(BROWSER_A, many(5));
    const report = await verifyLedger(lines([a[0], a[1], a[3], a[4]]));
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'gap', lines: [2, 3] })]);
    expect(report.problems[0]!.message).toMatch(
      /seq 2 of browser .* missing between line 2 and line 3 \(1 event\(s\)\): line 3's prev .* matches no event/,
    );
  });

  it('detects swapped lines', async () => {
    const a = await ledgerOf(BROWSER_A, many(4));
    expect(await kinds([a[0], a[2], a[1], a[3]])).toEqual(['reordered']);
  });

  it('detects deleting the first lines unless the file is declared partial', async () => {
    const a = await ledgerOf(BROWSER_A, many(4));
    expect(await kinds(a.slice(2))).toEqual(['gap']);
    const partial = await verifyLedger(lines(a.slice(2)), { partial: true });
    expect(partial.problems).toEqual([]);
    expect(partial.warnings.map((w) => w.kind)).toEqual(['partial']);
  });

  it('detects an event forged into the chain (a renumbered or re-linked copy)', async () => {
    const a = await ledgerOf(BROWSER_A, many(3));
    const forged = { ...a[1]!, id: uuid(), rule: 'FORGED' }; // claims seq 1 too
    expect(await kinds([a[0], a[1], forged, a[2]])).toEqual(['fork']);
    const genesisAgain = { ...a[2]!, prev: null };
    expect(await kinds([a[0], a[1], genesisAgain])).toEqual(['edited']);
  });

  it('accepts identical repeats of an id (at-least-once delivery) and flags a repeat that differs', async () => {
    const a = await ledgerOf(BROWSER_A, many(3));
    const repeated = await verifyLedger(lines([a[0], a[1], a[1], a[2]]));
    expect(repeated.problems).toEqual([]);
    expect(repeated.sources[0]!.duplicates).toBe(1);
    // Key order differs in the repeat: still the same event.
    const reordered = Object.fromEntries(Object.entries(a[1]!).reverse());
    expect(await kinds([a[0], a[1], reordered, a[2]])).toEqual([]);
    expect(await kinds([a[0], a[1], { ...a[1]!, url: 'https://elsewhere.example/' }, a[2]])).toEqual(['conflict']);
  });

  it('accepts a gap the browser reported in a dropped event, which is delivered ahead of older events', async () => {
    // seq 0–2 recorded; the queue overflowed and dropped seq 1; the report (seq 3) goes out first.
    const a = await ledgerOf(BROWSER_A, [
      {},
      {},
      {},
      { type: 'dropped', tool: null, rule: null, url: null, detail: { count: 1, firstSeq: 1, lastSeq: 1 } },
      {},
    ]);
    const delivered = [a[3], a[0], a[2], a[4]];
    const report = await verifyLedger(lines(delivered));
    expect(report.problems).toEqual([]);
    expect(report.warnings.map((w) => w.kind)).toEqual(['lost']);
    // The same gap without the report is a problem.
    expect(await kinds([a[0], a[2]])).toEqual(['gap']);
  });

  it('reports malformed ledger fields and lines, and warns about events from before the ledger', async () => {
    const a = await ledgerOf(BROWSER_A, many(2));
    const { seq: _s, ...noSeq } = a[1]!;
    expect(await kinds([a[0], noSeq])).toEqual(['malformed']);
    const legacy = makeAuditEvent(
      { type: 'block' },
      { office: 'HK', groups: [], policySerial: 41, urlDetail: 'path' },
      { id: uuid(), now: NOW, extensionVersion: '0.1.0' },
    );
    const { policyHash: _p, ...oldShape } = legacy;
    const report = await verifyLedger(lines([oldShape, ...a]));
    expect(report.problems).toEqual([]);
    expect(report.warnings).toEqual([expect.objectContaining({ kind: 'unchained', lines: [1] })]);
    const parsed = parseEventLines(
      '{"id":"x"}\nnot json\n\n[1]\n{"time":1,"sourcetype":"ai-geofence","event":{"id":"y"}}\n',
    );
    expect(parsed.events.map((e) => e.line)).toEqual([1, 5]);
    expect(parsed.malformed.map((m) => m.lines[0])).toEqual([2, 4]);
  });
});

describe('coverageReport', () => {
  const at = Date.parse('2026-11-25T12:00:00Z');
  const beat = (office: string, serial: number, mode = 'enforcing') => ({
    type: 'heartbeat' as const,
    tool: null,
    rule: null,
    url: null,
    detail: {
      ...heartbeatDetail({
        office,
        policySerial: serial,
        policyHash: HASH_42,
        rulesInstalled: 12,
        incognitoAllowed: false,
        extensionVersion: '0.2.0',
        mode,
      }),
    },
  });
  const source = (n: number) => `33333333-3333-4333-8333-${n.toString().padStart(12, '0')}`;

  it('counts per office the browsers on the current serial, the stale ones and the silent ones', async () => {
    const events = [
      ...(await ledgerOf(source(1), [beat('HK', 43)], { office: 'HK', serial: 43, start: at - 2 * HOUR })),
      ...(await ledgerOf(source(2), [beat('HK', 42)], { office: 'HK', serial: 42, start: at - 3 * HOUR })),
      ...(await ledgerOf(source(3), [beat('HK', 43)], { office: 'HK', serial: 43, start: at - 60 * HOUR })),
      ...(await ledgerOf(source(4), [beat('LDN', 43), {}], { office: 'LDN', serial: 43, start: at - 5 * HOUR })),
      // After --at: ignored.
      ...(await ledgerOf(source(5), [beat('LDN', 44)], { office: 'LDN', serial: 44, start: at + HOUR })),
    ];
    const r = coverageReport(lines(events), { at });
    expect(r.currentSerial).toBe(43);
    expect(r.currentSince).toBe(new Date(at - 60 * HOUR).toISOString());
    expect(r.offices.map(({ list: _l, ...o }) => o)).toEqual([
      { office: 'HK', browsers: 3, current: 1, stale: 1, silent: 1 },
      { office: 'LDN', browsers: 1, current: 1, stale: 0, silent: 0 },
    ]);
    const stale = r.offices[0]!.list.find((b) => b.status === 'stale');
    expect(stale).toMatchObject({
      source: source(2),
      policySerial: 42,
      mode: 'enforcing',
      lastHeartbeat: new Date(at - 3 * HOUR).toISOString(),
    });
    const ldn = r.offices[1]!.list[0]!;
    expect(ldn.lastSeen).toBe(new Date(at - 5 * HOUR + 60_000).toISOString()); // the block after the heartbeat
    expect(ldn.lastHeartbeat).toBe(new Date(at - 5 * HOUR).toISOString());
  });

  it('takes --current-serial and --silent-hours', async () => {
    const events = await ledgerOf(source(1), [beat('HK', 43)], { office: 'HK', serial: 43, start: at - 30 * HOUR });
    expect(coverageReport(lines(events), { at, currentSerial: 44 }).offices[0]).toMatchObject({ current: 0, stale: 1 });
    expect(coverageReport(lines(events), { at, silentHours: 24 }).offices[0]).toMatchObject({ silent: 1 });
  });

  it('counts events naming no browser apart', () => {
    const legacy = makeAuditEvent(
      { type: 'block' },
      { office: 'HK', groups: [], policySerial: 41, urlDetail: 'path' },
      { id: uuid(), now: at - HOUR, extensionVersion: '0.1.0' },
    );
    const r = coverageReport(lines([legacy]), { at });
    expect(r).toMatchObject({ unattributed: 1, offices: [], currentSerial: 41 });
  });
});

describe('canonicalJson edge cases', () => {
  it('keeps "__proto__" and integer-like keys as keys, in code-unit order', () => {
    const parsed = JSON.parse('{"b":1,"__proto__":{"x":1},"10":2,"9":3}') as unknown;
    expect(canonicalJson(parsed)).toBe('{"10":2,"9":3,"__proto__":{"x":1},"b":1}');
    expect(canonicalJson(JSON.parse('{"a":{"__proto__":null}}'))).toBe('{"a":{"__proto__":null}}');
  });
});

describe('LedgerVerifier (streaming, bounded)', () => {
  const hashOf = async (events: readonly unknown[]) => {
    const m = new Map<string, string>();
    for (const e of events) m.set(canonicalJson(e), await sha256Hex(canonicalJson(e)));
    return (text: string) => m.get(text)!;
  };

  it('compares repeats with the kept window, and names a repeat older than it instead of passing it silently', async () => {
    const a = await ledgerOf(BROWSER_A, many(6));
    const edited = { ...a[3]!, url: 'https://elsewhere.example/' };
    const v = new LedgerVerifier({ hash: await hashOf([...a, edited]), repeatWindow: 2 });
    for (const l of lines([...a, a[5], edited, a[0]])) v.add(l);
    const r = v.finish();
    expect(r.sources[0]!.duplicates).toBe(1); // a[5], inside the window
    expect(r.problems).toEqual([]);
    expect(r.warnings.map((w) => w.kind)).toEqual(['unchecked', 'unchecked']);
    const wide = new LedgerVerifier({ hash: await hashOf([...a, edited]) });
    for (const l of lines([...a, edited])) wide.add(l);
    expect(wide.finish().problems).toEqual([expect.objectContaining({ kind: 'conflict', lines: [4, 7] })]);
  });

  it('declares a gap once more events than the reorder window wait behind it, so memory stays bounded', async () => {
    const a = await ledgerOf(BROWSER_A, many(12));
    const v = new LedgerVerifier({ hash: await hashOf(a), reorderWindow: 3 });
    for (const l of lines([...a.slice(0, 2), ...a.slice(3)])) v.add(l);
    const r = v.finish();
    expect(r.problems).toEqual([expect.objectContaining({ kind: 'gap', lines: [2, 3] })]);
    expect(r.sources[0]).toMatchObject({ events: 11, lastSeq: 11 });
  });
});

describe('LedgerVerifier on a file of garbage', () => {
  it('lists the first 10,000 findings and counts the rest, so memory stays bounded', () => {
    const v = new LedgerVerifier({ hash: () => '' });
    for (let i = 1; i <= 10_005; i++)
      v.addMalformed({ kind: 'malformed', source: null, lines: [i], message: `line ${i}: not JSON` });
    const r = v.finish();
    expect(r.problems).toHaveLength(10_001);
    expect(r.problems[10_000]!.message).toBe('… and 5 more problem(s), not listed (the first 10000 are)');
  });
});
