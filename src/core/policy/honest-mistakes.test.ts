/**
 * "A silent downgrade is the worst bug": plausible honest mistakes in a policy or a managed
 * configuration, generated, each of which must be refused (the schema names it), reported (lint or
 * the office check names it) or enforced no weaker than what was meant — never quietly weaker.
 * The classes and their answers are listed in docs/security.md ("Honest mistakes").
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../catalogue/catalogue.ts';
import { compilePolicy, decide } from '../decide/decide.ts';
import { lintPolicy } from '../lint/lint.ts';
import { checkOffice } from '../config/office-check.ts';
import { parsePolicy, type Action } from './policy-schema.ts';

const NOW = Date.parse('2026-12-01T00:00:00Z');
const STRICTNESS: Record<Action, number> = { allow: 0, monitor: 1, warn: 2, block: 3 };
type Doc = Record<string, any>;

/** What the compliance officer meant: the brief's scenario plus a path-scoped tool. */
function intended(): Doc {
  return {
    type: 'ai-geofence-policy',
    version: 1,
    serial: 7,
    issued: '2026-11-20T00:00:00Z',
    expires: '2027-11-20T00:00:00Z',
    offices: {
      HK: { name: 'Hong Kong', jurisdiction: 'HK', regions: ['greater-china', 'apac'] },
      NY: { name: 'New York', jurisdiction: 'US', regions: ['americas'] },
      LDN: { name: 'London', jurisdiction: 'GB', regions: ['emea'] },
    },
    tools: {
      claude: { name: 'Claude', domains: ['claude.ai', 'claude.com', 'anthropic.com'] },
      studio: { name: 'Studio', domains: ['studio.example'], paths: ['/chat'] },
      'firm-llm': { name: 'Firm LLM', domains: ['llm.bank.example'] },
    },
    rules: [
      { id: 'HK-CLAUDE', tools: ['claude'], offices: ['HK'], action: 'block', notice: { title: 'Do not use' } },
      {
        id: 'NON-US-CLAUDE',
        tools: ['claude'],
        exceptJurisdictions: ['US'],
        action: 'warn',
        notice: { title: 'Check first' },
      },
      { id: 'APAC-STUDIO', tools: ['studio'], regions: ['apac'], action: 'block', notice: { title: 'Do not use' } },
      { id: 'NO-DEEPSEEK', tools: ['deepseek'], action: 'block', notice: { title: 'Do not use' } },
      { id: 'FIRM-OK', tools: ['firm-llm'], action: 'allow' },
    ],
    defaultAction: 'allow',
  };
}

const OFFICES = ['HK', 'NY', 'LDN'];
const URLS = [
  'https://claude.ai/new',
  'https://claude.com/',
  'https://www.anthropic.com/x',
  'https://chat.deepseek.com/',
  'https://llm.bank.example/',
  'https://studio.example/chat',
  'https://studio.example/chat/1',
  'https://studio.example/other',
];
const PATH_SPELLINGS = [
  '/chat;x',
  '/chat%2Fx',
  '/%2Fchat',
  '/chat.',
  '/chat%20',
  '/chat%09',
  '/chat%3Bx',
  '/chat%23x',
  '/Chat',
  '/%63hat',
  '//chat',
  '/./chat',
  '/chat%2e',
  '/chat%00',
];

/** A mistake: the document (and office) as actually written, and where the culprit sits. */
interface Mistake {
  kind: string;
  doc: Doc;
  office?: string;
  /** JSON path a refusal or report must name; `office` for the managed office. */
  culprit: string;
}

const typo = fc.constantFrom<(s: string) => string>(
  (s) => s.replace(/s$/, ''), // exceptOffices → exceptOffice
  (s) => `${s}s`,
  (s) => s.toLowerCase(),
  (s) => s[0]!.toUpperCase() + s.slice(1),
  (s) => s.slice(0, 2) + s[3] + s[2] + s.slice(4), // transposed letters
);

