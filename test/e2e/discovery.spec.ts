/**
 * Discovery of unlisted AI tools (issue 10) in real Chromium: a fake AI assistant that neither the
 * policy nor the catalogue lists is recognised by the detector, reported to the reference
 * collector as `discovered-tool` (origin and signal names, never text) and handled by the policy's
 * `unlistedAiAction`: `block` moves the tab to the block page and stops the next visit before a
 * request leaves the browser; `warn` asks once. Ordinary pages (an article about AI with a comment
 * box, a shop's support chat) and listed tools are not reported; `discovery: false` turns it off.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { startCollector, type Collector } from '../../scripts/collector-server.mjs';
import { UNLISTED_AI_PAGE } from '../../scripts/lib/local-servers.ts';
import {
  blockPageUrl, DEFAULT_VENDOR_HOSTS, EXTENSION_ID, ROOT, launchBrowser, makeKey, samplePolicy, signPolicy, startPolicyServer, startServer, trackForCleanup,
  waitForManagedConfig, waitForPolicy, warnPageUrl, writeManagedConfig, type Launched, type TestServer,
} from './harness.ts';

const { browsers, servers } = trackForCleanup();
let collector: Collector | null = null;
test.afterEach(async () => {
  await collector?.close();
  collector = null;
});

/** An article about AI with a comment box: AI vocabulary, but no prompt box. */
const NEWS = `<!doctype html><html><head><title>AI stocks rally as chip makers report — Daily News</title></head>
<body><h1 id="vendor">AI stocks rally</h1><p>Markets…</p><textarea placeholder="Add a comment…"></textarea><button>Submit</button></body></html>`;
/** A shop's support chat: a message box and a send button, no AI signal. */
const SHOP = `<!doctype html><html><head><title>Garden Shop — Help</title></head>
<body><h1 id="vendor">Help</h1><textarea placeholder="Type a message to our team"></textarea><button>Send</button></body></html>`;
/** A listed tool (the catalogue's ChatGPT) looks like an AI tool too: it must not count as "discovered". */
const CHATGPT = `<!doctype html><html><head><title>ChatGPT</title></head>
<body><h1 id="vendor">ChatGPT</h1><div contenteditable="true" id="prompt-textarea"><p data-placeholder="Ask anything"></p></div><button aria-label="Send prompt">↑</button></body></html>`;

const HOSTS = [...DEFAULT_VENDOR_HOSTS, 'novaai.example', 'news.example', 'shop.example'];

async function vendorServer(): Promise<TestServer> {
  const server = await startServer((_req, url) => {
    const host = url.hostname;
    if (host.endsWith('novaai.example')) return { body: UNLISTED_AI_PAGE };
    if (host === 'news.example') return { body: NEWS };
    if (host === 'shop.example') return { body: SHOP };
    if (host === 'chatgpt.com') return { body: CHATGPT };
    return { body: '<!doctype html><title>x</title><h1 id="vendor">x</h1>' };
  });
  servers.push(server);
  return server;
}

async function setUp(unlistedAiAction: string, extraConfig: Record<string, unknown> = {}): Promise<{ b: Launched; vendor: TestServer }> {
  const vendor = await vendorServer();
  const key = await makeKey('compliance-2026');
  const policyServer = await startPolicyServer(await signPolicy(samplePolicy({ unlistedAiAction }), [key]));
  servers.push(policyServer);
  const out = join(mkdtempSync(join(tmpdir(), 'aig-discovery-')), 'events.sqlite');
  collector = await startCollector({ port: 0, out, log: false });
  writeManagedConfig({ office: 'NY', policyUrl: policyServer.url, trustedKeys: [key.publicJwk], auditUrl: collector.url, ...extraConfig });
  const b = await launchBrowser({ vendorPort: vendor.port, vendorHosts: HOSTS });
  browsers.push(b);
  await waitForManagedConfig(b.context, 'NY');
  await waitForPolicy(b.context, 42);
  return { b, vendor };
}

type Collected = { type: string; url: string | null; tool: string | null; rule: string | null; detail?: Record<string, unknown> };
function collected(): Collected[] {
  try {
    return collector!.events() as unknown as Collected[];
  } catch {
    return [];
  }
}
const discoveredEvents = () => collected().filter((e) => e.type === 'discovered-tool');

/**
 * Visit a page and stay on it as an employee would. `detector`: whether the detector must go in
 * (it waits until the page has stayed a moment), seen as the extension's isolated world appearing
 * in the page (CDP); null on a listed tool, where other content scripts of the extension may run.
 * Once it is in, focus the text box and give it its idle and 1.5 s re-checks.
 */
