import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../catalogue/catalogue.ts';
import { compilePolicy, decide, decideWithoutPolicy } from '../decide/decide.ts';
import { encodeTranslateHost } from '../catalogue/proxies.ts';
import {
  compileDnrRules,
  compileFailClosedRules,
  MAX_FILTER_PREFIX,
  MAX_PROXY_SUBHOST_RULES,
  PRIORITY_LOGGED_OUT_BLOCK,
  PRIORITY_TENANT_HEADERS,
  type DnrRule,
} from './dnr.ts';
import { matchingDnrRules, simulateDnr as simulate } from './dnr-simulate.ts';
import { parsePolicy, type PolicyInput } from '../policy/policy-schema.ts';

const OPTS = {
  blockPageUrl: 'chrome-extension://id/block.html',
  warnPageUrl: 'chrome-extension://id/warn.html',
  browser: 'chrome' as const,
};
const EMBED = { ...OPTS, embeddedPageUrl: 'chrome-extension://id/embedded-block.html' };
const NOW = Date.parse('2026-11-24T00:00:00Z');

function policy(extra: Partial<PolicyInput> = {}) {
  const input: PolicyInput = {
    type: 'ai-geofence-policy',
    version: 1,
    serial: 1,
    issued: '2026-11-01T00:00:00Z',
    expires: '2027-01-01T00:00:00Z',
    offices: { HK: { name: 'Hong Kong', jurisdiction: 'HK' }, NY: { name: 'New York', jurisdiction: 'US' } },
    tools: {
      claude: { name: 'Claude', domains: ['claude.ai', 'anthropic.com'] },
      chatgpt: { name: 'ChatGPT', domains: ['chatgpt.com'], tenantHeaders: { 'ChatGPT-Allowed-Workspace-Id': 'ws-1' } },
      bank: { name: 'Bank', domains: ['bank.example'] },
      'firm-llm': { name: 'Firm LLM', domains: ['llm.bank.example'] },
    },
    rules: [
      { id: 'HK-CLAUDE', tools: ['claude'], offices: ['HK'], action: 'block' },
      { id: 'CHATGPT-WARN', tools: ['chatgpt'], exceptJurisdictions: ['US'], action: 'warn' },
    ],
    defaultAction: 'allow',
    ...extra,
  };
  const p = parsePolicy(input);
  if (!p.ok) throw new Error(JSON.stringify(p.issues));
  return compilePolicy(p.policy);
}

const byAction = (rules: DnrRule[], type: string) => rules.filter((r) => r.action.type === type);

