import { describe, expect, it } from 'vitest';
import { actionsByTool, compilePolicy, decide } from '../decide/decide.ts';
import { parsePolicy, type Policy } from './policy-schema.ts';
import { applyStaleness, isStaleClosed, stalenessState } from './staleness.ts';

const VERIFIED = Date.parse('2026-11-25T00:00:00Z');
const HOUR = 3_600_000;

const POLICY: Policy = (() => {
  const r = parsePolicy({
    type: 'ai-geofence-policy',
    version: 1,
    serial: 42,
    issued: '2026-11-20T00:00:00Z',
    expires: '2026-12-20T00:00:00Z',
    maxStalenessHours: 72,
    offices: {
      HK: { name: 'Hong Kong', jurisdiction: 'HK', failMode: 'closed' },
      LDN: { name: 'London', jurisdiction: 'GB', failMode: 'open' },
      NY: { name: 'New York', jurisdiction: 'US' },
    },
    tools: {
      claude: { name: 'Claude', domains: ['claude.ai'] },
      chatgpt: { name: 'ChatGPT', domains: ['chatgpt.com'] },
      'firm-llm': { name: 'Firm LLM', domains: ['llm.bank.example'] },
    },
    rules: [
      { id: 'HK-CLAUDE', tools: ['claude'], offices: ['HK'], action: 'block' },
      {
        id: 'CLAUDE-WARN',
        tools: ['claude'],
        exceptJurisdictions: ['US'],
        action: 'warn',
        dataControls: { upload: 'block' },
      },
      { id: 'CHATGPT-MONITOR', tools: ['chatgpt'], action: 'monitor' },
      { id: 'FIRM-LLM', tools: ['firm-llm'], action: 'allow' },
    ],
    defaultAction: 'allow',
    unlistedAiAction: 'warn',
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.policy;
})();

describe('stalenessState', () => {
  it('is fresh until maxStalenessHours after the last successful fetch or verify, and says when it will go stale', () => {
    const s = stalenessState(POLICY, VERIFIED, 'HK', 'open', VERIFIED + 71 * HOUR);
    expect(s).toEqual({
      stale: false,
      since: null,
      staleAt: VERIFIED + 72 * HOUR,
      effectiveFailMode: 'closed',
      reason: 'fresh',
    });
  });
  it('goes stale at that instant, with since', () => {
    const s = stalenessState(POLICY, new Date(VERIFIED).toISOString(), 'HK', 'open', VERIFIED + 72 * HOUR);
    expect(s).toMatchObject({
      stale: true,
      since: '2026-11-28T00:00:00.000Z',
      effectiveFailMode: 'closed',
      reason: 'stale',
    });
    expect(isStaleClosed(s)).toBe(true);
  });
  it('takes the office failMode; an office without one fails open, whatever the managed failMode', () => {
    const at = VERIFIED + 100 * HOUR;
    expect(stalenessState(POLICY, VERIFIED, 'LDN', 'closed', at)).toMatchObject({
      stale: true,
      effectiveFailMode: 'open',
    });
    expect(stalenessState(POLICY, VERIFIED, 'NY', 'closed', at)).toMatchObject({
      stale: true,
      effectiveFailMode: 'open',
    });
    expect(stalenessState(POLICY, VERIFIED, 'XX', 'closed', at)).toMatchObject({
      stale: true,
      effectiveFailMode: 'open',
    });
  });
  it('never goes stale without maxStalenessHours', () => {
    const { maxStalenessHours: _m, ...rest } = POLICY;
    expect(stalenessState(rest, VERIFIED, 'HK', 'closed', VERIFIED + 500 * HOUR)).toMatchObject({
      stale: false,
      staleAt: null,
    });
  });
  it('hands over to the managed failMode once the policy has expired', () => {
    const s = stalenessState(POLICY, VERIFIED, 'LDN', 'closed', Date.parse('2026-12-20T00:00:00Z'));
    expect(s).toMatchObject({
      stale: true,
      reason: 'expired',
      since: '2026-12-20T00:00:00.000Z',
      effectiveFailMode: 'closed',
    });
    expect(isStaleClosed(s)).toBe(false); // expiry is the managed failMode's business, not staleness
  });
  it('counts from the policy issue date when the last confirmation is unknown', () => {
    expect(stalenessState(POLICY, null, 'HK', 'open', Date.parse('2026-11-23T00:00:00Z'))).toMatchObject({
      stale: true,
      since: '2026-11-23T00:00:00.000Z',
    });
    expect(stalenessState(POLICY, 'garbage', 'HK', 'open', Date.parse('2026-11-22T23:00:00Z')).stale).toBe(false);
  });
});

describe('applyStaleness', () => {
  const at = VERIFIED + 100 * HOUR;
  const enforce = (office: string) =>
    compilePolicy(applyStaleness(POLICY, stalenessState(POLICY, VERIFIED, office, 'open', at)));

  it('flips only the offices that ask for it: HK blocks its warned tools, London keeps the last policy', () => {
    const hk = actionsByTool(enforce('HK'), { office: 'HK' }, at);
    expect(hk.get('claude')?.action).toBe('block');
    const ldn = actionsByTool(enforce('LDN'), { office: 'LDN' }, at);
    expect(ldn.get('claude')).toMatchObject({ action: 'warn', rule: { id: 'CLAUDE-WARN' } });
  });

  it('blocks restricted tools (block or warn) and leaves allowed and monitored tools alone', () => {
    // An HK-like closed office where Claude is only warned (not blocked) under the fresh policy.
    const closedLdn: Policy = {
      ...POLICY,
      offices: { ...POLICY.offices, LDN: { name: 'London', jurisdiction: 'GB', failMode: 'closed' } },
    };
    const state = stalenessState(closedLdn, VERIFIED, 'LDN', 'open', at);
    const compiled = compilePolicy(applyStaleness(closedLdn, state));
    const actions = actionsByTool(compiled, { office: 'LDN' }, at);
    expect(actions.get('claude')).toMatchObject({ action: 'block', rule: { id: 'CLAUDE-WARN' } });
    expect(actions.get('chatgpt')?.action).toBe('monitor');
    expect(actions.get('firm-llm')?.action).toBe('allow');
    expect(decide(compiled, { office: 'LDN' }, 'https://claude.ai/', at).rule?.dataControls).toBeUndefined();
    expect(applyStaleness(closedLdn, state).unlistedAiAction).toBe('block');
    // New York is not targeted by the warn rule: Claude stays allowed there even when closed.
    const closedNy: Policy = {
      ...POLICY,
      offices: { ...POLICY.offices, NY: { name: 'New York', jurisdiction: 'US', failMode: 'closed' } },
    };
    const ny = compilePolicy(applyStaleness(closedNy, stalenessState(closedNy, VERIFIED, 'NY', 'open', at)));
    expect(actionsByTool(ny, { office: 'NY' }, at).get('claude')?.action).toBe('allow');
  });

  it('returns the policy unchanged while fresh or when failing open', () => {
    expect(applyStaleness(POLICY, stalenessState(POLICY, VERIFIED, 'HK', 'open', VERIFIED + HOUR))).toBe(POLICY);
    expect(applyStaleness(POLICY, stalenessState(POLICY, VERIFIED, 'LDN', 'open', at))).toBe(POLICY);
  });
});
