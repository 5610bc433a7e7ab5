import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { CATALOGUE, CATALOGUE_UPDATED, type CatalogueEntry } from './catalogue.ts';
import { isIsoCountryCode } from '../config/countries.ts';
import { hostMatchesDomain, normalizeHost } from './hosts.ts';
import { ToolSchema } from '../policy/policy-schema.ts';
import { TOOL_CATEGORIES, WHERE_ATTRIBUTES } from './tool-attributes.ts';

/** Hosts that serve far more than AI: listing one would block a whole company's web presence. */
const GENERAL_DOMAINS = [
  'google.com',
  'microsoft.com',
  'bing.com',
  'github.com',
  'notion.so',
  'baidu.com',
  'aliyun.com',
  'tencent.com',
  'x.com',
  'meta.com',
  'facebook.com',
  'amazon.com',
  'azure.com',
  'googleapis.com',
  'aliyuncs.com',
  'volces.com',
  'huggingface.co',
  'amazonaws.com',
  'api.aws',
  'githubusercontent.com',
  'yandex.ru',
  'yandex.net',
  'livekit.cloud',
  'gstatic.com',
  'cloudflare.com',
  'withgoogle.com',
];
// build.mjs is plain ESM without declarations; a computed specifier keeps TypeScript out of it.
const BUILD = pathToFileURL(resolve(import.meta.dirname, '../../../build.mjs')).href;
const { stripCatalogue } = (await import(BUILD)) as { stripCatalogue: (text: string) => string };

/** Attributes an entry may state; each needs a source. */
const SOURCED_ATTRIBUTES: ReadonlyArray<keyof CatalogueEntry> = [...WHERE_ATTRIBUTES, 'extensionIds'];

/**
 * What the data file must hold for every entry. Kept apart from `ToolSchema` (the policy's tool),
 * which does not know `sources`.
 */
const SourceSchema = v.strictObject({
  url: v.pipe(v.string(), v.url(), v.startsWith('https://', 'a source is an https: URL')),
  checked: v.pipe(v.string(), v.isoDate('checked: expected YYYY-MM-DD')),
  supports: v.pipe(v.array(v.pipe(v.string(), v.minLength(1))), v.minLength(1, 'a source must say what it confirms')),
});

/** Problems of one entry: a domain or attribute without a source, a bad country or category. */
function entryProblems(entry: CatalogueEntry, today: string): string[] {
  const problems: string[] = [];
  const { sources, ...tool } = entry;
  const parsed = v.safeParse(ToolSchema, tool);
  for (const i of parsed.issues ?? []) problems.push(`schema: ${i.message}`);
  if (!sources || sources.length === 0) return [...problems, 'no sources'];
  const supported = new Set<string>();
  for (const s of sources) {
    const ok = v.safeParse(SourceSchema, s);
    if (!ok.success) problems.push(`source ${JSON.stringify(s)}: ${ok.issues.map((i) => i.message).join('; ')}`);
    else if (s.checked > today) problems.push(`source ${s.url}: checked in the future (${s.checked})`);
    else for (const what of s.supports) supported.add(what);
  }
  for (const d of entry.domains) if (!supported.has(`domain:${d}`)) problems.push(`domain ${d} has no source`);
  for (const a of SOURCED_ATTRIBUTES)
    if (entry[a] !== undefined && !supported.has(a)) problems.push(`attribute ${a} has no source`);
  if (entry.vendorCountry !== undefined && !isIsoCountryCode(entry.vendorCountry))
    problems.push(`vendorCountry "${entry.vendorCountry}" is not ISO 3166-1 alpha-2`);
  if (!TOOL_CATEGORIES.includes(entry.category as never)) problems.push(`unknown category "${String(entry.category)}"`);
  return problems;
}

const TODAY = new Date().toISOString().slice(0, 10);
const GOOD: CatalogueEntry = {
  name: 'Example',
  vendor: 'Example Inc.',
  vendorCountry: 'US',
  category: 'chat',
  domains: ['chat.example'],
  sources: [
    {
      url: 'https://chat.example/about',
      checked: '2026-12-01',
      supports: ['domain:chat.example', 'vendor', 'vendorCountry', 'category'],
    },
  ],
};

describe('catalogue entry check (the test below applies it to every entry)', () => {
  it('accepts a sourced entry', () => expect(entryProblems(GOOD, TODAY)).toEqual([]));

  it.each([
    ['no sources', { ...GOOD, sources: [] }, 'no sources'],
    ['no date', { ...GOOD, sources: [{ url: 'https://chat.example/', supports: ['domain:chat.example'] }] }, 'source'],
    [
      'a date that is no date',
      { ...GOOD, sources: [{ ...GOOD.sources![0]!, checked: 'last week' }] },
      'checked: expected YYYY-MM-DD',
    ],
    ['a source that is no URL', { ...GOOD, sources: [{ ...GOOD.sources![0]!, url: 'the vendor said so' }] }, 'source'],
    [
      'a domain no source confirms',
      { ...GOOD, domains: ['chat.example', 'other.example'] },
      'domain other.example has no source',
    ],
    ['an attribute no source confirms', { ...GOOD, trainsOnInputs: true }, 'attribute trainsOnInputs has no source'],
    ['an invalid country code', { ...GOOD, vendorCountry: 'UK' }, 'vendorCountry "UK"'],
    ['an unknown category', { ...GOOD, category: 'chatbot' as never }, 'unknown category "chatbot"'],
  ])('refuses an entry with %s', (_what, entry, expected) => {
    expect(entryProblems(entry as CatalogueEntry, TODAY).join('\n')).toContain(expected);
  });
});

