/**
 * Tools that overlap (one host listed by several tools, overlapping `paths`, catalogue tools the
 * policy redefines) and the spellings a server reads as a tool's path: the network rules, the
 * notice snapshot, the matrix and the explanation must all say what decide() says — and decide()
 * must let the first rule naming *any* of the URL's tools decide. Property tests on generated
 * policies; each checks every URL of a generated list.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  actionsByTool,
  compilePolicy,
  decide,
  findTools,
  resolveRuleTools,
  ruleActiveAt,
  ruleTargets,
  subjectFor,
  type CompiledPolicy,
  type Employee,
} from './decide.ts';
import { compileDnrRules, ENCODED_PATH_FILTER } from '../dnr/dnr.ts';
import { simulateDnr } from '../dnr/dnr-simulate.ts';
import { explainDecision } from './explain.ts';
import { hostOfUrl } from '../catalogue/hosts.ts';
import { policyMatrix } from './matrix.ts';
import type { Status } from '../status/status.ts';
import { explainFromSnapshot, shardOf } from './notice-snapshot.ts';
import { buildNoticeSnapshot } from './notice-snapshot-build.ts';
import { parsePolicy, type Action, type PolicyInput } from '../policy/policy-schema.ts';

const NOW = Date.parse('2026-11-24T00:00:00Z');
const OPTS = {
  blockPageUrl: 'chrome-extension://id/block.html',
  warnPageUrl: 'chrome-extension://id/warn.html',
  embeddedPageUrl: 'chrome-extension://id/embedded-block.html',
  browser: 'chrome' as const,
};
const STATUS = { mode: 'enforcing', policy: { payloadHash: 'hash' } } as unknown as Status;
const STRICTNESS: Record<Action, number> = { allow: 0, monitor: 1, warn: 2, block: 3 };

// Catalogue ids among them: a policy tool with one adds to (or, with replaceCatalogue, replaces) its domains.
const TOOL_IDS = ['claude', 'chatgpt', 'huggingchat', 't1', 't2', 't3'];
const DOMAINS = ['claude.ai', 'claude.com', 'chatgpt.com', 'hub.example', 'sub.hub.example', 'huggingface.co'];
const PATHS = ['/chat', '/chat/x', '/api', '/Chat/Y'];
const PATH_FORMS = [
  '/',
  '/chat',
  '/chat/x/y',
  '/Chat',
  '/%63hat',
  '//chat',
  '/./chat',
  '/chat;x',
  '/chat%2Fx',
  '/%2Fchat',
  '/chat.',
  '/chat%20',
  '/chat%09',
  '/chat%3Bx',
  '/chat%23x',
  '/chat/x;y',
  '/api/v1',
  '/apix',
  '/other',
  '/other;x',
  '/chatter',
  '/chat/y',
];

const toolArb = fc.record(
  {
    name: fc.constant('Tool'),
    domains: fc.subarray(DOMAINS, { minLength: 1, maxLength: 3 }),
    paths: fc.subarray(PATHS, { minLength: 1, maxLength: 2 }),
    replaceCatalogue: fc.boolean(),
  },
  { requiredKeys: ['name', 'domains'] },
);
const ruleArb = fc.record(
  {
    tools: fc.subarray(TOOL_IDS, { minLength: 1, maxLength: 3 }),
    action: fc.constantFrom<Action>('block', 'warn', 'monitor', 'allow'),
    offices: fc.subarray(['HK', 'NY'], { minLength: 1 }),
    notice: fc.constant({ title: 'Notice' }),
  },
  { requiredKeys: ['tools', 'action', 'notice'] },
);
const policyArb = fc
  .record({
    tools: fc.dictionary(fc.constantFrom(...TOOL_IDS), toolArb, { minKeys: 1, maxKeys: 5 }),
    rules: fc.array(ruleArb, { maxLength: 6 }),
    defaultAction: fc.constantFrom<Action>('allow', 'monitor', 'warn', 'block'),
  })
  .map(
    (p) =>
      ({
        type: 'ai-geofence-policy',
        version: 1,
        serial: 3,
        issued: '2026-11-01T00:00:00Z',
        expires: '2027-12-01T00:00:00Z',
        offices: { HK: { name: 'Hong Kong', jurisdiction: 'HK' }, NY: { name: 'New York', jurisdiction: 'US' } },
        tools: p.tools,
        rules: p.rules.map((r, i) => ({ id: `R${i}`, ...r })),
        defaultAction: p.defaultAction,
      }) as PolicyInput,
  );

function compiledOf(input: PolicyInput): CompiledPolicy {
  const parsed = parsePolicy(input);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return compilePolicy(parsed.policy);
}

const urlsArb = fc.array(
  fc
    .tuple(fc.constantFrom('', 'www.'), fc.constantFrom(...DOMAINS, 'unlisted.example'), fc.constantFrom(...PATH_FORMS))
    .map(([sub, d, p]) => `https://${sub}${d}${p}`),
  { minLength: 8, maxLength: 24 },
);

/** The contract, written out: the first rule (array order) naming any of the URL's tools that targets the employee now. */
function firstRuleOverTools(c: CompiledPolicy, employee: Employee, tools: readonly string[]): number {
  const s = subjectFor(c.policy, employee);
  const covered = resolveRuleTools(c.policy.rules, c.tools);
  return c.policy.rules.findIndex(
    (r, i) => !r.models && covered[i]!.some((t) => tools.includes(t)) && ruleActiveAt(r, NOW) && ruleTargets(r, s),
  );
}

