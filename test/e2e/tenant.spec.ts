/**
 * Tenant restriction, proven in real Chromium: a tool's `tenantHeaders` reach the vendor on every
 * request to its hosts (the page itself, its sub-resources, its fetch/XHR, sub-frames), never on
 * requests to anyone else, and disappear once the tool is blocked. Anthropic's
 * anthropic-allowed-org-ids (claude.ai and api.anthropic.com) and Microsoft's tenant restrictions
 * v2 header arrive on every request type, WebSocket handshakes included; ChatGPT's logged-out route
 * (/backend-anon), where no workspace exists to restrict, never leaves the browser.
 *
 * chatgpt.com is HSTS-preloaded, so the fake vendor answers over HTTPS: the header is set by DNR
 * before TLS, and the test server sees it only after decryption — proof it went over the wire.
 */
import { expect, test } from '@playwright/test';
import {
  launchBrowser,
  makeKey,
  samplePolicy,
  serviceWorker,
  signPolicy,
  startPolicyServer,
  startServer,
  triggerRefresh,
  waitForManagedConfig,
  waitForPolicy,
  waitInWorker,
  writeManagedConfig,
  type RecordedRequest,
  type TestServer,
  trackForCleanup,
} from './harness.ts';

const HEADER = 'ChatGPT-Allowed-Workspace-Id';
const WORKSPACE = 'ws-123';

let vendor: TestServer;
const { browsers, servers } = trackForCleanup();

function tenantPolicy(serial: number, rules: unknown[] = []): Record<string, unknown> {
  const base = samplePolicy({ serial });
  const tools = base.tools as Record<string, Record<string, unknown>>;
  return { ...base, tools: { ...tools, chatgpt: { ...tools.chatgpt, tenantHeaders: { [HEADER]: WORKSPACE } } }, rules };
}

/** The vendor app: an image, a script that fetches and XHRs its own API, a frame, and calls to another site. */
const APP = `<!doctype html><title>ChatGPT (fake)</title>
<img src="/assets/logo.png" alt="">
<iframe src="https://chatgpt.com/frame" title="frame"></iframe>
<img src="https://other.example/pixel.png" alt="">
<script src="/assets/app.js"></script>`;
const APP_JS = `
fetch('/backend-api/me').catch(() => {});
{ const x = new XMLHttpRequest(); x.open('GET', 'https://chatgpt.com/backend-api/xhr'); x.onerror = () => {}; x.send(); }
fetch('https://other.example/api', { mode: 'no-cors' }).catch(() => {});`;

const headerOf = (q: RecordedRequest) => q.headers[HEADER.toLowerCase()];

