import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../catalogue/catalogue.ts';
import type { ManagedConfig } from '../config/managed-config.ts';
import { compilePolicy, type CompiledPolicy } from '../decide/decide.ts';
import type { DiscoveredRegister } from '../discovery/discovery.ts';
import type { ExceptionsDoc } from '../exceptions/exceptions.ts';
import { parsePolicy } from '../policy/policy-schema.ts';
import { decideUnder, enforcementState, planEnforcement, type PlanInput } from './plan.ts';

const NOW = Date.parse('2026-11-25T00:00:00Z');
const HOUR = 3_600_000;
const TARGET = {
  pages: { block: 'ext:block.html', warn: 'ext:warn.html', embedded: 'ext:embedded-block.html' },
  browser: 'chrome',
} as const;

function compiled(rules: unknown[], extra: Record<string, unknown> = {}): CompiledPolicy {
  const p = parsePolicy({
    type: 'ai-geofence-policy',
    version: 1,
    serial: 42,
    issued: '2026-11-20T00:00:00Z',
    expires: '2026-12-20T00:00:00Z',
    offices: {
      HK: { name: 'Hong Kong', jurisdiction: 'HK', failMode: 'closed' },
      LDN: { name: 'London', jurisdiction: 'GB' },
    },
    tools: { claude: { name: 'Claude', domains: ['claude.ai'] } },
    rules,
    defaultAction: 'allow',
    ...extra,
  });
  if (!p.ok) throw new Error(JSON.stringify(p.issues));
  return compilePolicy(p.policy);
}

const config = (over: Partial<ManagedConfig> = {}) =>
  ({ office: 'HK', groups: [], failMode: 'closed', discovery: true, ...over }) as unknown as ManagedConfig;

function input(over: Partial<PlanInput> = {}): PlanInput {
  return {
    config: config(),
    lastEmployee: null,
    policy: compiled([{ id: 'HK-CLAUDE', tools: ['claude'], offices: ['HK'], action: 'block' }]),
    payloadHash: 'h',
    confirmedAt: new Date(NOW - HOUR).toISOString(),
    exceptions: null,
    location: null,
    discovered: {},
    acknowledged: {},
    now: NOW,
    ...over,
  };
}

const redirects = (plan: ReturnType<typeof planEnforcement>, page: string) =>
  (plan.rules ?? []).some((r) => r.action.redirect?.regexSubstitution?.startsWith(`${page}#`));

describe('planEnforcement: mode and network rules', () => {
  it('enforces a valid policy: its rules, its serial, its blocked tools', () => {
    const plan = planEnforcement(input(), TARGET);
    expect(plan.mode).toBe('enforcing');
    expect(plan.serial).toBe(42);
    expect(redirects(plan, 'ext:block.html')).toBe(true);
    expect(plan.blockedTools.map((t) => t.id)).toEqual(['claude']);
    expect(plan.blockedTools[0]!.domains).toContain('claude.ai');
  });

  it('without configuration keeps what is installed, or enforces the stored policy for the last employee', () => {
    const waiting = planEnforcement(input({ config: null, policy: null }), TARGET);
    expect(waiting).toMatchObject({ mode: 'waiting-config', rules: null, serial: null, blockedTools: [] });
    // Configuration not delivered yet (or removed): the last good enforcement stays, for the last employee.
    const remembered = planEnforcement(input({ config: null, lastEmployee: { office: 'HK', groups: [] } }), TARGET);
    expect(remembered.mode).toBe('enforcing');
    expect(redirects(remembered, 'ext:block.html')).toBe(true);
    expect(remembered.serial).toBe(42);
  });

  it.each([
    ['closed', 'fail-closed'],
    ['open', 'fail-open'],
  ] as const)('without a valid policy applies failMode %s', (failMode, mode) => {
    const plan = planEnforcement(input({ config: config({ failMode }), policy: null }), TARGET);
    expect(plan.mode).toBe(mode);
    expect(plan.serial).toBeNull();
    if (failMode === 'closed') {
      expect(redirects(plan, 'ext:block.html')).toBe(true);
      expect(plan.blockedTools.map((t) => t.id).sort()).toEqual(Object.keys(CATALOGUE).sort());
    } else {
      expect(plan.rules).toEqual([]);
      expect(plan.blockedTools).toEqual([]);
    }
  });

  it('treats an office the policy does not define as no valid policy, and names it', () => {
    const plan = planEnforcement(input({ config: config({ office: 'HONGKONG' }) }), TARGET);
    expect(plan.mode).toBe('fail-closed');
    expect(plan.valid).toBe(false);
    expect(plan.officeProblem).toMatchObject({ office: 'HONGKONG', suggestion: 'HK' });
    expect(plan.serial).toBeNull();
  });

  it('treats an expired policy as none', () => {
    const plan = planEnforcement(input({ now: Date.parse('2026-12-21T00:00:00Z') }), TARGET);
    expect(plan.mode).toBe('fail-closed');
    expect(plan.serial).toBeNull();
  });
});

