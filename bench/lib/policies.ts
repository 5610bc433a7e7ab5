/**
 * Synthetic policies of a given size (number of domains) for the browser benchmark. Deterministic:
 * every run benchmarks the same documents. The brief's Hong Kong scenario (Claude blocked for HK,
 * warned outside the US) comes first, so the vendor the leak and time-to-notice tests use is blocked
 * by the first rule whatever the size; the generated tools follow, ten domains each, with a mix of
 * apex domains and product hosts under a vendor domain (two DNR priority levels, as real catalogues
 * have), and rules that give the Hong Kong employee a mix of block, warn, monitor and allow.
 */
import { samplePolicy } from '../../test/e2e/harness.ts';

export const DOMAINS_PER_TOOL = 10;
const ACTIONS = ['block', 'warn', 'monitor', 'allow'] as const;

/** Domain j of generated tool i (short names: 100,000 of them must fit the 5 MiB policy limit once signed). */
export function generatedDomain(i: number, j: number): string {
  return j % 3 === 0 ? `a${j}.v${i}.example` : `t${i}-${j}.example`;
}

export interface GeneratedPolicy {
  policy: Record<string, unknown>;
  /** Domains in the policy (generated + the sample's). */
  domains: number;
  tools: number;
  rules: number;
}

/** A policy listing `domains` domains in total (rounded to whole tools of ten). */
export function makePolicy(domains: number, serial: number): GeneratedPolicy {
  const base = samplePolicy({ serial });
  const tools = { ...(base.tools as Record<string, { domains: string[] }>) };
  const sampleDomains = Object.values(tools).reduce((n, t) => n + t.domains.length, 0);
  const toolCount = Math.max(1, Math.round((domains - sampleDomains) / DOMAINS_PER_TOOL));
  for (let i = 0; i < toolCount; i++) {
    tools[`g${i}`] = {
      name: `Tool ${i}`,
      vendor: `Vendor ${i}`,
      domains: Array.from({ length: DOMAINS_PER_TOOL }, (_, j) => generatedDomain(i, j)),
    } as never;
  }
  // One rule per block of tools; the targeting cycles so that some rules miss HK (default: allow).
  const ruleCount = Math.min(1000, Math.max(4, Math.round(toolCount / 10)));
  const rules = [...(base.rules as unknown[])];
  const per = Math.ceil(toolCount / ruleCount);
  for (let r = 0; r < ruleCount; r++) {
    const ids = Array.from({ length: Math.min(per, toolCount - r * per) }, (_, k) => `g${r * per + k}`);
    if (ids.length === 0) break;
    // Shifted by the serial: each new serial changes what the employee gets (a policy update that
    // changes nothing installs nothing, and would measure nothing).
    const targeting = [
      { offices: ['HK'] },
      { exceptJurisdictions: ['US'] },
      { regions: ['apac'] },
      { groups: ['traders'] },
      { exceptOffices: ['HK'] },
    ][(r + serial) % 5];
    rules.push({
      id: `G-${r}`,
      tools: ids,
      action: ACTIONS[r % ACTIONS.length],
      ...targeting,
      notice: { title: `Rule ${r}`, reference: `memo ${r}` },
    });
  }
  return {
    policy: { ...base, tools, rules },
    domains: sampleDomains + toolCount * DOMAINS_PER_TOOL,
    tools: Object.keys(tools).length,
    rules: rules.length,
  };
}

/** URLs for the decision benchmark: listed hosts, their subdomains, unlisted parents and ordinary sites. */
export function decisionUrls(toolCount: number, n: number): string[] {
  const urls: string[] = [];
  let seed = 12345;
  const rnd = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  for (let k = 0; k < n; k++) {
    const i = Math.floor(rnd() * toolCount);
    const j = Math.floor(rnd() * DOMAINS_PER_TOOL);
    const roll = rnd();
    if (roll < 0.5) urls.push(`https://${rnd() < 0.5 ? 'www.' : ''}${generatedDomain(i, j)}/chat/${k}?q=${k}`);
    else if (roll < 0.6) urls.push(`https://claude.ai/new?k=${k}`);
    else if (roll < 0.7) urls.push(`https://v${i}.example/about`);
    else urls.push(`https://news${k % 997}.example.org/article/${k}`);
  }
  return urls;
}