function checkAll(c: CompiledPolicy, office: string, urls: readonly string[]): void {
  const employee = { office };
  const rules = compileDnrRules(c, employee, NOW, OPTS);
  const snap = buildNoticeSnapshot(c, c, employee, NOW, STATUS, 3);
  const matrix = policyMatrix(c, NOW, { groups: [] });
  const row = matrix.rows.find((r) => r.office === office && r.group === null)!;
  const actions = actionsByTool(c, employee, NOW);
  for (const url of urls) {
    const d = decide(c, employee, url, NOW);
    const tools = findTools(c, url);
    const href = new URL(url).href;

    // decide(): the first rule naming any of the URL's tools decides, and names one of them.
    const first = firstRuleOverTools(c, employee, tools);
    if (tools.length === 0) expect(d.basis, url).toBe('not-a-tool');
    else if (first < 0) expect([d.basis, d.toolId], url).toEqual(['default', tools[0]]);
    else {
      expect(d.rule, url).toBe(c.policy.rules[first]);
      expect(
        tools.filter((t) => c.policy.rules[first]!.tools!.includes(t)),
        url,
      ).toContain(d.toolId);
    }

    // The network: what decide() says, or — for the spellings it cannot spell out — stricter.
    const expected =
      d.action === 'block'
        ? `${OPTS.blockPageUrl}#${href}`
        : d.action === 'warn'
          ? `${OPTS.warnPageUrl}#${href}`
          : null;
    const got = simulateDnr(rules, url, 'main_frame');
    if (got !== expected) {
      const strictness = (x: string | null) => (x === null ? 0 : x.startsWith(OPTS.warnPageUrl) ? 1 : 2);
      expect(new RegExp(ENCODED_PATH_FILTER, 'i').test(href), `${url}: network ${got}, decide ${d.action}`).toBe(true);
      expect(strictness(got), `${url}: network ${got}, decide ${d.action}`).toBeGreaterThan(strictness(expected));
    }
    if (d.action === 'block') expect(simulateDnr(rules, url, 'xmlhttprequest'), url).toBe('block');

    // The notice snapshot answers as the worker would, or defers to it.
    const host = hostOfUrl(url);
    const fromSnapshot =
      host && snap ? explainFromSnapshot(snap.meta, snap.shards[shardOf(host, snap.meta.shards)], url) : null;
    if (fromSnapshot)
      expect(fromSnapshot, url).toEqual(explainDecision(url, d, { compiled: c, employee, acknowledgedUntil: null }));

    // The matrix and the popup's per-tool view never show one of the URL's tools as less restricted than the URL is.
    for (const t of tools) {
      expect(STRICTNESS[actions.get(t)!.action], `${url} ${t}`).toBeGreaterThanOrEqual(STRICTNESS[d.action]);
      const cell = row.cells[t];
      if (cell) expect(cell.action, `${url} ${t}`).toBe(actions.get(t)!.action);
    }
  }
}

describe('overlapping tools and path spellings: every view agrees with decide() (property)', () => {
  it('on generated policies, offices and URLs', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(policyArb, fc.constantFrom('HK', 'NY'), urlsArb, (input, office, urls) =>
        checkAll(compiledOf(input), office, urls),
      ),
      { numRuns: 200 },
    );
  });

  it('the case from the field: two tools on one host and path, a block on the other one', () => {
    const c = compiledOf({
      type: 'ai-geofence-policy',
      version: 1,
      serial: 3,
      issued: '2026-11-01T00:00:00Z',
      expires: '2027-12-01T00:00:00Z',
      offices: { HK: { name: 'Hong Kong', jurisdiction: 'HK' }, NY: { name: 'New York', jurisdiction: 'US' } },
      tools: {
        m365chat: { name: 'M365 Chat', domains: ['microsoft365.com'], paths: ['/chat'] },
        copilot: { name: 'Copilot', domains: ['microsoft365.com'], paths: ['/chat'] },
      },
      rules: [{ id: 'HK-COPILOT', tools: ['copilot'], offices: ['HK'], action: 'block' }],
    });
    expect(decide(c, { office: 'HK' }, 'https://microsoft365.com/chat', NOW)).toMatchObject({
      action: 'block',
      toolId: 'copilot',
      rule: { id: 'HK-COPILOT' },
    });
    const row = policyMatrix(c, NOW).rows.find((r) => r.office === 'HK')!;
    expect(row.cells.m365chat).toMatchObject({ action: 'block', rule: 'HK-COPILOT' });
    checkAll(
      c,
      'HK',
      PATH_FORMS.map((p) => `https://microsoft365.com${p}`),
    );
  });
});
