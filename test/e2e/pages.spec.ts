/**
 * The pages an employee reads: the block page, the warn page with its acknowledgement, and the
 * popup, driven through the built extension in real Chromium with a real signed policy. Each page
 * is checked with axe in light and dark themes, and screenshots go to docs/screenshots/.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  blockPageUrl, launchBrowser, makeKey, popupUrl, removeManagedConfig, ROOT, samplePolicy, signPolicy, startPolicyServer,
  startServer, vendorPage, waitForManagedConfig, waitForPolicy, warnPageUrl, writeManagedConfig, type Launched, type TestServer,
} from './harness.ts';

test.describe.configure({ mode: 'serial' });

const SHOTS = join(ROOT, 'docs/screenshots');
mkdirSync(SHOTS, { recursive: true });

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

/** The harness policy, with a warn rule that asks for a justification and speaks Chinese too. */
function pagesPolicy(): Record<string, unknown> {
  const base = samplePolicy();
  const rules = (base.rules as Record<string, unknown>[]).map((rule) =>
    rule.id === 'NON-US-ANTHROPIC'
      ? {
          ...rule,
          allowForMinutes: 480,
          requireJustification: true,
          notice: {
            title: { en: 'Check before use: Anthropic Claude', 'zh-Hant': '使用前請先確認：Anthropic Claude' },
            reason: {
              en: 'Outside the United States, Claude is approved only for public, non-client information.',
              'zh-Hant': '在美國以外，Claude 僅獲准用於公開、非客戶的資料。',
            },
            reference: 'Compliance memo CT-2026-011',
            effective: '2026-11-01',
            alternatives: ['firm-llm'],
          },
        }
      : rule,
  );
  return { ...base, rules: [...rules, { id: 'FIRM-LLM-APPROVED', tools: ['firm-llm'], action: 'allow' }] };
}

async function setUp(office: string, opts: { locale?: string; signWith?: 'trusted' | 'untrusted' } = {}) {
  const trusted = await makeKey('compliance-2026');
  const signer = opts.signWith === 'untrusted' ? await makeKey('attacker') : trusted;
  const policy = await startPolicyServer(await signPolicy(pagesPolicy(), [signer]));
  servers.push(policy);
  writeManagedConfig({ office, policyUrl: policy.url, trustedKeys: [trusted.publicJwk], failMode: 'closed' });
  browser = await launchBrowser({ vendorPort: vendor.port, ...(opts.locale ? { locale: opts.locale } : {}) });
  await waitForManagedConfig(browser.context, office);
  if (opts.signWith !== 'untrusted') await waitForPolicy(browser.context, 42);
  return browser;
}

/** Navigate to a vendor URL; a DNR redirect aborts the original navigation, which is expected. */
async function visit(page: Page, url: string) {
  await page.goto(url).catch(() => undefined);
}

/** axe finds nothing in the light and the dark theme. */
async function expectAccessible(page: Page) {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    const { violations } = await new AxeBuilder({ page }).analyze();
    expect(violations.map((v) => `${colorScheme}: ${v.id} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

async function shoot(page: Page, name: string, width = 960) {
  await page.setViewportSize({ width, height: 800 });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function openPopup(b: Launched, width = 400): Promise<Page> {
  const popup = await b.context.newPage();
  await popup.setViewportSize({ width, height: 800 });
  await popup.goto(popupUrl);
  await expect(popup.getByTestId('site-status')).toBeVisible();
  return popup;
}

test('block page: a Hong Kong employee on claude.ai reads the whole notice', async () => {
  const b = await setUp('HK');
  const page = await b.context.newPage();
  await visit(page, 'https://claude.ai/new?draft=1');
  await expect(page).toHaveURL(`${blockPageUrl}#https://claude.ai/new?draft=1`);

  await expect(page.getByTestId('notice-title')).toHaveText('Do not use: Anthropic Claude');
  await expect(page.getByTestId('notice-reason')).toHaveText("The vendor's licence terms restrict use from Greater China.");
  await expect(page.getByTestId('notice-reference')).toHaveText('Compliance memo CT-2026-014');
  await expect(page.getByTestId('notice-contact')).toHaveAttribute('href', 'mailto:ai-governance@bank.example');
  const alternative = page.getByTestId('notice-alternatives').getByRole('link', { name: /Firm LLM Suite/ });
  await expect(alternative).toHaveAttribute('href', 'https://llm.bank.example/');
  await expect(page.getByTestId('office-name')).toHaveText('Hong Kong (HK)');
  await expect(page.getByTestId('policy-serial')).toHaveText('42');
  await expect(page.getByTestId('policy-status')).toContainText('Verified');
  await expect(page.getByTestId('proceed')).toHaveCount(0);
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Do not use: Anthropic Claude');
  await expect(page.getByText('https://claude.ai/new?draft=1')).toBeVisible();
  await expect(page.getByText('November 20, 2026')).toBeVisible();
  await expect(page).toHaveTitle('Do not use: Anthropic Claude · AI Geofence');

  // The skeleton reserves the space: content arriving does not push anything around.
  const shift = await page.evaluate(
    () =>
      new Promise<number>((done) => {
        let total = 0;
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) total += (e as PerformanceEntry & { value: number }).value;
        }).observe({ type: 'layout-shift', buffered: true });
        setTimeout(() => done(total), 200);
      }),
  );
  expect(shift).toBeLessThan(0.01);

  await expectAccessible(page);
  await shoot(page, 'block-en');
  // Readable at 320 px: nothing wider than the viewport.
  await page.setViewportSize({ width: 320, height: 640 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);
  expect(vendor.requestsFor('claude.ai')).toEqual([]);
});

