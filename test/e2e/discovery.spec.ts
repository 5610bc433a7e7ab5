/**
 * Discovery of unlisted AI tools (docs/beyond-domains.md#discovery-of-unlisted-ai-tools) in real Chromium: a fake AI assistant that neither the
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
  blockPageUrl,
  DEFAULT_VENDOR_HOSTS,
  ROOT,
  launchBrowser,
  makeKey,
  samplePolicy,
  serviceWorker,
  signPolicy,
  startPolicyServer,
  startServer,
  storedState,
  trackForCleanup,
  waitForManagedConfig,
  waitForPolicy,
  warnPageUrl,
  writeManagedConfig,
  type Launched,
  type TestServer,
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

async function setUp(
  unlistedAiAction: string,
  extraConfig: Record<string, unknown> = {},
): Promise<{ b: Launched; vendor: TestServer }> {
  const vendor = await vendorServer();
  const key = await makeKey('compliance-2026');
  const policyServer = await startPolicyServer(await signPolicy(samplePolicy({ unlistedAiAction }), [key]));
  servers.push(policyServer);
  const out = join(mkdtempSync(join(tmpdir(), 'aig-discovery-')), 'events.sqlite');
  collector = await startCollector({ port: 0, out, log: false });
  writeManagedConfig({
    office: 'NY',
    policyUrl: policyServer.url,
    trustedKeys: [key.publicJwk],
    auditUrl: collector.url,
    ...extraConfig,
  });
  const b = await launchBrowser({ vendorPort: vendor.port, vendorHosts: HOSTS });
  browsers.push(b);
  await waitForManagedConfig(b.context, 'NY');
  await waitForPolicy(b.context, 42);
  return { b, vendor };
}

type Collected = {
  type: string;
  url: string | null;
  tool: string | null;
  rule: string | null;
  detail?: Record<string, unknown>;
};
function collected(): Collected[] {
  try {
    return collector!.events() as unknown as Collected[];
  } catch {
    return [];
  }
}
const discoveredEvents = () => collected().filter((e) => e.type === 'discovered-tool');

/** Whether the detector has started (and so made its first check) in the tab showing `url`. */
async function detectorStarted(b: Launched, url: string): Promise<boolean> {
  return (await serviceWorker(b.context)).evaluate(async (u) => {
    const [tab] = await chrome.tabs.query({ url: u });
    if (tab?.id === undefined) return false;
    // The extension's isolated world, which the detector shares with every script of ours.
    const [run] = await chrome.scripting.executeScript({
      target: { tabId: tab.id },
      func: () => (globalThis as { aiGeofenceDiscovery?: boolean }).aiGeofenceDiscovery === true,
    });
    return run?.result === true;
  }, url);
}

type Answer = { ok: boolean; listed: boolean; action: string | null };
/**
 * Send the detector's report from the tab showing `url`, from its world and with the signals of an
 * AI tool, and return the worker's answer: it comes once the worker has recorded, stored and
 * enforced whatever the report makes it do. The worker answers in an envelope, `{ value }` or
 * `{ error }` (src/platform/browser.ts); a refusal fails the test with its reason.
 */
async function reportFrom(b: Launched, url: string): Promise<Answer> {
  const envelope = await (await serviceWorker(b.context)).evaluate(async (u) => {
    const [tab] = await chrome.tabs.query({ url: u });
    const [run] = await chrome.scripting.executeScript({
      target: { tabId: tab!.id! },
      func: () => chrome.runtime.sendMessage({ type: 'discovered', signals: ['name', 'chat-input', 'send-button'] }),
    });
    return run!.result as { value: Answer } | { error: string };
  }, url);
  if ('error' in envelope) throw new Error(`the worker refused the report: ${envelope.error}`);
  return envelope.value;
}

/**
 * Visit an ordinary page and give the detector its chances: once it has started (the worker
 * injects it after the page has stayed a second) it checks at once on a focus in the text box. These pages are static, so its
 * later re-checks see the same page; a report it made is recorded before the unlisted tool's.
 */
async function visitOrdinary(b: Launched, page: Page, url: string): Promise<void> {
  await page.goto(url);
  await expect(page.locator('#vendor')).toBeVisible();
  await expect.poll(() => detectorStarted(b, url), { timeout: 15_000 }).toBe(true);
  await page.locator('textarea, [contenteditable]').first().focus();
  await expect(page).toHaveURL(url);
}

