import { describe, expect, it } from 'vitest';
import { CATALOGUE } from './catalogue.ts';
import { DOCUMENTED_TENANT_HEADERS, lintPolicy } from '../lint/lint.ts';
import { LOGGED_OUT_ROUTES } from './tenant-guard.ts';
import tenantHeaderDocs from './tenant-headers.json' with { type: 'json' };

const NOW = Date.parse('2026-11-25T00:00:00Z');

function policy(tools: Record<string, unknown>): Record<string, unknown> {
  return {
    type: 'ai-geofence-policy',
    version: 1,
    serial: 1,
    issued: '2026-11-20T00:00:00Z',
    expires: '2026-12-20T00:00:00Z',
    offices: { NY: { name: 'New York', jurisdiction: 'US' } },
    tools,
    rules: [],
  };
}
const tenantWarnings = (tools: Record<string, unknown>) =>
  lintPolicy(policy(tools), NOW).filter((i) => i.path.includes('tenantHeaders'));

describe('documented tenant headers', () => {
  it('names only catalogue tools, each with at least one header', () => {
    expect(DOCUMENTED_TENANT_HEADERS.size).toBeGreaterThanOrEqual(3);
    for (const [id, headers] of DOCUMENTED_TENANT_HEADERS) {
      expect(Object.hasOwn(CATALOGUE, id), id).toBe(true);
      expect(headers.length).toBeGreaterThan(0);
    }
    expect(DOCUMENTED_TENANT_HEADERS.get('chatgpt')).toContain('ChatGPT-Allowed-Workspace-Id');
    expect(DOCUMENTED_TENANT_HEADERS.get('copilot')).toEqual([
      'Restrict-Access-To-Tenants',
      'Restrict-Access-Context',
      'sec-Restrict-Tenant-Access-Policy',
    ]);
    expect(DOCUMENTED_TENANT_HEADERS.get('claude')).toEqual(['anthropic-allowed-org-ids']);
    expect(DOCUMENTED_TENANT_HEADERS.get('gemini')).toEqual(['X-GoogApps-Allowed-Domains']);
  });

  it('keeps a source for every vendor that documents headers', () => {
    for (const [id, doc] of Object.entries(tenantHeaderDocs.tools)) {
      if (id === 'gemini' || id === 'notebooklm') continue; // Google Workspace: documented in notes only
      expect((doc as { sources?: string[] }).sources?.length, id).toBeGreaterThan(0);
    }
  });

  it('lists every logged-out route the network rules block, and no other', () => {
    const documented = Object.values(tenantHeaderDocs.tools).flatMap((doc) =>
      ((doc as { loggedOutRoutes?: Array<{ domain: string; pathPrefix: string }> }).loggedOutRoutes ?? []).map(
        (r) => `${r.domain}${r.pathPrefix}`,
      ),
    );
    expect(LOGGED_OUT_ROUTES.map((r) => `${r.domain}${r.prefix}`)).toEqual(documented);
    for (const r of LOGGED_OUT_ROUTES) {
      for (const h of r.headers)
        expect([...DOCUMENTED_TENANT_HEADERS.values()].flat().map((x) => x.toLowerCase())).toContain(h);
    }
  });

  it('lint accepts documented names in any case', () => {
    expect(
      tenantWarnings({
        chatgpt: {
          name: 'ChatGPT',
          domains: ['chatgpt.com'],
          tenantHeaders: { 'chatgpt-allowed-workspace-id': 'ws-1' },
        },
      }),
    ).toEqual([]);
  });

  it('lint warns (not errors) on a name the vendor does not document, naming the right ones', () => {
    const w = tenantWarnings({
      chatgpt: { name: 'ChatGPT', domains: ['chatgpt.com'], tenantHeaders: { 'ChatGPT-Workspace-Id': 'ws-1' } },
    });
    expect(w).toHaveLength(1);
    expect(w[0]!.severity).toBe('warning');
    expect(w[0]!.message).toContain('ChatGPT-Allowed-Workspace-Id');
  });

  it('lint leaves tools without documented headers alone (a firm tool may honour anything)', () => {
    expect(
      tenantWarnings({
        'firm-llm': { name: 'Firm', domains: ['llm.bank.example'], tenantHeaders: { 'X-Firm-Tenant': 'a' } },
      }),
    ).toEqual([]);
  });
});