describe('built-in catalogue', () => {
  const entries = Object.entries(CATALOGUE);

  it('has a review date and over 150 tools in every category', () => {
    expect(CATALOGUE_UPDATED).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(entries.length).toBeGreaterThanOrEqual(150);
    for (const c of TOOL_CATEGORIES)
      expect(
        entries.some(([, t]) => t.category === c),
        c,
      ).toBe(true);
  });

  it.each(entries)('%s: every domain and attribute has a dated source; valid country and category', (_id, entry) => {
    expect(entryProblems(entry, TODAY)).toEqual([]);
    for (const d of entry.domains) expect(normalizeHost(d), d).toBe(d);
  });

  it('keeps the ids, domains and content hosts tests and policies rely on', () => {
    expect(CATALOGUE.claude?.domains).toEqual(
      expect.arrayContaining(['claude.ai', 'anthropic.com', 'claudeusercontent.com', 'claude.site']),
    );
    expect(CATALOGUE.chatgpt?.domains).toEqual(
      expect.arrayContaining(['chatgpt.com', 'openai.com', 'oaiusercontent.com']),
    );
    expect(CATALOGUE.gemini?.domains).toContain('gemini.google.com');
    expect(CATALOGUE.deepseek).toMatchObject({ vendorCountry: 'CN' });
    expect(CATALOGUE['amazon-bedrock']?.modelVendors).toContain('Anthropic');
  });

  it('keeps the tools and hosts deployments relied on before the catalogue was sourced', () => {
    // Dropping one silently weakens fail-closed mode and discovery for existing deployments.
    const ids = [
      'character-ai',
      'you',
      'together',
      'replicate',
      'fireworks',
      'pi',
      'phind',
      'writesonic',
      'copy-ai',
      'aleph-alpha',
      'blackbox',
      'vertex-ai',
    ];
    expect(ids.filter((id) => !CATALOGUE[id])).toEqual([]);
    const hosts = [
      'sydney.bing.com',
      'hailuoai.video',
      'lmarena.ai',
      'qianfan.baidubce.com',
      'aiplatform.googleapis.com',
    ];
    const listed = new Set(entries.flatMap(([, t]) => t.domains));
    expect(hosts.filter((h) => !listed.has(h))).toEqual([]);
  });

  it('keeps every tool id a release has shipped: policies reference catalogue tools by id', () => {
    // A renamed id would turn a signed policy's rule into an unknown tool; ids are added, never changed.
    const shipped =
      'claude chatgpt gemini notebooklm copilot github-copilot azure-openai deepseek perplexity mistral-le-chat mistral-api qwen kimi ' +
      'doubao ernie chatglm minimax yuanbao spark grok meta-ai poe character-ai you cohere huggingchat huggingface-inference groq ' +
      'together replicate fireworks openrouter pi phind jasper writesonic copy-ai duck-ai lmarena manus aleph-alpha blackbox';
    expect(shipped.split(' ').filter((id) => !CATALOGUE[id])).toEqual([]);
  });

  it('never lists a shared general-purpose domain without narrowing paths', () => {
    for (const [id, tool] of entries) {
      if (tool.paths?.length) continue;
      for (const d of tool.domains) expect(GENERAL_DOMAINS, `${id}: ${d}`).not.toContain(d);
    }
  });

  it("no domain belongs to two tools, and no tool sits under another tool's domain", () => {
    // Otherwise the most-specific-domain rule would silently move hosts from one tool to another.
    const all = entries.flatMap(([id, t]) => t.domains.map((d) => ({ id, d, narrowed: Boolean(t.paths?.length) })));
    const clashes: string[] = [];
    for (const a of all) {
      for (const b of all) {
        // A parent narrowed by paths (huggingface.co/chat) does not own the rest of its host.
        if (a.id !== b.id && !(b.narrowed && a.d !== b.d) && hostMatchesDomain(a.d, b.d))
          clashes.push(`${a.id}:${a.d} under ${b.id}:${b.d}`);
      }
    }
    // Mistral's chat and console are separate tools under mistral.ai, the vendor's whole site.
    expect(clashes.filter((c) => !c.endsWith('under mistral-api:mistral.ai'))).toEqual([]);
  });

  it('ships without sources: the build strips them and keeps everything else', () => {
    const text = readFileSync(new URL('./catalogue.json', import.meta.url), 'utf8');
    const shipped = JSON.parse(stripCatalogue(text)) as { updated: string; tools: Record<string, CatalogueEntry> };
    expect(shipped.updated).toBe(CATALOGUE_UPDATED);
    expect(Object.keys(shipped.tools)).toEqual(Object.keys(CATALOGUE));
    for (const [id, t] of Object.entries(shipped.tools)) {
      expect(t.sources, id).toBeUndefined();
      const { sources: _s, ...full } = CATALOGUE[id]!;
      expect(t, id).toEqual(full);
    }
    expect(stripCatalogue(text).length).toBeLessThan(text.length / 2);
  });
});