const mistakeArb: fc.Arbitrary<Mistake> = fc.oneof(
  // A misspelt rule condition: dropped, it would make the rule apply to everyone.
  fc.tuple(fc.constantFrom(0, 1, 2), typo).map(([i, t]) => {
    const doc = intended();
    const rule = doc.rules[i];
    const field = Object.keys(rule).find((k) => ['offices', 'exceptJurisdictions', 'regions'].includes(k))!;
    const wrong = t(field);
    if (wrong === field) return { kind: 'noop', doc, culprit: '' };
    rule[wrong] = rule[field];
    delete rule[field];
    return { kind: 'misspelt condition', doc, culprit: `$.rules[${i}].${wrong}` };
  }),
  // A condition from a newer policy format.
  fc
    .tuple(fc.constantFrom(0, 1, 2, 3), fc.constantFrom('devices', 'networks', 'riskLevel', 'browsers', 'deviceTrust'))
    .map(([i, field]) => {
      const doc = intended();
      doc.rules[i][field] = ['x'];
      return { kind: 'newer-format condition', doc, culprit: `$.rules[${i}].${field}` };
    }),
  // A misspelt tool, office, notice or top-level field.
  fc
    .constantFrom(
      ['tools', 'studio', 'paths', 'path'],
      ['tools', 'claude', 'domains', 'domain'],
      ['offices', 'HK', 'regions', 'region'],
      ['offices', 'HK', 'jurisdiction', 'jurisdictions'],
      ['', '', 'defaultAction', 'defaultActon'],
    )
    .map(([group, id, field, wrong]) => {
      const doc = intended();
      const target = group ? doc[group][id] : doc;
      target[wrong] = target[field] ?? 'allow';
      if (group) delete target[field];
      return { kind: 'misspelt field', doc, culprit: group ? `$.${group}.${id}.${wrong}` : `$.${wrong}` };
    }),
  // The managed office in another spelling than the policy's key.
  fc
    .tuple(
      fc.constantFrom('HK', 'NY', 'LDN'),
      fc.constantFrom<(o: string, name: string) => string>(
        (o) => o.toLowerCase(),
        (o) => ` ${o}`,
        (o) => `${o} `,
        (_o, n) => n,
        (_o, n) => n.toUpperCase().replace(/ /g, ''),
        (o) => `${o}G`,
      ),
    )
    .map(([o, f]) => ({
      kind: 'office spelling',
      doc: intended(),
      office: f(o, intended().offices[o].name),
      culprit: 'office',
    })),
  // A rule naming a tool or office that does not exist (a typo in a value).
  fc.constantFrom(['tools', 'claud'], ['offices', 'hk'], ['offices', 'HKG']).map(([field, value]) => {
    const doc = intended();
    doc.rules[0][field] = [value];
    return { kind: 'unknown id in a rule', doc, culprit: `$.rules[0].${field}[0]` };
  }),
  // An empty list: matches no employee, so the block applies to nobody.
  fc.constantFrom('offices', 'regions').map((field) => {
    const doc = intended();
    const i = field === 'offices' ? 0 : 2;
    doc.rules[i][field] = [];
    return { kind: 'empty condition list', doc, culprit: `$.rules[${i}].${field}` };
  }),
  // Instants and domains written the way people write them.
  fc
    .constantFrom(['from', '2026-11-23T09:00:00'], ['until', '2027-01-01'], ['from', '23/11/2026 09:00'])
    .map(([field, value]) => {
      const doc = intended();
      doc.rules[0][field] = value;
      return { kind: 'instant without a zone', doc, culprit: `$.rules[0].${field}` };
    }),
  fc.constantFrom('https://claude.ai', '*.claude.ai', 'claude.ai/chat', 'claude.ai:443').map((d) => {
    const doc = intended();
    doc.tools.claude.domains[0] = d;
    return { kind: 'domain as a URL', doc, culprit: '$.tools.claude.domains[0]' };
  }),
  fc.constant(null).map(() => {
    const doc = intended();
    doc.tools.studio.paths = ['chat'];
    return { kind: 'path without a slash', doc, culprit: '$.tools.studio.paths[0]' };
  }),
  fc.constant(null).map(() => {
    const doc = intended();
    doc.rules[1].id = doc.rules[0].id;
    return { kind: 'duplicate rule id', doc, culprit: '$.rules[1].id' };
  }),
  // A catalogue tool redefined with fewer domains (no replaceCatalogue): must not narrow it.
  fc.subarray(CATALOGUE.claude!.domains, { minLength: 1 }).map((domains) => {
    const doc = intended();
    doc.tools.claude.domains = domains;
    return { kind: 'catalogue narrowed by accident', doc, culprit: '' };
  }),
  // A catalogue tool given paths of its own: they scope the policy's domains, never the catalogue's.
  fc.constantFrom(['/new'], ['/api', '/chat']).map((paths) => {
    const doc = intended();
    doc.tools.claude.paths = paths;
    return { kind: 'catalogue tool given paths', doc, culprit: '' };
  }),
  // A new tool on a host and path another tool already claims, with its own allow rule after the others.
  fc
    .tuple(
      fc.constantFrom(
        ['studio.example', ['/chat']],
        ['studio.example', undefined],
        ['claude.ai', undefined],
        ['claude.ai', ['/new']],
      ),
    )
    .map(([[domain, paths]]) => {
      const doc = intended();
      doc.tools.extra = { name: 'Extra', domains: [domain], ...(paths ? { paths } : {}) };
      doc.tools = { extra: doc.tools.extra, ...doc.tools }; // listed first: it used to win the host
      doc.rules.push({ id: 'EXTRA-OK', tools: ['extra'], action: 'allow' });
      return { kind: 'overlapping tool', doc, culprit: '' };
    }),
);

