/** What employees and the audit trail see of a location: explanations, the notice snapshot, events. */
import { describe, expect, it } from 'vitest';
import { AuditEventSchema, makeAuditEvent } from '../audit/audit.ts';
import { compilePolicy, decide, type Employee } from '../decide/decide.ts';
import { decidingLocation, explainDecision } from '../decide/explain.ts';
import { hostOfUrl } from '../catalogue/hosts.ts';
import type { Status } from '../status/status.ts';
import { explainFromSnapshot, shardOf } from '../decide/notice-snapshot.ts';
import { buildNoticeSnapshot } from '../decide/notice-snapshot-build.ts';
import { parsePolicy, type Policy } from '../policy/policy-schema.ts';
import * as v from 'valibot';

const NOW = Date.parse('2026-11-25T00:00:00Z');

function policy(unknownLocation: 'office' | 'closed' = 'office'): Policy {
  const p = parsePolicy({
    type: 'ai-geofence-policy',
    version: 1,
    serial: 5,
    issued: '2026-11-20T00:00:00Z',
    expires: '2026-12-20T00:00:00Z',
    unknownLocation,
    offices: { HK: { name: 'Hong Kong', jurisdiction: 'HK' }, NY: { name: 'New York', jurisdiction: 'US' } },
    rules: [
      { id: 'USED-FROM-HK', tools: ['claude'], locations: ['HK'], action: 'block', notice: { title: 'Not from here' } },
      { id: 'NY-CHATGPT', tools: ['chatgpt'], offices: ['NY'], action: 'warn', notice: { title: 'Check first' } },
    ],
  });
  if (!p.ok) throw new Error(JSON.stringify(p.issues));
  return p.policy;
}

const explain = (p: Policy, employee: Employee, url: string) => {
  const compiled = compilePolicy(p);
  return explainDecision(url, decide(compiled, employee, url, NOW), { compiled, employee, acknowledgedUntil: null });
};

describe('the location behind a decision', () => {
  it('is named when a rule about places decided, and only then', () => {
    expect(
      explain(policy(), { office: 'NY', location: { country: 'HK', zone: 'HK-OFFICE' } }, 'https://claude.ai/')
        .location,
    ).toEqual({ basis: 'verified', country: 'HK', zone: 'HK-OFFICE' });
    expect(explain(policy(), { office: 'HK', location: null }, 'https://claude.ai/').location).toEqual({
      basis: 'office',
      country: 'HK',
      zone: null,
    });
    expect(explain(policy('closed'), { office: 'NY' }, 'https://claude.ai/').location).toEqual({
      basis: 'closed',
      country: null,
      zone: null,
    });
    expect('location' in explain(policy(), { office: 'NY', location: { country: 'US' } }, 'https://chatgpt.com/')).toBe(
      false,
    );
    const compiled = compilePolicy(policy());
    expect(
      decidingLocation(decide(compiled, { office: 'NY', location: { country: 'US' } }, 'https://claude.ai/', NOW), {
        compiled,
        employee: null,
        acknowledgedUntil: null,
      }),
    ).toBeNull();
  });

  it('travels in the notice snapshot, built for the location the rules were applied with', () => {
    const compiled = compilePolicy(policy());
    const employee = { office: 'NY', location: { country: 'HK' } };
    const built = buildNoticeSnapshot(compiled, compiled, employee, NOW, {
      mode: 'enforcing',
      policy: { payloadHash: 'h' },
    } as unknown as Status)!;
    const host = hostOfUrl('https://claude.ai/')!;
    const ex = explainFromSnapshot(built.meta, built.shards[shardOf(host, built.meta.shards)], 'https://claude.ai/');
    expect(ex).toMatchObject({
      action: 'block',
      ruleId: 'USED-FROM-HK',
      location: { basis: 'verified', country: 'HK', zone: null },
    });
    const home = buildNoticeSnapshot(compiled, compiled, { office: 'NY', location: { country: 'US' } }, NOW, {
      mode: 'enforcing',
      policy: { payloadHash: 'h' },
    } as unknown as Status)!;
    expect(
      explainFromSnapshot(home.meta, home.shards[shardOf(host, home.meta.shards)], 'https://claude.ai/'),
    ).toBeNull();
  });
});

describe('audit events', () => {
  const meta = { id: '00000000-0000-4000-8000-000000000001', now: NOW, extensionVersion: '0.1.0' };
  const context = { office: 'NY', groups: [], policySerial: 5, urlDetail: 'path' as const };
  it('carry the verified country and zone, and nothing when no location is verified', () => {
    const located = makeAuditEvent(
      { type: 'block' },
      { ...context, location: { country: 'HK', zone: 'HK-OFFICE' } },
      meta,
    );
    expect(located.location).toEqual({ country: 'HK', zone: 'HK-OFFICE' });
    expect(v.parse(AuditEventSchema, located).location).toEqual({ country: 'HK', zone: 'HK-OFFICE' });
    expect(makeAuditEvent({ type: 'block' }, { ...context, location: { country: 'US' } }, meta).location).toEqual({
      country: 'US',
    });
    expect('location' in makeAuditEvent({ type: 'block' }, { ...context, location: null }, meta)).toBe(false);
  });
});