describe('compileDnrRules', () => {
  it('redirects main frames of blocked tools to the block page and blocks every other request type', () => {
    const rules = compileDnrRules(policy(), { office: 'HK' }, NOW, OPTS);
    const redirect = byAction(rules, 'redirect').find((r) =>
      r.action.redirect!.regexSubstitution.startsWith(OPTS.blockPageUrl),
    )!;
    // The policy's Claude domains, then the catalogue's it adds, then their translation-proxy forms.
    const claude = [
      'claude.ai',
      'anthropic.com',
      ...CATALOGUE.claude!.domains.filter((d) => d !== 'claude.ai' && d !== 'anthropic.com'),
    ];
    expect(redirect.condition.requestDomains).toEqual([...claude, ...claude.map(encodeTranslateHost)]);
    expect(redirect.condition.resourceTypes).toEqual(['main_frame']);
    expect(redirect.action.redirect!.regexSubstitution).toBe(`${OPTS.blockPageUrl}#\\0`);
    const block = byAction(rules, 'block')[0]!;
    expect(block.condition.requestDomains).toEqual([...claude, ...claude.map(encodeTranslateHost)]);
    expect(block.condition.resourceTypes).toEqual(
      expect.arrayContaining(['sub_frame', 'xmlhttprequest', 'websocket', 'script', 'image', 'media', 'ping', 'other']),
    );
    expect(block.condition.resourceTypes).not.toContain('main_frame');
  });

  it('sends warned tools to the warn page until acknowledged, then lets them through', () => {
    const warned = compileDnrRules(policy(), { office: 'HK' }, NOW, OPTS);
    expect(
      warned.some(
        (r) =>
          r.action.redirect?.regexSubstitution === `${OPTS.warnPageUrl}#\\0` &&
          r.condition.requestDomains.includes('chatgpt.com'),
      ),
    ).toBe(true);
    const acked = compileDnrRules(policy(), { office: 'HK' }, NOW, {
      ...OPTS,
      acknowledged: { chatgpt: NOW + 60_000 },
    });
    expect(acked.some((r) => r.action.redirect?.regexSubstitution.startsWith(OPTS.warnPageUrl))).toBe(false);
    expect(simulate(acked, 'https://chatgpt.com/c/1', 'main_frame')).toBeNull();
    const expired = compileDnrRules(policy(), { office: 'HK' }, NOW, { ...OPTS, acknowledged: { chatgpt: NOW - 1 } });
    expect(expired.some((r) => r.action.redirect?.regexSubstitution.startsWith(OPTS.warnPageUrl))).toBe(true);
  });

  it('installs nothing restrictive for an office the rules do not target (but the logged-out route of a tenant-restricted tool)', () => {
    const rules = compileDnrRules(policy(), { office: 'NY' }, NOW, OPTS);
    expect(byAction(rules, 'redirect')).toEqual([]);
    expect(byAction(rules, 'block').map((r) => r.priority)).toEqual([PRIORITY_LOGGED_OUT_BLOCK]);
  });

  it('blocks the proxy forms of sub-hosts no tool lists, and keeps an allowed child allowed', () => {
    const c = policy({
      rules: [
        { id: 'B', tools: ['bank'], action: 'block' },
        { id: 'HK-CLAUDE', tools: ['claude'], offices: ['HK'], action: 'block' },
      ],
    });
    const rules = compileDnrRules(c, { office: 'HK' }, NOW, OPTS);
    for (const url of [
      'https://www-claude-ai.translate.goog/',
      'https://a-b-claude-ai.translate.goog/x?y',
      'https://www-bank-example.translate.goog/',
    ]) {
      expect(simulate(rules, url, 'main_frame'), url).toBe('block');
      expect(simulate(rules, url, 'xmlhttprequest'), url).toBe('block');
      expect(decide(c, { office: 'HK' }, url, NOW).action, url).toBe('block');
    }
    for (const url of [
      'https://x-llm-bank-example.translate.goog/',
      'https://notclaude-ai.translate.goog/',
      'https://claude-ai-evil-com.translate.goog/',
    ]) {
      expect(simulate(rules, url, 'xmlhttprequest'), url).toBeNull();
      expect(decide(c, { office: 'HK' }, url, NOW).action, url).toBe('allow');
    }
    expect(
      simulate(compileDnrRules(c, { office: 'NY' }, NOW, OPTS), 'https://www-claude-ai.translate.goog/', 'main_frame'),
    ).toBeNull();
  });

  it('decides a Google Translate proxy form as the host it relays, paths and specificity included', () => {
    const c = policy({
      rules: [
        { id: 'B', tools: ['bank'], action: 'block' },
        { id: 'HK-CLAUDE', tools: ['claude'], offices: ['HK'], action: 'block' },
      ],
    });
    const rules = compileDnrRules(c, { office: 'HK' }, NOW, OPTS);
    const url = 'https://claude-ai.translate.goog/new?_x_tr_sl=auto&_x_tr_tl=en';
    expect(simulate(rules, url, 'main_frame')).toBe(`${OPTS.blockPageUrl}#${url}`);
    expect(simulate(rules, 'https://claude-ai.translate.goog/api/x', 'xmlhttprequest')).toBe('block');
    expect(simulate(rules, 'https://bank-example.translate.goog/', 'xmlhttprequest')).toBe('block');
    // The allowed child of a blocked parent stays allowed in its proxy form, as decide() says.
    expect(simulate(rules, 'https://llm-bank-example.translate.goog/', 'xmlhttprequest')).toBeNull();
    expect(simulate(rules, 'https://chatgpt-com.translate.goog/', 'xmlhttprequest')).toBeNull();
    for (const u of [url, 'https://bank-example.translate.goog/', 'https://llm-bank-example.translate.goog/']) {
      expect(decide(c, { office: 'HK' }, u, NOW).action, u).toBe(
        simulate(rules, u, 'xmlhttprequest') === 'block' ? 'block' : 'allow',
      );
    }
  });

  it('blocks the logged-out route of a tool with a tenant header wherever the tool is not blocked', () => {
    for (const office of ['NY', 'HK']) {
      const rules = compileDnrRules(policy(), { office }, NOW, OPTS);
      expect(simulate(rules, 'https://chatgpt.com/backend-anon/f/conversation', 'xmlhttprequest'), office).toBe(
        'block',
      );
      expect(simulate(rules, 'https://chatgpt.com//Backend-Anon/me', 'main_frame'), office).toBe('block');
      expect(simulate(rules, 'https://chatgpt.com/backend-api/me', 'xmlhttprequest'), office).toBeNull();
    }
    const noHeader = policy({ tools: { chatgpt: { name: 'ChatGPT', domains: ['chatgpt.com'] } } });
    expect(
      simulate(
        compileDnrRules(noHeader, { office: 'NY' }, NOW, OPTS),
        'https://chatgpt.com/backend-anon/x',
        'xmlhttprequest',
      ),
    ).toBeNull();
  });

  it('lets a more specific allowed domain win over a blocked parent domain', () => {
    const c = policy({ rules: [{ id: 'B', tools: ['bank'], action: 'block' }] });
    const rules = compileDnrRules(c, { office: 'HK' }, NOW, OPTS);
    const allow = byAction(rules, 'allow').find((r) => r.condition.requestDomains.includes('llm.bank.example'))!;
    const block = byAction(rules, 'block').find((r) => r.condition.requestDomains.includes('bank.example'))!;
    expect(allow.priority).toBeGreaterThan(block.priority);
  });

  it('groups domains so rule count does not grow with the number of domains (but for the capped proxy sub-host rules)', () => {
    const tools: Record<string, { name: string; domains: string[] }> = {};
    for (let i = 0; i < 2000; i++)
      tools[`t${i}`] = { name: `T${i}`, domains: [`ai${i}.example`, `www.ai${i}-x.example`] };
    const c = policy({ tools, rules: [{ id: 'ALL', tools: Object.keys(tools), action: 'block' }] });
    const rules = compileDnrRules(c, { office: 'HK' }, NOW, OPTS);
    const grouped = rules.filter((r) => !r.condition.urlFilter);
    expect(grouped.length).toBeLessThanOrEqual(6);
    expect(grouped.reduce((n, r) => n + r.condition.requestDomains.length, 0)).toBeGreaterThanOrEqual(8000);
    expect(rules.length - grouped.length).toBe(MAX_PROXY_SUBHOST_RULES);
  });

  it('narrows a tool with paths by a regex filter', () => {
    const c = policy({
      tools: { studio: { name: 'Studio', domains: ['cloud.example'], paths: ['/ai-studio', '/vertex/'] } },
      rules: [{ id: 'S', tools: ['studio'], action: 'block' }],
    });
    const rules = compileDnrRules(c, { office: 'HK' }, NOW, OPTS);
    const blocked = (url: string) => simulate(rules, url, 'main_frame') === `${OPTS.blockPageUrl}#${url}`;
    expect(blocked('https://cloud.example/ai-studio')).toBe(true);
    expect(blocked('https://cloud.example/ai-studio/x?y')).toBe(true);
    expect(blocked('https://cloud.example/vertex/run')).toBe(true);
    expect(blocked('https://cloud.example/ai-studios')).toBe(false);
    expect(blocked('https://cloud.example/storage')).toBe(false);
  });

  it('adds tenant headers wherever the tool is not blocked, above every allow rule', () => {
    const rules = compileDnrRules(policy(), { office: 'NY' }, NOW, OPTS);
    const headers = byAction(rules, 'modifyHeaders')[0]!;
    expect(headers.priority).toBe(PRIORITY_TENANT_HEADERS);
    expect(headers.action.requestHeaders).toEqual([
      { header: 'ChatGPT-Allowed-Workspace-Id', operation: 'set', value: 'ws-1' },
    ]);
    expect(headers.condition.resourceTypes).toContain('main_frame');
    const c = policy({ rules: [{ id: 'X', tools: ['chatgpt'], action: 'block' }] });
    expect(byAction(compileDnrRules(c, { office: 'NY' }, NOW, OPTS), 'modifyHeaders')).toEqual([]);
  });

  it('follows rule windows', () => {
    const c = policy({ rules: [{ id: 'LATER', tools: ['claude'], action: 'block', from: '2026-12-01T01:00:00Z' }] });
    const policyBlocks = (at: number) =>
      byAction(compileDnrRules(c, { office: 'HK' }, at, OPTS), 'block').filter(
        (r) => r.priority < PRIORITY_TENANT_HEADERS && !r.condition.urlFilter,
      );
    expect(policyBlocks(NOW)).toEqual([]);
    expect(policyBlocks(Date.parse('2026-12-01T01:00:00Z'))).toHaveLength(1);
  });

  it('leaves out resource types Firefox does not know', () => {
    const rules = compileDnrRules(policy(), { office: 'HK' }, NOW, { ...OPTS, browser: 'firefox' });
    for (const r of rules) expect(r.condition.resourceTypes).not.toContain('webtransport');
  });

  it('gives unique ids and fail-closed rules for the whole catalogue', () => {
    const rules = compileFailClosedRules(OPTS);
    expect(new Set(rules.map((r) => r.id)).size).toBe(rules.length);
    expect(rules.flatMap((r) => r.condition.requestDomains)).toEqual(
      expect.arrayContaining(['claude.ai', 'chatgpt.com']),
    );
  });
});