test('block page refuses to treat a crafted fragment as an address', async () => {
  const b = await setUp('HK');
  const page = await b.context.newPage();
  await page.goto(`${warnPageUrl}#javascript:alert(1)`);
  await expect(page.getByRole('alert')).toContainText('without a valid web address');
  await expect(page.getByTestId('proceed')).toHaveCount(0);
});

test('warn page: a London employee must justify, then proceeds to the vendor', async () => {
  const b = await setUp('LDN');
  const page = await b.context.newPage();
  await visit(page, 'https://claude.ai/chat');
  await expect(page).toHaveURL(`${warnPageUrl}#https://claude.ai/chat`);

  await expect(page.getByTestId('notice-title')).toHaveText('Check before use: Anthropic Claude');
  await expect(page.getByTestId('notice-reason')).toContainText('non-client information');
  await expect(page.getByTestId('notice-reference')).toHaveText('Compliance memo CT-2026-011');
  await expect(page.getByTestId('notice-contact')).toHaveText('ai-governance@bank.example');
  await expect(page.getByTestId('notice-alternatives')).toContainText('Firm LLM Suite');
  await expect(page.getByTestId('office-name')).toHaveText('London (LDN)');
  await expect(page.getByTestId('policy-serial')).toHaveText('42');
  await expect(page.getByTestId('policy-status')).toContainText('Verified');
  await expect(page.getByText('lasts 8 hours')).toBeVisible();
  await expectAccessible(page);
  await shoot(page, 'warn-en');

  const proceed = page.getByTestId('proceed');
  await expect(proceed).toHaveText('I understand, continue to claude.ai');
  await proceed.click();
  await expect(page.getByRole('alert')).toHaveText('Write a short reason before you continue.');
  await expect(page.getByLabel('Why do you need this tool here? (required)')).toBeFocused();
  expect(page.url()).toBe(`${warnPageUrl}#https://claude.ai/chat`);
  expect(vendor.requestsFor('claude.ai')).toEqual([]);

  await page.getByLabel('Why do you need this tool here? (required)').fill('Summarising a public press release');
  await proceed.click();
  await expect(page).toHaveURL('https://claude.ai/chat');
  await expect(page.locator('#vendor')).toHaveText('Vendor page claude.ai/chat');
});