async function visitOrdinary(page: Page, url: string, detector: boolean | null): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  let injected = false;
  const inPage = new Promise<void>((resolve) => {
    cdp.on('Runtime.executionContextCreated', ({ context }) => {
      if (context.auxData?.type === 'isolated' && context.origin.includes(EXTENSION_ID)) {
        injected = true;
        resolve();
      }
    });
  });
  await cdp.send('Runtime.enable');
  await page.goto(url);
  await expect(page.locator('#vendor')).toBeVisible();
  if (detector) {
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no detector injected into ${url} within 10 s`)), 10_000));
    await Promise.race([inPage, timeout]);
  }
  await page.locator('textarea, [contenteditable]').first().focus();
  await page.waitForTimeout(2000);
  if (detector !== null) expect(injected, `detector injected into ${url}`).toBe(detector);
  await expect(page).toHaveURL(url);
  await cdp.detach();
}

test('an unlisted AI tool is discovered, reported with its origin and blocked; ordinary pages and listed tools are not', async () => {
  const { b, vendor } = await setUp('block');
  // Injected into loaded pages by the worker, never registered to run in every page.
  const registered = await b.sw.evaluate(() => chrome.scripting.getRegisteredContentScripts());
  expect(registered.flatMap((r) => r.js ?? [])).not.toContain('discovery.js');

  const page = await b.context.newPage();
  await visitOrdinary(page, 'https://news.example/markets/ai-rally', true);
  await visitOrdinary(page, 'https://shop.example/help', true);
  await visitOrdinary(page, 'https://chatgpt.com/', null); // listed: allowed for NY by the sample policy

  await page.goto('https://chat.novaai.example/c/1').catch(() => undefined);
  // The detector fires once the app renders its prompt box; the tab moves as a navigation would.
  await expect(page).toHaveURL(`${blockPageUrl}#https://chat.novaai.example/c/1`, { timeout: 15_000 });
  await expect(page.getByTestId('notice-title')).toHaveText('Unlisted AI tool');
  await expect(page.getByTestId('notice-reason')).toContainText('does not list');
  await expect(page.getByTestId('notice-reference')).toHaveText('AI policy 42: AI tools not on the list');
  await page.screenshot({ path: join(ROOT, 'docs/screenshots/block-unlisted-ai-tool.png') });

  // Reported to the collector: origin and signal names only, and nothing for the other pages.
  await expect.poll(() => discoveredEvents().length, { timeout: 30_000 }).toBe(1);
  const [found] = discoveredEvents();
  expect(found!.url).toBe('https://chat.novaai.example/');
  expect(found!.detail).toMatchObject({ host: 'chat.novaai.example', origin: 'https://chat.novaai.example', action: 'block', enforceable: true });
  expect(found!.detail!.signals).toEqual(expect.arrayContaining(['name', 'chat-input', 'send-button']));
  expect(JSON.stringify(found)).not.toContain('Ask NovaChat');
  // The block page's own event names the synthetic tool and rule.
  await expect.poll(() => collected().filter((e) => e.type === 'block').map((e) => `${e.tool} ${e.rule}`)).toContain('unlisted:chat.novaai.example UNLISTED-AI-TOOL');

  // From now on the network rules stop it before a byte leaves the browser, on every path and subdomain.
  const before = vendor.requestsFor('novaai.example').length;
  const again = await b.context.newPage();
  await again.goto('https://chat.novaai.example/settings').catch(() => undefined);
  await expect(again).toHaveURL(`${blockPageUrl}#https://chat.novaai.example/settings`);
  await again.goto('https://api.chat.novaai.example/v1/chat/completions').catch(() => undefined);
  await expect(again).toHaveURL(/block\.html/);
  expect(vendor.requestsFor('novaai.example').length).toBe(before);
  // Once a day per host: the second visit records a block, not another discovery.
  await page.waitForTimeout(1000);
  expect(discoveredEvents()).toHaveLength(1);
});

test('unlistedAiAction "warn" asks once, then lets the employee use the unlisted tool', async () => {
  const { b } = await setUp('warn');
  const page = await b.context.newPage();
  await page.goto('https://novaai.example/').catch(() => undefined);
  await expect(page).toHaveURL(`${warnPageUrl}#https://novaai.example/`, { timeout: 15_000 });
  await expect(page.getByTestId('notice-title')).toHaveText('Unlisted AI tool');
  await expect(page.getByTestId('notice-reason')).toContainText('do not enter client');
  await page.getByTestId('proceed').click();
  await expect(page).toHaveURL('https://novaai.example/');
  await expect(page.locator('textarea')).toBeVisible();
  await page.waitForTimeout(2000);
  await expect(page).toHaveURL('https://novaai.example/');
  await expect.poll(() => collected().map((e) => e.type), { timeout: 30_000 }).toEqual(expect.arrayContaining(['discovered-tool', 'warn-shown', 'warn-proceeded']));
  expect(discoveredEvents()[0]!.detail).toMatchObject({ host: 'novaai.example', action: 'warn' });
});

test('managed "discovery": false runs no detector, reports nothing and never applies unlistedAiAction', async () => {
  const { b } = await setUp('block', { discovery: false });
  const page = await b.context.newPage();
  await visitOrdinary(page, 'https://chat.novaai.example/', false);
  expect(discoveredEvents()).toEqual([]);
});