test('tenant headers go with every request to the tool and nowhere else; a blocked tool gets none', async () => {
  vendor = await startServer((_req, url) => {
    if (url.pathname === '/app') return { body: APP };
    if (url.pathname === '/assets/app.js') return { body: APP_JS, type: 'text/javascript' };
    if (url.pathname.endsWith('.png')) return { body: '', type: 'image/png' };
    return { body: `<!doctype html><title>${url.hostname}</title><p>${url.pathname}</p>` };
  });
  servers.push(vendor);
  const key = await makeKey('compliance-2026');
  const policyServer = await startPolicyServer(await signPolicy(tenantPolicy(42), [key]));
  servers.push(policyServer);
  writeManagedConfig({ office: 'LDN', policyUrl: policyServer.url, trustedKeys: [key.publicJwk] });
  const b = await launchBrowser({ vendorPort: vendor.port });
  browsers.push(b);
  await waitForManagedConfig(b.context, 'LDN');
  await waitForPolicy(b.context, 42);

  const page = await b.context.newPage();
  await page.goto('https://chatgpt.com/app');
  const paths = ['/app', '/assets/logo.png', '/assets/app.js', '/backend-api/me', '/backend-api/xhr', '/frame'];
  const seenAt = (host: string, path: string) => vendor.requests.find((q) => q.host === host && q.path === path);
  // Positive control first: every request arrived (including the ones to the other site).
  await expect
    .poll(
      () => [
        ...paths.filter((p) => !seenAt('chatgpt.com', p)),
        ...['/pixel.png', '/api'].filter((p) => !seenAt('other.example', p)),
      ],
      { timeout: 20_000 },
    )
    .toEqual([]);
  for (const p of paths) {
    const q = seenAt('chatgpt.com', p)!;
    expect(q.secure, p).toBe(true);
    expect(headerOf(q), p).toBe(WORKSPACE);
  }
  for (const p of ['/pixel.png', '/api']) expect(headerOf(seenAt('other.example', p)!), p).toBeUndefined();
  // The tool's other host is covered too.
  await page.goto('https://platform.openai.com/');
  expect(headerOf(vendor.requests.find((q) => q.host === 'platform.openai.com')!)).toBe(WORKSPACE);

  // Now compliance blocks ChatGPT for London: the header rule goes with the allowance.
  const rulesNow = async () =>
    (await serviceWorker(b.context)).evaluate(() => chrome.declarativeNetRequest.getDynamicRules());
  expect((await rulesNow()).filter((r) => r.action.type === 'modifyHeaders')).toHaveLength(1);
  policyServer.set(
    await signPolicy(
      tenantPolicy(43, [
        {
          id: 'LDN-CHATGPT',
          tools: ['chatgpt'],
          offices: ['LDN'],
          action: 'block',
          notice: { title: 'Do not use: ChatGPT' },
        },
      ]),
      [key],
    ),
  );
  await triggerRefresh(b.context);
  await waitForPolicy(b.context, 43);
  await waitInWorker(
    b.context,
    () => chrome.declarativeNetRequest.getDynamicRules(),
    (rules) => rules.some((r) => r.action.type === 'redirect'),
    'block rules installed',
  );
  expect((await rulesNow()).filter((r) => r.action.type === 'modifyHeaders')).toEqual([]);
});

const ORG_HEADER = 'anthropic-allowed-org-ids';
const ORG = '550e8400-e29b-41d4-a716-446655440000';
const TRV2_HEADER = 'sec-Restrict-Tenant-Access-Policy';
const TRV2 = '72f988bf-86f1-41af-91ab-2d7cd011db47:0a0b0c0d-0000-4000-8000-000000000001';

/** Claude's fake web app: a subresource, fetch and XHR to its own API, a WebSocket, and a call to the API host. */
const CLAUDE_APP = `<!doctype html><title>Claude (fake)</title>
<img src="/assets/logo.png" alt="">
<script src="/assets/app.js"></script>`;
const CLAUDE_JS = `
fetch('/api/organizations').catch(() => {});
{ const x = new XMLHttpRequest(); x.open('GET', '/api/xhr'); x.onerror = () => {}; x.send(); }
try { const ws = new WebSocket('wss://claude.ai/ws'); ws.onerror = () => {}; } catch {}
fetch('https://api.anthropic.com/v1/messages', { mode: 'no-cors' }).catch(() => {});`;
/** ChatGPT's fake logged-out app: the guest route and the signed-in one. */
const CHATGPT_JS = `
window.anonOutcome = fetch('/backend-anon/f/conversation', { method: 'POST', body: '{}' }).then(() => 'reached', () => 'refused');
fetch('/backend-api/me').catch(() => {});`;