test('popup: office, this site, notices, approved tools, policy and help-desk details', async () => {
  const b = await setUp('HK');
  const site = await b.context.newPage();
  await visit(site, 'https://claude.ai/new');
  await expect(site).toHaveURL(`${blockPageUrl}#https://claude.ai/new`);

  // Opened as a tab, the popup explains the most recently used other tab: the blocked claude.ai.
  const popup = await openPopup(b);
  await expect(popup.getByTestId('office-name')).toHaveText('Hong Kong (HK)');
  await expect(popup.getByTestId('site-status')).toHaveText('Blocked by rule HK-ANTHROPIC-2026-11');
  await expect(popup.getByTestId('notice-title')).toHaveText('Do not use: Anthropic Claude');
  await expect(popup.getByTestId('policy-serial')).toHaveText('42');
  await expect(popup.getByTestId('policy-status')).toContainText('Verified');
  const notices = popup.getByRole('region', { name: 'Notices for your office' });
  await expect(notices).toContainText('Do not use: Anthropic Claude');
  await expect(notices).toContainText('Compliance memo CT-2026-014');
  await expect(popup.getByRole('region', { name: 'Approved AI tools' }).getByRole('link', { name: /Firm LLM Suite/ })).toBeVisible();
  await expect(popup.getByRole('region', { name: 'Policy' })).toContainText('Example Bank — Global Compliance');
  await expect(popup.getByRole('region', { name: 'Audit trail' })).toContainText('Events waiting to be sent');

  await expectAccessible(popup);
  await shoot(popup, 'popup-en', 400);

  await b.context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await popup.getByRole('button', { name: 'Copy details for the help desk' }).click();
  await expect(popup.getByRole('status').filter({ hasText: /Copied|Copying is not allowed/ })).toBeVisible();
  const copied = (await popup.getByText('Copied.').count())
    ? await popup.evaluate(() => navigator.clipboard.readText())
    : await popup.locator('textarea').inputValue();
  expect(copied).toContain('Office: Hong Kong (HK)');
  expect(copied).toContain('Site: https://claude.ai/new');
  expect(copied).toContain('Decision: block');
  expect(copied).toContain('Policy: serial 42');
  expect(copied).toMatch(/Extension version: \d+\.\d+\.\d+/);

  // A site that is not an AI tool.
  await popup.goto(`${popupUrl}?tabUrl=${encodeURIComponent('https://other.example/')}`);
  await expect(popup.getByTestId('site-status')).toHaveText('Not an AI tool');
});

test('Traditional Chinese for a zh-HK browser: block page and popup', async () => {
  const b = await setUp('HK', { locale: 'zh-HK' });
  const page = await b.context.newPage();
  await visit(page, 'https://claude.ai/');
  await expect(page).toHaveURL(`${blockPageUrl}#https://claude.ai/`);
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-Hant');
  await expect(page.getByTestId('notice-title')).toHaveText('請勿使用：Anthropic Claude');
  await expect(page.getByRole('heading', { name: '請改用' })).toBeVisible();
  await expect(page.getByTestId('policy-status')).toContainText('已驗證');
  // A notice text without a Chinese version stays English, marked as such for screen readers.
  await expect(page.getByTestId('notice-reason')).not.toHaveAttribute('lang', 'zh-Hant');
  await expectAccessible(page);
  await shoot(page, 'block-zh-Hant');

  const popup = await openPopup(b);
  await expect(popup.getByTestId('site-status')).toHaveText('已封鎖（規則 HK-ANTHROPIC-2026-11）');
  await shoot(popup, 'popup-zh-Hant', 400);
});

test('Traditional Chinese warn page for a London employee with a zh-HK browser', async () => {
  const b = await setUp('LDN', { locale: 'zh-HK' });
  const page = await b.context.newPage();
  await visit(page, 'https://claude.ai/');
  await expect(page).toHaveURL(`${warnPageUrl}#https://claude.ai/`);
  await expect(page.getByTestId('notice-title')).toHaveText('使用前請先確認：Anthropic Claude');
  await expect(page.getByTestId('proceed')).toHaveText('我了解，繼續前往 claude.ai');
  await expect(page.getByText('有效期為 8 小時')).toBeVisible();
  await expectAccessible(page);
  await shoot(page, 'warn-zh-Hant');
});

test('fail-closed: with no valid policy the block page says what happened and whom to tell', async () => {
  const b = await setUp('HK', { signWith: 'untrusted' });
  const page = await b.context.newPage();
  await expect
    .poll(async () => {
      await visit(page, 'https://claude.ai/');
      return page.url();
    })
    .toBe(`${blockPageUrl}#https://claude.ai/`);
  await expect(page.getByTestId('notice-title')).toHaveText('All AI tools are paused on this computer');
  await expect(page.getByTestId('notice-reason')).toContainText('no valid AI-access policy');
  await expect(page.getByTestId('notice-reason')).toContainText('The latest policy was refused');
  await expect(page.getByTestId('notice-reason')).toContainText('This is not something you did');
  await expect(page.getByTestId('notice-contact')).toHaveText('your IT help desk');
  await expect(page.getByTestId('policy-status')).toContainText('fail-closed');
  await expect(page.getByTestId('policy-status')).toContainText('Latest update refused');
  await expectAccessible(page);
  await shoot(page, 'block-fail-closed-en');

  const popup = await openPopup(b);
  await expect(popup.getByTestId('site-status')).toHaveText('Blocked: no valid policy');
  await expect(popup.getByTestId('policy-status')).toContainText('Latest update refused');
  await expect(popup.getByTestId('policy-serial')).toHaveText('Not given');
});
