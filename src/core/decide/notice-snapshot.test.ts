import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePolicy, decide } from './decide.ts';
import { explainDecision } from './explain.ts';
import { explainFromSnapshot, shardOf } from './notice-snapshot.ts';
import { hostOfUrl } from '../catalogue/hosts.ts';
import { buildNoticeSnapshot } from './notice-snapshot-build.ts';
import type { Status } from '../status/status.ts';
import { parsePolicy, type PolicyInput } from '../policy/policy-schema.ts';

const NOW = Date.parse('2026-11-24T00:00:00Z');
const STATUS = { mode: 'enforcing', policy: { payloadHash: 'hash' } } as unknown as Status;

/** What a page does: read the shard of the URL's host, and look the URL up in it. */
function lookup(built: ReturnType<typeof buildNoticeSnapshot>, url: string) {
  const host = hostOfUrl(url);
  return host === null || !built
    ? null
    : explainFromSnapshot(built.meta, built.shards[shardOf(host, built.meta.shards)], url);
}
const DOMAINS = [
  'ai.example',
  'chat.ai.example',
  'eu.chat.ai.example',
  'bank.example',
  'llm.bank.example',
  'other.example',
  'claude.ai',
  'chatgpt.com',
];
const TOOL_IDS = ['t1', 't2', 't3', 't4', 'claude'];
const ACTIONS = ['block', 'warn', 'monitor', 'allow'] as const;

const toolArb = fc.record({
  name: fc.constantFrom('Tool A', 'Tool B'),
  domains: fc.subarray(DOMAINS, { minLength: 1, maxLength: 3 }),
  paths: fc.option(fc.subarray(['/chat', '/api', '/c/x'], { minLength: 1 }), { nil: undefined }),
  vendorCountry: fc.option(fc.constantFrom('CN', 'US'), { nil: undefined }),
});
/** Rules name tools by id, by attribute, or both. */
const selectorArb = fc.oneof(
  fc.record({ tools: fc.subarray(TOOL_IDS, { minLength: 1 }) }),
  fc.record({ toolsWhere: fc.constant({ vendorCountry: ['CN'] }) }),
  fc.record({ tools: fc.subarray(TOOL_IDS, { minLength: 1 }), toolsWhere: fc.constant({ vendorCountry: ['US'] }) }),
);
const ruleArb = fc
  .record({
    action: fc.constantFrom(...ACTIONS),
    offices: fc.option(fc.subarray(['HK', 'NY'], { minLength: 1 }), { nil: undefined }),
    until: fc.option(fc.constantFrom('2026-11-01T00:00:00Z', '2027-01-01T00:00:00Z'), { nil: undefined }),
    notice: fc.option(
      fc.record({
        title: fc.constantFrom('Do not use', 'Check first'),
        alternatives: fc.option(fc.subarray(TOOL_IDS), { nil: undefined }),
      }),
      { nil: undefined },
    ),
  })
  .chain((rule) => selectorArb.map((selector) => ({ ...rule, ...selector })));
const policyArb = fc.record({
  tools: fc.dictionary(fc.constantFrom(...TOOL_IDS), toolArb, { minKeys: 1, maxKeys: 5 }),
  rules: fc.array(ruleArb, { maxLength: 5 }),
  defaultAction: fc.constantFrom(...ACTIONS),
});
const urlArb = fc
  .tuple(
    fc.constantFrom('', 'www.', 'x.y.'),
    fc.constantFrom(...DOMAINS, 'unlisted.example'),
    fc.constantFrom('/', '/chat', '/chat/1', '/api/v1', '/c/x', '/C/X'),
  )
  .map(([sub, d, path]) => `https://${sub}${d}${path}`);

function compiled(input: {
  tools: Record<string, unknown>;
  rules: Array<Record<string, unknown>>;
  defaultAction: string;
}) {
  const p = parsePolicy({
    type: 'ai-geofence-policy',
    version: 1,
    serial: 9,
    issued: '2026-11-01T00:00:00Z',
    expires: '2027-12-01T00:00:00Z',
    contact: 'ai@bank.example',
    offices: { HK: { name: 'Hong Kong', jurisdiction: 'HK' }, NY: { name: 'New York', jurisdiction: 'US' } },
    tools: input.tools,
    rules: input.rules.map((r, i) => ({ id: `R${i}`, ...r })),
    defaultAction: input.defaultAction,
  } as unknown as PolicyInput);
  if (!p.ok) throw new Error(JSON.stringify(p.issues));
  return compilePolicy(p.policy);
}

