import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatIssues, formatJsonPath, parsePolicy } from './policy-schema.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const valid = () => ({
  type: 'ai-geofence-policy',
  version: 1,
  serial: 1,
  issued: '2026-11-20T00:00:00Z',
  expires: '2026-12-20T00:00:00Z',
  offices: { HK: { name: 'Hong Kong' } },
  tools: { 'firm-llm': { name: 'Firm LLM', domains: ['llm.bank.example'] } },
  rules: [{ id: 'R', tools: ['claude'], action: 'block', notice: { title: 'Do not use' } }],
});

describe('docs/policy.schema.json', () => {
  it('is up to date with the valibot schema (run `npm run schema`)', async () => {
    const scriptUrl = pathToFileURL(path.join(ROOT, 'scripts/gen-schema.mjs')).href;
    const { policySchemaText } = (await import(scriptUrl)) as { policySchemaText: () => Promise<string> };
    const onDisk = await readFile(path.join(ROOT, 'docs/policy.schema.json'), 'utf8');
    expect(onDisk, 'docs/policy.schema.json is stale: run `npm run schema`').toBe(await policySchemaText());
  });
});

describe('parsePolicy', () => {
  it('accepts a valid policy and fills in defaults', () => {
    const r = parsePolicy(valid());
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.policy.defaultAction).toBe('allow');
      expect(r.policy.unlistedAiAction).toBe('allow');
      expect(r.policy.rules[0]!.allowForMinutes).toBe(60);
    }
  });

  it.each<[string, (p: any) => void, string, RegExp]>([
    [
      'wrong action',
      (p) => (p.rules[0].action = 'deny'),
      '$.rules[0].action',
      /expected one of "block", "warn", "monitor", "allow"/,
    ],
    ['missing rules', (p) => delete p.rules, '$.rules', /missing required property "rules"/],
    ['missing office name', (p) => (p.offices.HK = {}), '$.offices.HK.name', /missing required property "name"/],
    [
      'tool id with a dash',
      (p) => (p.tools['firm-llm'].domains = ['https://x']),
      '$.tools["firm-llm"].domains[0]',
      /expected a domain name/,
    ],
    ['rule without tools', (p) => (p.rules[0].tools = []), '$.rules[0].tools', /at least one tool/],
    ['bad instant', (p) => (p.issued = '2026-11-20'), '$.issued', /expected an ISO 8601 instant/],
    [
      'instant Date.parse cannot read',
      (p) => (p.rules[0].from = '2026-11-20T00:00:00+08'),
      '$.rules[0].from',
      /expected an ISO 8601 instant/,
    ],
    [
      'impossible calendar day',
      (p) => (p.expires = '2026-02-30T00:00:00Z'),
      '$.expires',
      /expected an ISO 8601 instant/,
    ],
    ['fractional serial', (p) => (p.serial = 1.5), '$.serial', /expected an integer/],
    ['unsafe serial', (p) => (p.serial = 2 ** 53), '$.serial', /2\^53/],
    [
      'language map without en',
      (p) => (p.rules[0].notice.title = { fr: 'Ne pas utiliser' }),
      '$.rules[0].notice.title',
      /"en"/,
    ],
    [
      'path prefix without slash',
      (p) => (p.tools['firm-llm'].paths = ['chat']),
      '$.tools["firm-llm"].paths[0]',
      /starts with "\/"/,
    ],
    ['wrong type', (p) => (p.type = 'policy'), '$.type', /expected "ai-geofence-policy"/],
    ['not a number', (p) => (p.serial = '1'), '$.serial', /expected an integer/],
  ])('%s: names the JSON path and what was expected', (_name, mutate, expectedPath, message) => {
    const p = valid();
    mutate(p);
    const r = parsePolicy(p);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      const issue = r.issues.find((i) => i.path === expectedPath);
      expect(issue, JSON.stringify(r.issues)).toBeDefined();
      expect(issue!.message).toMatch(message);
      expect(formatIssues(r.issues)).toContain(`${expectedPath}: `);
    }
  });

  it('every issue of a thoroughly broken document has a path and says what was expected', () => {
    const r = parsePolicy({
      type: 1,
      version: '1',
      serial: -1,
      offices: [],
      tools: { x: { domains: 'a' } },
      rules: [{ tools: 'claude', action: 1, from: 5 }],
    });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.issues.length).toBeGreaterThan(5);
      for (const i of r.issues) {
        expect(i.path).toMatch(/^\$/);
        expect(i.message).toMatch(/expected|missing|must|needs|at least/i);
      }
    }
  });

  it.each<[string, (p: any) => void, string, string]>([
    [
      'a misspelt rule condition',
      (p) => (p.rules[0].exceptOffice = ['NY']),
      '$.rules[0].exceptOffice',
      'unknown field "exceptOffice"; did you mean "exceptOffices"?',
    ],
    [
      'a condition from a newer format',
      (p) => (p.rules[0].devices = ['managed']),
      '$.rules[0].devices',
      'unknown field "devices" (a field',
    ],
    ['a top-level field', (p) => (p.defaultActon = 'block'), '$.defaultActon', 'did you mean "defaultAction"?'],
    ['an office field', (p) => (p.offices.HK.region = ['apac']), '$.offices.HK.region', 'did you mean "regions"?'],
    [
      'a tool field',
      (p) => (p.tools['firm-llm'].path = ['/chat']),
      '$.tools["firm-llm"].path',
      'did you mean "paths"?',
    ],
    [
      'a notice field',
      (p) => (p.rules[0].notice.alternative = ['firm-llm']),
      '$.rules[0].notice.alternative',
      'did you mean "alternatives"?',
    ],
    [
      'a data-control field',
      (p) => (p.rules[0].dataControls = { paste: 'block', uploads: 'block' }),
      '$.rules[0].dataControls.uploads',
      'did you mean "upload"?',
    ],
    [
      'a pattern field',
      (p) => (p.rules[0].dataControls = { patterns: [{ name: 'n', regex: 'x', minimum: 2 }] }),
      '$.rules[0].dataControls.patterns[0].minimum',
      'unknown field "minimum"',
    ],
    [
      'a model field',
      (p) => (p.tools['firm-llm'].models = { m: { name: 'M', matches: {} } }),
      '$.tools["firm-llm"].models.m.matches',
      'did you mean "match"?',
    ],
    [
      'a model match field',
      (p) => (p.tools['firm-llm'].models = { m: { name: 'M', match: { pathPrefix: ['/m'] } } }),
      '$.tools["firm-llm"].models.m.match.pathPrefix',
      'did you mean "pathPrefixes"?',
    ],
    [
      'a catalogue flag in the wrong case',
      (p) => (p.tools['firm-llm'].replacecatalogue = true),
      '$.tools["firm-llm"].replacecatalogue',
      'did you mean "replaceCatalogue"?',
    ],
  ])('refuses %s, naming the field and its JSON path', (_name, mutate, expectedPath, message) => {
    const p = valid();
    mutate(p);
    const r = parsePolicy(p);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      const text = formatIssues(r.issues);
      expect(text).toContain(`${expectedPath}: unknown field`);
      expect(text).toContain(message);
    }
  });

  it('accepts replaceCatalogue on a tool', () => {
    const p: any = valid();
    p.tools.claude = { name: 'Claude', domains: ['claude.ai'], replaceCatalogue: true };
    const r = parsePolicy(p);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.policy.tools.claude!.replaceCatalogue).toBe(true);
  });

  it('refuses non-objects without throwing', () => {
    for (const x of [null, 5, 'x', [], undefined]) expect(parsePolicy(x).ok).toBe(false);
  });
});

