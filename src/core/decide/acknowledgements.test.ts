import { describe, expect, it } from 'vitest';
import {
  acknowledgementAuditDetail,
  acknowledgementEvidence,
  acknowledgementState,
  ackKey,
  needsAcknowledgement,
  pruneAcknowledgements,
  recordAcknowledgement,
  type AckRecords,
} from './acknowledgements.ts';
import { parsePolicy, type Policy, type Rule } from '../policy/policy-schema.ts';

const NOW = Date.parse('2026-11-25T00:00:00Z');

function policyWith(rules: unknown[]): Policy {
  const r = parsePolicy({
    type: 'ai-geofence-policy',
    version: 1,
    serial: 42,
    issued: '2026-11-20T00:00:00Z',
    expires: '2026-12-20T00:00:00Z',
    offices: { HK: { name: 'Hong Kong' } },
    rules,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.policy;
}

const blockRule = (version?: number, extra: Record<string, unknown> = {}): Rule =>
  policyWith([
    {
      id: 'HK-ANTHROPIC-2026-11',
      tools: ['claude'],
      offices: ['HK'],
      action: 'block',
      requireAcknowledgement: true,
      notice: { title: 'Do not use', ...(version === undefined ? {} : { version }) },
      ...extra,
    },
  ]).rules[0]!;

describe('ackKey and evidence', () => {
  it('names rule, version and serial; the evidence reads as a sentence', () => {
    expect(ackKey('HK-ANTHROPIC-2026-11', 2, 42)).toBe('HK-ANTHROPIC-2026-11@v2#42');
    expect(acknowledgementEvidence('HK-ANTHROPIC-2026-11', 2, 42)).toBe(
      'read notice HK-ANTHROPIC-2026-11 v2 of policy serial 42',
    );
  });
  it('cannot be confused by rule ids containing the separators', () => {
    expect(ackKey('A@v1', 2, 3)).not.toBe(ackKey('A', 1, 2));
    expect(ackKey('A#1', 1, 2)).not.toBe(ackKey('A', 1, 12));
  });
});

describe('needsAcknowledgement', () => {
  it('asks once, then not again for the same notice version', () => {
    const rule = blockRule(1);
    expect(needsAcknowledgement(rule, {}, NOW)).toBe(true);
    const { records, evidence } = recordAcknowledgement({}, rule, 42, NOW);
    expect(evidence).toBe('read notice HK-ANTHROPIC-2026-11 v1 of policy serial 42');
    expect(needsAcknowledgement(rule, records, NOW)).toBe(false);
  });
  it('is not asked again for a new policy serial with the same notice version', () => {
    const { records } = recordAcknowledgement({}, blockRule(3), 42, NOW);
    // serial 43 republished the same notice v3: already read.
    expect(needsAcknowledgement(blockRule(3), records, NOW + 86_400_000)).toBe(false);
  });
  it('is asked again when the notice version changes', () => {
    const { records } = recordAcknowledgement({}, blockRule(1), 42, NOW);
    expect(needsAcknowledgement(blockRule(2), records, NOW)).toBe(true);
  });
  it('treats a notice without version as version 1', () => {
    const { records, record } = recordAcknowledgement({}, blockRule(undefined), 42, NOW);
    expect(record.version).toBe(1);
    expect(needsAcknowledgement(blockRule(1), records, NOW)).toBe(false);
  });
  it('is not asked for rules without requireAcknowledgement, non-block rules, or outside the rule window', () => {
    expect(needsAcknowledgement(blockRule(1, { requireAcknowledgement: false }), {}, NOW)).toBe(false);
    expect(needsAcknowledgement(blockRule(1, { action: 'warn' }), {}, NOW)).toBe(false);
    expect(needsAcknowledgement(blockRule(1, { from: '2026-12-01T00:00:00Z' }), {}, NOW)).toBe(false);
  });
  it("does not count another rule's acknowledgement", () => {
    const other = { ...blockRule(1), id: 'OTHER' };
    const { records } = recordAcknowledgement({}, other, 42, NOW);
    expect(needsAcknowledgement(blockRule(1), records, NOW)).toBe(true);
  });
});

describe('recordAcknowledgement', () => {
  it('keeps the first reading under a serial as the evidence', () => {
    const first = recordAcknowledgement({}, blockRule(1), 42, NOW);
    const again = recordAcknowledgement(first.records, blockRule(1), 42, NOW + 60_000);
    expect(again.record.at).toBe(new Date(NOW).toISOString());
    expect(Object.keys(again.records)).toEqual(['HK-ANTHROPIC-2026-11@v1#42']);
    expect(acknowledgementAuditDetail(again.record)).toEqual({
      version: 1,
      serial: 42,
      evidence: 'read notice HK-ANTHROPIC-2026-11 v1 of policy serial 42',
    });
  });
});

describe('acknowledgementState', () => {
  it('tells the block page whether to ask, and since when it was read', () => {
    const rule = blockRule(2);
    expect(acknowledgementState(rule, {}, 42, NOW)).toEqual({
      ruleId: rule.id,
      version: 2,
      policySerial: 42,
      required: true,
      acknowledgedAt: null,
    });
    const { records } = recordAcknowledgement({}, rule, 41, NOW - 1000);
    expect(acknowledgementState(rule, records, 42, NOW)).toMatchObject({
      required: false,
      acknowledgedAt: new Date(NOW - 1000).toISOString(),
    });
    expect(acknowledgementState(null, {}, 42, NOW)).toBeNull();
    expect(acknowledgementState(blockRule(2, { requireAcknowledgement: false }), {}, 42, NOW)).toBeNull();
  });
});

describe('pruneAcknowledgements', () => {
  it('drops records of rules and versions no longer in the policy', () => {
    let records: AckRecords = {};
    records = recordAcknowledgement(records, blockRule(1), 41, NOW).records;
    records = recordAcknowledgement(records, blockRule(2), 42, NOW).records;
    records = recordAcknowledgement(records, { ...blockRule(1), id: 'GONE' }, 41, NOW).records;
    const policy = policyWith([
      {
        id: 'HK-ANTHROPIC-2026-11',
        tools: ['claude'],
        action: 'block',
        requireAcknowledgement: true,
        notice: { title: 'x', version: 2 },
      },
    ]);
    expect(Object.keys(pruneAcknowledgements(records, policy))).toEqual(['HK-ANTHROPIC-2026-11@v2#42']);
  });
});