test('an unlisted AI tool is discovered, reported with its origin and blocked; ordinary pages and listed tools are not', async () => {
  const { b, vendor } = await setUp('block');
  // Injected into loaded pages by the worker, never registered to run in every page.
  const registered = await b.sw.evaluate(() => chrome.scripting.getRegisteredContentScripts());
  expect(registered.flatMap((r) => r.js ?? [])).not.toContain('discovery.js');

  const page = await b.context.newPage();
  await visitOrdinary(b, page, 'https://news.example/markets/ai-rally');
  await visitOrdinary(b, page, 'https://shop.example/help');
  // A listed tool (allowed for NY by the sample policy) gets no detector; one that reported from it
  // anyway would be told it is listed, and nothing is recorded.
  await page.goto('https://chatgpt.com/');
  await expect(page.locator('#vendor')).toBeVisible();
  expect(await reportFrom(b, 'https://chatgpt.com/')).toEqual({ ok: true, listed: true, action: null });
  await expect(page).toHaveURL('https://chatgpt.com/');

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
  expect(found!.detail).toMatchObject({
    host: 'chat.novaai.example',
    origin: 'https://chat.novaai.example',
    action: 'block',
    enforceable: true,
  });
  expect(found!.detail!.signals).toEqual(expect.arrayContaining(['name', 'chat-input', 'send-button']));
  expect(JSON.stringify(found)).not.toContain('Ask NovaChat');
  // The block page's own event names the synthetic tool and rule.
  await expect
    .poll(() =>
      collected()
        .filter((e) => e.type === 'block')
        .map((e) => `${e.tool} ${e.rule}`),
    )
    .toContain('unlisted:chat.novaai.example UNLISTED-AI-TOOL');

  // From now on the network rules stop it before a byte leaves the browser, on every path and subdomain.
  const before = vendor.requestsFor('novaai.example').length;
  const again = await b.context.newPage();
  await again.goto('https://chat.novaai.example/settings').catch(() => undefined);
  await expect(again).toHaveURL(`${blockPageUrl}#https://chat.novaai.example/settings`);
  await again.goto('https://api.chat.novaai.example/v1/chat/completions').catch(() => undefined);
  await expect(again).toHaveURL(/block\.html/);
  expect(vendor.requestsFor('novaai.example').length).toBe(before);
  // Once a day per host: the second visit records a block, not another discovery. Events reach the
  // collector in the order they were recorded, so once that block is there, so is any discovery before it.
  await expect
    .poll(
      () =>
        collected()
          .filter((e) => e.type === 'block')
          .map((e) => e.url),
      { timeout: 30_000 },
    )
    .toContain('https://chat.novaai.example/settings');
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
  // The host is now enforced as a tool, so it gets no detector; a report from it anyway is answered
  // (after the worker applied whatever it decided) without moving the tab back to the warning.
  expect(await reportFrom(b, 'https://novaai.example/')).toEqual({ ok: true, listed: false, action: 'warn' });
  await expect(page).toHaveURL('https://novaai.example/');
  await expect
    .poll(() => collected().map((e) => e.type), { timeout: 30_000 })
    .toEqual(expect.arrayContaining(['discovered-tool', 'warn-shown', 'warn-proceeded']));
  expect(discoveredEvents()[0]!.detail).toMatchObject({ host: 'novaai.example', action: 'warn' });
});

test('managed "discovery": false runs no detector, reports nothing and never applies unlistedAiAction', async () => {
  const { b } = await setUp('block', { discovery: false });
  const page = await b.context.newPage();
  await page.goto('https://chat.novaai.example/');
  await expect(page.locator('textarea')).toBeVisible();
  // A report that reached the worker anyway is refused before anything is stored or recorded.
  expect(await reportFrom(b, 'https://chat.novaai.example/')).toEqual({ ok: false, listed: false, action: null });
  expect((await storedState(b.context)).discovered ?? {}).toEqual({});
  expect(await detectorStarted(b, 'https://chat.novaai.example/')).toBe(false);
  await expect(page).toHaveURL('https://chat.novaai.example/');
  expect(discoveredEvents()).toEqual([]);
});