test('Anthropic, Microsoft v2 and ChatGPT tenant headers reach the vendor on every request type; the logged-out route is refused', async () => {
  vendor = await startServer((_req, url) => {
    if (url.pathname === '/app')
      return {
        body:
          url.hostname === 'chatgpt.com'
            ? '<!doctype html><title>ChatGPT (fake)</title><script src="/assets/app.js"></script>'
            : CLAUDE_APP,
      };
    if (url.pathname === '/assets/app.js')
      return { body: url.hostname === 'chatgpt.com' ? CHATGPT_JS : CLAUDE_JS, type: 'text/javascript' };
    if (url.pathname.endsWith('.png')) return { body: '', type: 'image/png' };
    return { body: `<!doctype html><title>${url.hostname}</title><p>${url.pathname}</p>` };
  });
  servers.push(vendor);
  const base = samplePolicy({ serial: 50 });
  const tools = base.tools as Record<string, Record<string, unknown>>;
  const policy = {
    ...base,
    tools: {
      ...tools,
      claude: { ...tools.claude, tenantHeaders: { [ORG_HEADER]: ORG } },
      chatgpt: { ...tools.chatgpt, tenantHeaders: { [HEADER]: WORKSPACE } },
      'entra-sign-in': {
        name: 'Microsoft sign-in',
        vendor: 'Microsoft',
        domains: ['login.microsoftonline.com'],
        tenantHeaders: { [TRV2_HEADER]: TRV2 },
      },
    },
    rules: [],
  };
  const key = await makeKey('compliance-2026');
  const policyServer = await startPolicyServer(await signPolicy(policy, [key]));
  servers.push(policyServer);
  writeManagedConfig({ office: 'NY', policyUrl: policyServer.url, trustedKeys: [key.publicJwk] });
  const b = await launchBrowser({
    vendorPort: vendor.port,
    vendorHosts: ['claude.ai', 'anthropic.com', 'chatgpt.com', 'openai.com', 'login.microsoftonline.com'],
  });
  browsers.push(b);
  await waitForManagedConfig(b.context, 'NY');
  await waitForPolicy(b.context, 50);
  const page = await b.context.newPage();
  const seen = (host: string, path: string) => vendor.requests.find((q) => q.host === host && q.path === path);
  const header = (q: RecordedRequest | undefined, name: string) => q?.headers[name.toLowerCase()];

  // Anthropic: main frame, subresource, fetch, XHR, WebSocket handshake and the API host.
  await page.goto('https://claude.ai/app');
  const claudeRequests: Array<[string, string]> = [
    ['claude.ai', '/app'],
    ['claude.ai', '/assets/logo.png'],
    ['claude.ai', '/assets/app.js'],
    ['claude.ai', '/api/organizations'],
    ['claude.ai', '/api/xhr'],
    ['claude.ai', '/ws'],
    ['api.anthropic.com', '/v1/messages'],
  ];
  await expect.poll(() => claudeRequests.filter(([h, p]) => !seen(h, p)), { timeout: 20_000 }).toEqual([]);
  for (const [h, p] of claudeRequests) expect(header(seen(h, p), ORG_HEADER), `${h}${p}`).toBe(ORG);
  expect(seen('claude.ai', '/ws')?.headers.upgrade).toBe('websocket');

  // Microsoft tenant restrictions v2 on the sign-in host.
  await page.goto('https://login.microsoftonline.com/common/oauth2/v2.0/authorize');
  expect(header(seen('login.microsoftonline.com', '/common/oauth2/v2.0/authorize'), TRV2_HEADER)).toBe(TRV2);
  // Each vendor gets its own header only.
  expect(header(seen('claude.ai', '/app'), TRV2_HEADER)).toBeUndefined();
  expect(header(seen('login.microsoftonline.com', '/common/oauth2/v2.0/authorize'), ORG_HEADER)).toBeUndefined();

  // ChatGPT: the signed-in API carries the workspace header; the logged-out route never leaves the browser.
  await page.goto('https://chatgpt.com/app');
  await expect.poll(() => seen('chatgpt.com', '/backend-api/me'), { timeout: 20_000 }).toBeTruthy();
  expect(header(seen('chatgpt.com', '/backend-api/me'), HEADER)).toBe(WORKSPACE);
  expect(await page.evaluate(() => (window as unknown as { anonOutcome: Promise<string> }).anonOutcome)).toBe(
    'refused',
  );
  const anon = 'https://chatgpt.com/backend-anon/me';
  const navigation = await page.goto(anon).then(
    () => 'loaded',
    (e: Error) => e.message,
  );
  expect(navigation).toContain('ERR_BLOCKED_BY_CLIENT');
  expect(
    vendor.requests.filter((q) => q.host === 'chatgpt.com' && q.path.toLowerCase().includes('backend-anon')),
  ).toEqual([]);
});