describe('planEnforcement: time', () => {
  const warn = compiled([{ id: 'WARN', tools: ['claude'], action: 'warn' }]);

  it('drops expired acknowledgements, so the warning is back, and lets running ones through', () => {
    const expired = planEnforcement(input({ policy: warn, acknowledged: { claude: NOW - 1 } }), TARGET);
    expect(expired.acknowledged).toEqual({});
    expect(redirects(expired, 'ext:warn.html')).toBe(true);
    const running = planEnforcement(input({ policy: warn, acknowledged: { claude: NOW + 60_000 } }), TARGET);
    expect(running.acknowledged).toEqual({ claude: NOW + 60_000 });
    expect(redirects(running, 'ext:warn.html')).toBe(false);
    expect(running.nextChangeAt).toBe(NOW + 60_000);
  });

  it('schedules the next change at a rule window, else at expiry', () => {
    const from = '2026-11-26T09:00:00Z';
    expect(
      planEnforcement(input({ policy: compiled([{ id: 'LATER', tools: ['claude'], action: 'block', from }]) }), TARGET)
        .nextChangeAt,
    ).toBe(Date.parse(from));
    expect(planEnforcement(input({ policy: warn }), TARGET).nextChangeAt).toBe(Date.parse('2026-12-20T00:00:00Z'));
    expect(planEnforcement(input({ policy: null }), TARGET).nextChangeAt).toBeNull();
  });

  it('turns warn into block while a stale-closed office is stale, and says so', () => {
    const stale = compiled([{ id: 'WARN', tools: ['claude'], action: 'warn' }], { maxStalenessHours: 24 });
    const fresh = planEnforcement(input({ policy: stale }), TARGET);
    expect(fresh.staleClosed).toBe(false);
    expect(fresh.nextChangeAt).toBe(NOW - HOUR + 24 * HOUR);
    const plan = planEnforcement(
      input({ policy: stale, confirmedAt: new Date(NOW - 48 * HOUR).toISOString() }),
      TARGET,
    );
    expect(plan.staleClosed).toBe(true);
    expect(redirects(plan, 'ext:block.html')).toBe(true);
    expect(redirects(plan, 'ext:warn.html')).toBe(false);
    // London has no failMode of its own: stale there keeps the policy as it is.
    const london = planEnforcement(
      input({ policy: stale, config: config({ office: 'LDN' }), confirmedAt: new Date(NOW - 48 * HOUR).toISOString() }),
      TARGET,
    );
    expect(london.staleClosed).toBe(false);
    expect(redirects(london, 'ext:warn.html')).toBe(true);
  });
});

describe('planEnforcement: exceptions, discovery, content scripts', () => {
  it('lifts a block for the named employee while their signed exception runs', () => {
    const exceptions = {
      type: 'ai-geofence-exceptions',
      version: 1,
      serial: 1,
      issued: '2026-11-20T00:00:00Z',
      expires: '2026-12-20T00:00:00Z',
      exceptions: [
        {
          id: 'EX-1',
          user: 'alice',
          tool: 'claude',
          offices: ['HK'],
          until: '2026-11-26T00:00:00Z',
          ticket: 'T-1',
          approver: 'bob',
        },
      ],
    } satisfies ExceptionsDoc;
    const alice = input({ exceptions, config: config({ userId: 'alice' }) });
    const state = enforcementState(alice);
    expect(decideUnder(state, 'https://claude.ai/', NOW).action).toBe('allow');
    expect(planEnforcement(alice, TARGET).nextChangeAt).toBe(Date.parse('2026-11-26T00:00:00Z'));
    expect(
      decideUnder(
        enforcementState(input({ exceptions, config: config({ userId: 'carol' }) })),
        'https://claude.ai/',
        NOW,
      ).action,
    ).toBe('block');
  });

  it('blocks discovered hosts under unlistedAiAction "block", unless IT turned discovery off', () => {
    const policy = compiled([], { unlistedAiAction: 'block' });
    const discovered: DiscoveredRegister = {
      'novaai.example': {
        origin: 'https://chat.novaai.example',
        firstSeen: NOW,
        lastSeen: NOW,
        lastReported: NOW,
        signals: ['name'],
      },
    };
    const on = enforcementState(input({ policy, discovered }));
    expect(decideUnder(on, 'https://chat.novaai.example/', NOW)).toMatchObject({
      action: 'block',
      toolId: 'unlisted:novaai.example',
    });
    const off = enforcementState(input({ policy, discovered, config: config({ discovery: false }) }));
    expect(decideUnder(off, 'https://chat.novaai.example/', NOW).action).toBe('allow');
  });

  it('places the banner on warned and monitored tools only, and no script without a valid policy', () => {
    const plan = planEnforcement(
      input({ policy: compiled([{ id: 'WARN', tools: ['claude'], action: 'warn' }]) }),
      TARGET,
    );
    expect(plan.scripts.banner.matches).toContain('*://claude.ai/*');
    expect(plan.scripts.banner.onDemand).toBe(false);
    const none = planEnforcement(input({ policy: null }), TARGET);
    expect([none.scripts.banner.matches, none.scripts.guard.matches, none.scripts.models.matches]).toEqual([
      [],
      [],
      [],
    ]);
    expect(none.snapshotKey).toBe('');
  });

  it('is a function of its input: the same input, the same plan', () => {
    const a = input();
    expect(JSON.stringify(planEnforcement(a, TARGET))).toBe(JSON.stringify(planEnforcement({ ...a }, TARGET)));
  });
});
