import { describe, expect, it } from 'vitest';
import { CATALOGUE } from './catalogue.ts';
import { DOCUMENTED_TENANT_HEADERS, lintPolicy } from './lint.ts';

const NOW = Date.parse('2026-11-25T00:00:00Z');

function policy(tools: Record<string, unknown>): Record<string, unknown> {
  return {
    type: 'ai-geofence-policy', version: 1, serial: 1, issued: '2026-11-20T00:00:00Z', expires: '2026-12-20T00:00:00Z',
    offices: { NY: { name: 'New York', jurisdiction: 'US' } },
    tools,
    rules: [],
  };
}
const tenantWarnings = (tools: Record<string, unknown>) => lintPolicy(policy(tools), NOW).filter((i) => i.path.includes('tenantHeaders'));

describe('documented tenant headers', () => {
  it('names only catalogue tools, each with at least one header', () => {
    expect(DOCUMENTED_TENANT_HEADERS.size).toBeGreaterThanOrEqual(3);
    for (const [id, headers] of DOCUMENTED_TENANT_HEADERS) {
      expect(Object.hasOwn(CATALOGUE, id), id).toBe(true);
      expect(headers.length).toBeGreaterThan(0);
    }
    expect(DOCUMENTED_TENANT_HEADERS.get('chatgpt')).toContain('ChatGPT-Allowed-Workspace-Id');
    expect(DOCUMENTED_TENANT_HEADERS.get('copilot')).toEqual(['Restrict-Access-To-Tenants', 'Restrict-Access-Context']);
    expect(DOCUMENTED_TENANT_HEADERS.get('gemini')).toEqual(['X-GoogApps-Allowed-Domains']);
  });

  it('lint accepts documented names in any case', () => {
    expect(tenantWarnings({ chatgpt: { name: 'ChatGPT', domains: ['chatgpt.com'], tenantHeaders: { 'chatgpt-allowed-workspace-id': 'ws-1' } } })).toEqual([]);
  });

  it('lint warns (not errors) on a name the vendor does not document, naming the right ones', () => {
    const w = tenantWarnings({ chatgpt: { name: 'ChatGPT', domains: ['chatgpt.com'], tenantHeaders: { 'ChatGPT-Workspace-Id': 'ws-1' } } });
    expect(w).toHaveLength(1);
    expect(w[0]!.severity).toBe('warning');
    expect(w[0]!.message).toContain('ChatGPT-Allowed-Workspace-Id');
  });

  it('lint leaves tools without documented headers alone (a firm tool may honour anything)', () => {
    expect(tenantWarnings({ 'firm-llm': { name: 'Firm', domains: ['llm.bank.example'], tenantHeaders: { 'X-Firm-Tenant': 'a' } } })).toEqual([]);
  });
});