describe('formatJsonPath', () => {
  it('uses dots for identifiers, brackets for indices and other keys', () => {
    expect(formatJsonPath(['rules', 0, 'action'])).toBe('$.rules[0].action');
    expect(formatJsonPath(['tools', 'firm-llm', 'domains', 1])).toBe('$.tools["firm-llm"].domains[1]');
    expect(formatJsonPath([])).toBe('$');
  });
});

describe('what an employee reads', () => {
  it('takes an office name as a string or a language map with "en"', () => {
    const doc = { ...valid(), offices: { HK: { name: { en: 'Hong Kong', 'zh-Hant': '香港' } } } };
    expect(parsePolicy(doc).ok).toBe(true);
    const noEn = parsePolicy({ ...valid(), offices: { HK: { name: { 'zh-Hant': '香港' } } } });
    expect(noEn.ok ? [] : noEn.issues.map((i) => i.path)).toContain('$.offices.HK.name');
    const empty = parsePolicy({ ...valid(), offices: { HK: { name: { en: '' } } } });
    expect(empty.ok ? '' : formatIssues(empty.issues)).toMatch(/\$\.offices\.HK\.name: an office needs a name/);
  });

  it('takes exceptionRequestUrl at the top and in a notice: https:, plain http: only on loopback', () => {
    const doc = (top: string, notice: string) => ({
      ...valid(),
      exceptionRequestUrl: top,
      rules: [
        { id: 'R', tools: ['claude'], action: 'block', notice: { title: 'Do not use', exceptionRequestUrl: notice } },
      ],
    });
    expect(parsePolicy(doc('https://it.bank.example/exceptions/new', 'http://127.0.0.1:8080/ask')).ok).toBe(true);
    for (const [bad, path] of [
      [doc('http://it.bank.example/ask', 'https://x.example/'), '$.exceptionRequestUrl'],
      [doc('https://x.example/', 'javascript:alert(1)'), '$.rules[0].notice.exceptionRequestUrl'],
      [doc('mailto:it@bank.example', 'https://x.example/'), '$.exceptionRequestUrl'],
      [doc('/relative', 'https://x.example/'), '$.exceptionRequestUrl'],
    ] as const) {
      const r = parsePolicy(bad);
      expect(r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`)).toContain(
        `${path}: must be an https: URL (http: only for localhost)`,
      );
    }
  });
});