function compileIntended() {
  const p = parsePolicy(intended());
  if (!p.ok) throw new Error(`the intended policy is invalid: ${JSON.stringify(p.issues)}`);
  return compilePolicy(p.policy);
}

/** How the product answered a mistake. Throws (the test fails) when it silently weakened enforcement. */
function answer(m: Mistake): 'refused' | 'reported' | 'not weaker' {
  const parsed = parsePolicy(m.doc);
  if (!parsed.ok) {
    expect(
      parsed.issues.map((i) => i.path),
      m.kind,
    ).toContain(m.culprit);
    return 'refused';
  }
  if (m.office !== undefined) {
    const problem = checkOffice(parsed.policy, m.office);
    if (problem) {
      expect(problem.message, m.kind).toContain(JSON.stringify(m.office));
      return 'reported';
    }
  }
  if (m.culprit && m.culprit !== 'office' && lintPolicy(m.doc, NOW).some((i) => i.path === m.culprit))
    return 'reported';
  // Accepted and not reported: every decision must be at least as strict as the intended one.
  const meant = compileIntended();
  const written = compilePolicy(parsed.policy);
  for (const office of OFFICES) {
    for (const url of URLS) {
      const want = decide(meant, { office }, url, NOW).action;
      const got = decide(written, { office: m.office ?? office }, url, NOW).action;
      expect(STRICTNESS[got], `${m.kind}: ${office} ${url} meant ${want}, got ${got}`).toBeGreaterThanOrEqual(
        STRICTNESS[want],
      );
    }
  }
  return 'not weaker';
}

describe('honest mistakes are refused, reported, or enforced no weaker (property)', () => {
  it('on generated mistakes in the policy and the managed office', { timeout: 60_000 }, () => {
    const seen = new Map<string, Set<string>>();
    fc.assert(
      fc.property(mistakeArb, (m) => {
        if (m.kind === 'noop') return;
        const how = answer(m);
        seen.set(m.kind, (seen.get(m.kind) ?? new Set()).add(how));
      }),
      { numRuns: 400 },
    );
    // Every class was met, and answered as docs/security.md says.
    expect(Object.fromEntries([...seen].map(([k, v]) => [k, [...v].sort()]))).toEqual({
      'misspelt condition': ['refused'],
      'newer-format condition': ['refused'],
      'misspelt field': ['refused'],
      'office spelling': ['reported'],
      'unknown id in a rule': ['reported'],
      'empty condition list': ['reported'],
      'instant without a zone': ['refused'],
      'domain as a URL': ['refused'],
      'path without a slash': ['refused'],
      'duplicate rule id': ['reported'],
      'catalogue narrowed by accident': ['not weaker'],
      'catalogue tool given paths': ['not weaker'],
      'overlapping tool': ['not weaker'],
    });
  });

  it('a URL spelt as a server may read it is decided as the path it means', () => {
    const c = compileIntended();
    for (const office of OFFICES) {
      const canonical = decide(c, { office }, 'https://studio.example/chat', NOW);
      for (const p of PATH_SPELLINGS) {
        const d = decide(c, { office }, `https://studio.example${p}`, NOW);
        expect([d.action, d.rule?.id], `${office} ${p}`).toEqual([canonical.action, canonical.rule?.id]);
      }
    }
  });
});