describe('notice snapshot', () => {
  it('never says anything decide() would not: every answer equals the worker explanation, else null', () => {
    let answered = 0;
    fc.assert(
      fc.property(
        policyArb,
        fc.array(urlArb, { minLength: 5, maxLength: 20 }),
        fc.constantFrom('HK', 'NY'),
        fc.constantFrom(1, 3, 200),
        (input, urls, office, shardTarget) => {
          const c = compiled(input);
          const employee = { office };
          const snap = buildNoticeSnapshot(c, c, employee, NOW, STATUS, shardTarget);
          for (const url of urls) {
            const got = lookup(snap, url);
            if (got === null) continue;
            answered++;
            const d = decide(c, employee, url, NOW);
            expect(got).toEqual(explainDecision(url, d, { compiled: c, employee, acknowledgedUntil: null }));
            expect(['block', 'warn']).toContain(got.action);
          }
        },
      ),
      { numRuns: 400 },
    );
    expect(answered).toBeGreaterThan(100); // it does answer, often
  });

  it('answers a plain blocked host and its subdomains, defers nested allowed domains and path-scoped tools', () => {
    const c = compiled({
      tools: {
        t1: { name: 'Bank AI', domains: ['bank.example'] },
        t2: { name: 'Firm LLM', domains: ['llm.bank.example'] },
        t3: { name: 'Paths', domains: ['other.example'], paths: ['/chat'] },
      },
      rules: [
        { tools: ['t1', 't3'], action: 'block', notice: { title: 'Do not use', alternatives: ['t2'] } },
        { tools: ['t2'], action: 'allow' },
      ],
      defaultAction: 'allow',
    });
    const snap = buildNoticeSnapshot(c, c, { office: 'HK' }, NOW, STATUS)!;
    expect(snap.meta).toMatchObject({ v: 3, shards: 1, serial: 9, payloadHash: 'hash' });
    const index = snap.shards[0]!.index;
    expect(index).toContain('\tbank.example=0,0\t');
    expect(index).toContain('\tother.example=?\t'); // a tool with paths lists it
    expect(index).toContain('\tllm.bank.example=?\t'); // allowed, nested under a blocked domain
    expect(lookup(snap, 'https://www.bank.example/x')).toMatchObject({
      url: 'https://www.bank.example/x',
      action: 'block',
      ruleId: 'R0',
      tool: { id: 't1', name: 'Bank AI' },
      contact: 'ai@bank.example',
      alternatives: [{ id: 't2', name: 'Firm LLM', vendor: null, url: null }],
      office: { code: 'HK', name: 'Hong Kong' },
      policySerial: 9,
    });
    expect(lookup(snap, 'https://llm.bank.example/')).toBeNull();
    expect(lookup(snap, 'https://other.example/chat')).toBeNull();
    expect(lookup(snap, 'https://notbank.example/')).toBeNull();
    expect(lookup(snap, 'https://10.0.0.1/')).toBeNull();
    expect(lookup(snap, 'chrome://settings')).toBeNull();
    expect(explainFromSnapshot(null, snap.shards[0], 'https://bank.example/')).toBeNull();
    expect(explainFromSnapshot(snap.meta, { index: 42 } as never, 'https://bank.example/')).toBeNull();
    expect(explainFromSnapshot({ ...snap.meta, v: 2 } as never, snap.shards[0], 'https://bank.example/')).toBeNull();
  });

  it('spreads a large policy over shards, and every suffix of a host is in the shard of the host itself', () => {
    const many = Object.fromEntries(
      Array.from({ length: 300 }, (_, i) => [
        `m${i}`,
        { name: `M${i}`, domains: [`app.v${i}.example`, `v${i}.example`] },
      ]),
    );
    const c = compiled({ tools: many, rules: [{ tools: Object.keys(many), action: 'block' }], defaultAction: 'allow' });
    const snap = buildNoticeSnapshot(c, c, { office: 'HK' }, NOW, STATUS)!;
    expect(snap.meta.shards).toBeGreaterThan(2);
    expect(snap.meta.rules).toHaveLength(1); // one rule part, shared by 300 tools
    expect(Math.max(...snap.shards.map((s) => s.index.length))).toBeLessThan(
      snap.shards.reduce((n, s) => n + s.index.length, 0) / 2,
    );
    expect(lookup(snap, 'https://www.app.v123.example/x')).toMatchObject({ action: 'block', tool: { id: 'm123' } });
    expect(shardOf('www.app.v123.example', 7)).toBe(shardOf('v123.example', 7));
    // Past its size budget there is no snapshot at all: the pages wait for the worker.
    expect(buildNoticeSnapshot(c, c, { office: 'HK' }, NOW, STATUS, 200, 10_000)).toBeNull();
  });
});