/** A tangle of nested domains, shared domains and overlapping paths, as real policies have. */
function tangled() {
  return policy({
    tools: {
      // Shares claude.ai with the catalogue's `claude` (which stays, with claude.com): the policy tool decides.
      'claude-enterprise': { name: 'Claude Enterprise', domains: ['claude.ai'] },
      bank: { name: 'Bank', domains: ['bank.example'] },
      'firm-llm': { name: 'Firm LLM', domains: ['llm.bank.example'] },
      studio: { name: 'Studio', domains: ['cloud.example'], paths: ['/ai-studio', '/Vertex/'] },
      'studio-public': { name: 'Studio public', domains: ['cloud.example'], paths: ['/ai-studio/public'] },
      cloud: { name: 'Cloud console', domains: ['cloud.example'] },
      hub: { name: 'Hub', domains: ['hub.example'], paths: ['/chat'] },
      chatgpt: { name: 'ChatGPT', domains: ['chatgpt.com'] },
    },
    rules: [
      { id: 'CE', tools: ['claude-enterprise'], action: 'block' },
      { id: 'BANK', tools: ['bank'], action: 'block' },
      { id: 'STUDIO', tools: ['studio'], action: 'block' },
      { id: 'PUBLIC', tools: ['studio-public'], action: 'monitor' },
      { id: 'HUB', tools: ['hub'], action: 'warn' },
      { id: 'GPT', tools: ['chatgpt'], action: 'warn' },
    ],
  });
}

