import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { CATALOGUE, CATALOGUE_UPDATED } from './catalogue.ts';
import { hostMatchesDomain, normalizeHost } from './hosts.ts';
import { ToolSchema } from './policy-schema.ts';

/** Hosts that serve far more than AI: listing one would block a whole company's web presence. */
const GENERAL_DOMAINS = ['google.com', 'microsoft.com', 'bing.com', 'github.com', 'notion.so', 'baidu.com', 'aliyun.com', 'tencent.com', 'x.com', 'meta.com', 'facebook.com', 'amazon.com', 'azure.com', 'googleapis.com', 'aliyuncs.com', 'volces.com', 'huggingface.co'];

describe('built-in catalogue', () => {
  const entries = Object.entries(CATALOGUE);

  it('has at least 30 tools and a review date', () => {
    expect(entries.length).toBeGreaterThanOrEqual(30);
    expect(CATALOGUE_UPDATED).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it.each(entries)('%s validates against ToolSchema with normalised domains', (_id, tool) => {
    const parsed = v.safeParse(ToolSchema, tool);
    expect(parsed.issues ?? []).toEqual([]);
    expect(tool.vendor).toBeTruthy();
    for (const d of tool.domains) expect(normalizeHost(d), d).toBe(d);
  });

  it('keeps the ids and domains tests and policies rely on', () => {
    expect(CATALOGUE.claude?.domains).toEqual(expect.arrayContaining(['claude.ai', 'anthropic.com']));
    expect(CATALOGUE.chatgpt?.domains).toEqual(expect.arrayContaining(['chatgpt.com', 'openai.com']));
    expect(CATALOGUE.gemini?.domains).toContain('gemini.google.com');
    expect(CATALOGUE.deepseek?.domains).toContain('deepseek.com');
  });

  it('never lists a shared general-purpose domain without narrowing paths', () => {
    for (const [id, tool] of entries) {
      if (tool.paths?.length) continue;
      for (const d of tool.domains) expect(GENERAL_DOMAINS, `${id}: ${d}`).not.toContain(d);
    }
  });

  it('no domain belongs to two tools, and no tool sits under another tool\'s domain', () => {
    // Otherwise the most-specific-domain rule would silently move hosts from one tool to another.
    const all = entries.flatMap(([id, t]) => t.domains.map((d) => ({ id, d, narrowed: Boolean(t.paths?.length) })));
    const clashes: string[] = [];
    for (const a of all) {
      for (const b of all) {
        // A parent narrowed by paths (huggingface.co/chat) does not own the rest of its host.
        if (a.id !== b.id && !(b.narrowed && a.d !== b.d) && hostMatchesDomain(a.d, b.d)) clashes.push(`${a.id}:${a.d} under ${b.id}:${b.d}`);
      }
    }
    expect(clashes).toEqual([]);
  });
});
