/**
 * Tenant restriction, proven in real Chromium: a tool's `tenantHeaders` reach the vendor on every
 * request to its hosts (the page itself, its sub-resources, its fetch/XHR, sub-frames), never on
 * requests to anyone else, and disappear once the tool is blocked.
 *
 * chatgpt.com is HSTS-preloaded, so the fake vendor answers over HTTPS: the header is set by DNR
 * before TLS, and the test server sees it only after decryption — proof it went over the wire.
 */
import { expect, test } from '@playwright/test';
import {
  launchBrowser, makeKey, samplePolicy, serviceWorker, signPolicy, startPolicyServer, startServer,
  triggerRefresh, waitForManagedConfig, waitForPolicy, waitInWorker, writeManagedConfig, type RecordedRequest, type TestServer, trackForCleanup,
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
  await expect.poll(() => [...paths.filter((p) => !seenAt('chatgpt.com', p)), ...['/pixel.png', '/api'].filter((p) => !seenAt('other.example', p))], { timeout: 20_000 }).toEqual([]);
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
  const rulesNow = async () => (await serviceWorker(b.context)).evaluate(() => chrome.declarativeNetRequest.getDynamicRules());
  expect((await rulesNow()).filter((r) => r.action.type === 'modifyHeaders')).toHaveLength(1);
  policyServer.set(await signPolicy(tenantPolicy(43, [{ id: 'LDN-CHATGPT', tools: ['chatgpt'], offices: ['LDN'], action: 'block', notice: { title: 'Do not use: ChatGPT' } }]), [key]));
  await triggerRefresh(b.context);
  await waitForPolicy(b.context, 43);
  await waitInWorker(b.context, () => chrome.declarativeNetRequest.getDynamicRules(), (rules) => rules.some((r) => r.action.type === 'redirect'), 'block rules installed');
  expect((await rulesNow()).filter((r) => r.action.type === 'modifyHeaders')).toEqual([]);
});