const URLS = [
  'https://claude.ai/',
  'https://www.claude.ai/new',
  'https://claude.com/',
  'http://claude.ai./x',
  'https://bank.example/',
  'https://llm.bank.example/',
  'https://a.llm.bank.example/q',
  'https://x.bank.example/',
  'https://cloud.example/',
  'https://cloud.example/ai-studio',
  'https://cloud.example/ai-studio/x?y=1',
  'https://cloud.example/AI-Studio',
  'https://cloud.example//ai-studio',
  'https://cloud.example/ai-studios',
  'https://cloud.example/ai-studio/public',
  'https://cloud.example/ai-studio/public/x',
  'https://cloud.example/ai-studio/publicity',
  'https://cloud.example/vertex',
  'https://cloud.example/vertex/run',
  'https://cloud.example/%61i-studio',
  'https://cloud.example/ai-studio/%70ublic',
  'https://hub.example/',
  'https://hub.example/chat',
  'https://hub.example/chat/1',
  'https://hub.example/CHAT',
  'https://hub.example/chatter',
  'https://chatgpt.com/',
  'https://sub.chatgpt.com/c/1',
  'https://example.org/',
];

describe('compiled rules agree with decide()', () => {
  const c = tangled();
  const rules = compileDnrRules(c, { office: 'HK' }, NOW, EMBED);
  const expected = (url: string) => {
    const d = decide(c, { office: 'HK' }, url, NOW);
    return d.action === 'block'
      ? `${OPTS.blockPageUrl}#${new URL(url).href}`
      : d.action === 'warn'
        ? `${OPTS.warnPageUrl}#${new URL(url).href}`
        : null;
  };

  it.each(URLS)('main frame %s', (url) => {
    // decide() reads an encoded path the way the server would; where it allows one, DNR may be stricter (documented).
    const encoded = /%(?:2[de]|3\d|[46][1-9a-f]|[57][0-9a]|5f|7e)/i.test(url);
    const got = simulate(rules, url, 'main_frame');
    if (encoded && expected(url) === null) return;
    expect(got).toBe(expected(url));
  });

  it.each(URLS)('sub-resources and frames of %s', (url) => {
    const blocked = decide(c, { office: 'HK' }, url, NOW).action === 'block';
    for (const type of ['script', 'xmlhttprequest', 'websocket', 'image', 'ping', 'other'] as const) {
      if (blocked) expect(simulate(rules, url, type), type).toBe('block');
      else if (!/%(?:6[1-9a-f]|7[0-9a])/i.test(url)) expect(simulate(rules, url, type), type).toBeNull();
    }
    const frame = simulate(rules, url, 'sub_frame');
    const action = decide(c, { office: 'HK' }, url, NOW).action;
    if (action === 'block' || action === 'warn') expect(frame).toBe(`${EMBED.embeddedPageUrl}#${new URL(url).href}`);
  });

  it('blocks a WebSocket to a blocked path (ws: and wss: URLs)', () => {
    expect(simulate(rules, 'wss://cloud.example/ai-studio/socket', 'websocket')).toBe('block');
    expect(simulate(rules, 'ws://cloud.example/other/socket', 'websocket')).toBeNull();
  });

  it('keeps blocking once an acknowledgement for another tool is given, and lets the acknowledged one through', () => {
    const acked = compileDnrRules(c, { office: 'HK' }, NOW, { ...EMBED, acknowledged: { hub: NOW + 60_000 } });
    expect(simulate(acked, 'https://hub.example/chat', 'main_frame')).toBeNull();
    expect(simulate(acked, 'https://chatgpt.com/', 'main_frame')).toBe(`${OPTS.warnPageUrl}#https://chatgpt.com/`);
    expect(simulate(acked, 'https://claude.ai/', 'main_frame')).toBe(`${OPTS.blockPageUrl}#https://claude.ai/`);
  });

  it('never ties two different actions at the priority that decides a request', () => {
    // Rules of one priority on domains that do not nest never meet; those that can are checked on
    // URLs of every listed domain, its subdomain and its proxy form.
    const hosts = rules.flatMap((r) => [
      ...r.condition.requestDomains,
      ...(r.condition.urlFilter ? [`x${r.condition.urlFilter.replace(/\^$/, '')}`] : []),
    ]);
    for (const host of new Set(hosts)) {
      for (const url of [`https://${host}/`, `https://www.${host}/ai-studio/x`, `https://${host}/chat`]) {
        const matching = matchingDnrRules(rules, url, 'main_frame');
        const top = Math.max(...matching.map((r) => r.priority));
        const kinds = new Set(
          matching.filter((r) => r.priority === top).map((r) => (r.action.type === 'allow' ? 'allow' : 'restrict')),
        );
        expect(kinds.size, url).toBeLessThanOrEqual(1);
      }
    }
  });
});

