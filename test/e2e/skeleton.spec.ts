/**
 * The walking skeleton, end to end: a signed policy, delivered through a real enterprise policy
 * file, blocks a forbidden AI tool before a single request reaches the vendor.
 */
import { expect, test } from '@playwright/test';
import {
  blockPageUrl,
  launchBrowser,
  makeKey,
  removeManagedConfig,
  samplePolicy,
  signPolicy,
  startPolicyServer,
  startServer,
  storedState,
  vendorPage,
  waitForManagedConfig,
  waitForPolicy,
  waitInWorker,
  writeManagedConfig,
  type Launched,
  type TestServer,
} from './harness.ts';

test.describe.configure({ mode: 'serial' });

let vendor: TestServer;
let browser: Launched | null = null;
const servers: TestServer[] = [];

test.beforeEach(async () => {
  vendor = await startServer(vendorPage);
  servers.push(vendor);
});

test.afterEach(async () => {
  await browser?.close();
  browser = null;
  removeManagedConfig();
  for (const s of servers.splice(0)) await s.close();
});

async function setUp(office: string, opts: { signWith?: 'trusted' | 'untrusted'; failMode?: 'closed' | 'open' } = {}) {
  const trusted = await makeKey('compliance-2026');
  const signer = opts.signWith === 'untrusted' ? await makeKey('attacker') : trusted;
  const policy = await startPolicyServer(await signPolicy(samplePolicy(), [signer]));
  servers.push(policy);
  writeManagedConfig({
    office,
    policyUrl: policy.url,
    trustedKeys: [trusted.publicJwk],
    failMode: opts.failMode ?? 'closed',
  });
  browser = await launchBrowser({ vendorPort: vendor.port });
  await waitForManagedConfig(browser.context, office);
  return { policy, trusted };
}

test('a Hong Kong employee who opens claude.ai lands on the block page and the vendor sees nothing', async () => {
  await setUp('HK');
  await waitForPolicy(browser!.context, 42);
  const page = await browser!.context.newPage();
  await page.goto('https://claude.ai/new?x=1').catch(() => undefined);
  await expect(page).toHaveURL(`${blockPageUrl}#https://claude.ai/new?x=1`);
  await expect(page.getByTestId('notice-title')).toHaveText('Do not use: Anthropic Claude');
  await expect(page.getByTestId('notice-reason')).toContainText('Greater China');
  await expect(page.getByTestId('notice-reference')).toContainText('CT-2026-014');
  await expect(page.getByTestId('notice-alternatives')).toContainText('Firm LLM Suite');
  // Subdomains too, typed by hand.
  await page.goto('http://www.claude.ai/').catch(() => undefined);
  await expect(page).toHaveURL(`${blockPageUrl}#http://www.claude.ai/`);
  expect(vendor.requestsFor('claude.ai', 'anthropic.com')).toEqual([]);
});

test('no request reaches a blocked vendor from an iframe or a fetch on another site', async () => {
  await setUp('HK');
  await waitForPolicy(browser!.context, 42);
  vendor.route((_req, url) =>
    url.hostname === 'other.example' && url.pathname === '/embed'
      ? {
          body: '<!doctype html><title>embed</title><iframe src="https://claude.ai/embed"></iframe><img src="https://claude.ai/pixel.png">',
        }
      : undefined,
  );
  const page = await browser!.context.newPage();
  await page.goto('https://other.example/embed');
  await expect(page.locator('iframe')).toHaveCount(1);
  const fetched = await page.evaluate(async () => {
    try {
      await fetch('https://claude.ai/api/organizations', { mode: 'no-cors' });
      return 'reached';
    } catch (e) {
      return `failed: ${(e as Error).message}`;
    }
  });
  expect(fetched).toMatch(/^failed/);
  // Nothing left in flight: goto waited for the load event, which waits for the frame and the image
  // (loaded or refused), and the fetch was awaited. Had any of them reached claude.ai, it is recorded.
  expect(vendor.requestsFor('other.example').length).toBeGreaterThan(0);
  expect(vendor.requestsFor('claude.ai', 'anthropic.com')).toEqual([]);
});

test('a New York employee reaches the vendor page', async () => {
  await setUp('NY');
  await waitForPolicy(browser!.context, 42);
  const page = await browser!.context.newPage();
  await page.goto('https://claude.ai/');
  await expect(page.locator('#vendor')).toHaveText('Vendor page claude.ai/');
  expect(vendor.requestsFor('claude.ai').length).toBeGreaterThan(0);
});

test('a policy signed by an untrusted key is refused and the refusal is explained', async () => {
  await setUp('HK', { signWith: 'untrusted' });
  const state = await waitInWorker(
    browser!.context,
    () => chrome.storage.local.get(['lastRefusal', 'policyRecord']),
    (v) => !!(v as { lastRefusal?: unknown }).lastRefusal,
    'the refusal to be recorded',
  );
  expect(state.policyRecord ?? null).toBeNull();
  expect((state.lastRefusal as { code: string; message: string }).code).toBe('untrusted-key');
  expect((state.lastRefusal as { message: string }).message).toContain('attacker');
  // fail closed: with no valid policy every catalogue tool is blocked, and the page says why.
  const page = await browser!.context.newPage();
  await expect
    .poll(async () => {
      await page.goto('https://claude.ai/').catch(() => undefined);
      return page.url();
    })
    .toBe(`${blockPageUrl}#https://claude.ai/`);
  expect(vendor.requestsFor('claude.ai')).toEqual([]);
  expect(Object.keys(await storedState(browser!.context))).toContain('lastRefusal');
});