describe('compileDnrRules: limits', () => {
  it('cuts a path prefix too long for RE2 at a segment boundary, restricting more rather than less', () => {
    const long = `/a/${'x'.repeat(MAX_FILTER_PREFIX)}`;
    const c = policy({
      tools: { t: { name: 'T', domains: ['t.example'], paths: [long] } },
      rules: [{ id: 'T', tools: ['t'], action: 'block' }],
    });
    const rules = compileDnrRules(c, { office: 'HK' }, NOW, OPTS);
    for (const r of rules) expect((r.condition.regexFilter ?? '').length).toBeLessThan(200);
    expect(simulate(rules, `https://t.example${long}/y`, 'main_frame')).toBe(
      `${OPTS.blockPageUrl}#https://t.example${long}/y`,
    );
    expect(simulate(rules, 'https://t.example/a/other', 'main_frame')).not.toBeNull();
  });

  it('sends blocked and warned frames to the embedded notice when one is given, and only blocks them otherwise', () => {
    const withPage = compileDnrRules(policy(), { office: 'HK' }, NOW, EMBED);
    expect(simulate(withPage, 'https://claude.ai/embed', 'sub_frame')).toBe(
      `${EMBED.embeddedPageUrl}#https://claude.ai/embed`,
    );
    expect(simulate(withPage, 'https://chatgpt.com/embed', 'sub_frame')).toBe(
      `${EMBED.embeddedPageUrl}#https://chatgpt.com/embed`,
    );
    const without = compileDnrRules(policy(), { office: 'HK' }, NOW, OPTS);
    expect(simulate(without, 'https://claude.ai/embed', 'sub_frame')).toBe('block');
    expect(simulate(without, 'https://chatgpt.com/embed', 'sub_frame')).toBeNull();
  });

  it('fail-closed rules block what decideWithoutPolicy blocks, paths included', () => {
    const rules = compileFailClosedRules(EMBED);
    for (const url of [
      'https://claude.ai/',
      'https://chatgpt.com/c/1',
      'https://huggingface.co/chat/x',
      'https://huggingface.co/models',
      'https://example.org/',
    ]) {
      const blocked = decideWithoutPolicy('closed', url).action === 'block';
      expect(simulate(rules, url, 'main_frame'), url).toBe(blocked ? `${OPTS.blockPageUrl}#${url}` : null);
      expect(simulate(rules, url, 'xmlhttprequest'), url).toBe(blocked ? 'block' : null);
    }
  });

  it('stays compact for the sample policy: three rules block a tool on every path and request type', () => {
    const rules = compileDnrRules(
      policy({ rules: [{ id: 'HK-CLAUDE', tools: ['claude'], offices: ['HK'], action: 'block' }] }),
      { office: 'HK' },
      NOW,
      EMBED,
    );
    expect(
      rules
        .filter((r) => r.priority < PRIORITY_TENANT_HEADERS && !r.condition.urlFilter)
        .map((r) => r.action.type)
        .sort(),
    ).toEqual(['block', 'redirect', 'redirect']);
    // and one proxy sub-host rule per blocked domain
    const claude = [
      'claude.ai',
      'anthropic.com',
      ...CATALOGUE.claude!.domains.filter((d) => d !== 'claude.ai' && d !== 'anthropic.com'),
    ];
    expect(rules.filter((r) => r.condition.urlFilter).map((r) => r.condition.urlFilter)).toEqual(
      claude.map((d) => `-${encodeTranslateHost(d)}^`),
    );
  });
});
