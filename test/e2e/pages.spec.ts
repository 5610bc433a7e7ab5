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
  blockPageUrl,
  launchBrowser,
  makeKey,
  popupUrl,
  removeManagedConfig,
  ROOT,
  samplePolicy,
  signPolicy,
  startPolicyServer,
  startServer,
  vendorPage,
  waitForManagedConfig,
  waitForPolicy,
  warnPageUrl,
  writeManagedConfig,
  type Launched,
  type TestServer,
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

const DAY = 24 * 3600 * 1000;
/** 09:00 in Hong Kong and Taipei (UTC+8), three days from now: when the upcoming notice starts. */
const UPCOMING_FROM = new Date(Math.floor(Date.now() / DAY) * DAY + 3 * DAY + 3600 * 1000).toISOString();
const EXCEPTION_FORM = 'https://it.bank.example/ai/exceptions/new';

/**
 * The harness policy as compliance writes it for Hong Kong: office names and every notice text in
 * English, Hong Kong Chinese (zh-HK) and Taiwan's (zh-Hant), where to request an exception, a warn
 * rule that asks for a justification, and a block of ChatGPT that starts in three days.
 */
function pagesPolicy(): Record<string, unknown> {
  const base = samplePolicy();
  const names: Record<string, string> = { HK: '香港', NY: '紐約', LDN: '倫敦' };
  const offices = Object.fromEntries(
    Object.entries(base.offices as Record<string, { name: string }>).map(([code, o]) => [
      code,
      { ...o, name: { en: o.name, 'zh-Hant': names[code] } },
    ]),
  );
  const rules = (base.rules as Record<string, unknown>[]).map((rule) =>
    rule.id === 'NON-US-ANTHROPIC'
      ? {
          ...rule,
          allowForMinutes: 480,
          requireJustification: true,
          notice: {
            title: {
              en: 'Check before use: Anthropic Claude',
              'zh-HK': '使用前請先確認：Anthropic Claude',
              'zh-Hant': '使用前請先確認：Anthropic Claude',
            },
            reason: {
              en: 'Outside the United States, Claude is approved only for public, non-client information.',
              'zh-HK': '在美國以外，Claude 只獲批准用於公開及非客戶資料。',
              'zh-Hant': '在美國以外，Claude 僅核准用於公開、非客戶的資訊。',
            },
            reference: {
              en: 'Compliance memo CT-2026-011',
              'zh-HK': '合規備忘錄 CT-2026-011',
              'zh-Hant': '法遵備忘錄 CT-2026-011',
            },
            effective: '2026-11-01',
            alternatives: ['firm-llm'],
          },
        }
      : rule.id === 'HK-ANTHROPIC-2026-11'
        ? {
            ...rule,
            notice: {
              ...(rule.notice as object),
              title: {
                en: 'Do not use: Anthropic Claude',
                'zh-HK': '請勿使用：Anthropic Claude',
                'zh-Hant': '請勿使用：Anthropic Claude',
              },
              reason: {
                en: "The vendor's licence terms restrict use from Greater China.",
                'zh-HK': '供應商的許可條款限制在大中華地區使用。',
                'zh-Hant': '供應商的授權條款限制在大中華地區使用。',
              },
              reference: {
                en: 'Compliance memo CT-2026-014',
                'zh-HK': '合規備忘錄 CT-2026-014',
                'zh-Hant': '法遵備忘錄 CT-2026-014',
              },
            },
          }
        : rule,
  );
  const upcoming = {
    id: 'HK-OPENAI-NEXT',
    tools: ['chatgpt'],
    offices: ['HK'],
    action: 'block',
    from: UPCOMING_FROM,
    notice: {
      title: { en: 'Do not use: ChatGPT', 'zh-HK': '請勿使用：ChatGPT', 'zh-Hant': '請勿使用：ChatGPT' },
      reason: { en: 'New vendor terms.', 'zh-HK': '供應商條款有變。', 'zh-Hant': '供應商條款變更。' },
      reference: {
        en: 'Compliance memo CT-2026-019',
        'zh-HK': '合規備忘錄 CT-2026-019',
        'zh-Hant': '法遵備忘錄 CT-2026-019',
      },
    },
  };
  return {
    ...base,
    offices,
    exceptionRequestUrl: EXCEPTION_FORM,
    rules: [...rules, upcoming, { id: 'FIRM-LLM-APPROVED', tools: ['firm-llm'], action: 'allow' }],
  };
}

/**
 * Configuration words: managed keys, fail modes, signing and collector terms, rule ids. None may
 * appear in what an employee sees (they stay in the help-desk details, behind a disclosure).
 */
const CONFIG_WORDS = [
  'policyUrl',
  'trustedKeys',
  'auditUrl',
  'failMode',
  'fail-closed',
  'fail-open',
  'managed',
  'JWS',
  'kid',
  'collector',
  'sha256',
  'Fingerprint',
  '指紋',
  '金鑰',
  '密鑰',
  'HK-ANTHROPIC-2026-11',
  'NON-US-ANTHROPIC',
  'HK-OPENAI-NEXT',
  'attacker',
  'does not verify',
  'bad-signature',
];

/** What the employee sees (rendered text: a closed disclosure's content is not part of it). */
async function expectNoConfigurationWords(page: Page) {
  const seen = await page.locator('body').innerText();
  expect(
    CONFIG_WORDS.filter((w) => seen.includes(w)),
    seen,
  ).toEqual([]);
}

async function setUp(
  office: string,
  opts: { locale?: string; timezoneId?: string; signWith?: 'trusted' | 'untrusted' } = {},
) {
  const trusted = await makeKey('compliance-2026');
  const signer = opts.signWith === 'untrusted' ? await makeKey('attacker') : trusted;
  const policy = await startPolicyServer(await signPolicy(pagesPolicy(), [signer]));
  servers.push(policy);
  writeManagedConfig({ office, policyUrl: policy.url, trustedKeys: [trusted.publicJwk], failMode: 'closed' });
  browser = await launchBrowser({
    vendorPort: vendor.port,
    // The browser's own UI language follows the employee's too (`--lang`), as on a Hong Kong desk.
    ...(opts.locale ? { locale: opts.locale, args: [`--lang=${opts.locale}`] } : {}),
    ...(opts.timezoneId ? { timezoneId: opts.timezoneId } : {}),
  });
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
    expect(
      violations.map((v) => `${colorScheme}: ${v.id} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    ).toEqual([]);
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
  await expect(page.getByTestId('notice-reason')).toHaveText(
    "The vendor's licence terms restrict use from Greater China.",
  );
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
  await expect(page.getByTestId('exception-request')).toHaveAttribute(
    'href',
    `${EXCEPTION_FORM}?tool=claude&rule=HK-ANTHROPIC-2026-11&office=HK`,
  );
  await expectNoConfigurationWords(page);

  // The skeleton reserves the space: content arriving does not push anything around.
  // Every shift so far: a buffered observer holds them as soon as it observes, no need to wait for its callback.
  const shift = await page.evaluate(() => {
    const observer = new PerformanceObserver(() => undefined);
    observer.observe({ type: 'layout-shift', buffered: true });
    const entries = observer.takeRecords() as Array<PerformanceEntry & { value: number }>;
    observer.disconnect();
    return entries.reduce((total, e) => total + e.value, 0);
  });
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
  await expect(popup.getByTestId('site-status')).toHaveText('Blocked by company policy');
  await expect(popup.getByTestId('notice-title')).toHaveText('Do not use: Anthropic Claude');
  await expect(popup.getByTestId('policy-serial')).toHaveText('42');
  await expect(popup.getByTestId('policy-status')).toContainText('Verified');
  const notices = popup.getByRole('region', { name: 'Notices for your office' });
  await expect(notices).toContainText('Do not use: Anthropic Claude');
  await expect(notices).toContainText('Compliance memo CT-2026-014');
  await expect(
    popup.getByRole('region', { name: 'Approved AI tools' }).getByRole('link', { name: /Firm LLM Suite/ }),
  ).toBeVisible();
  await expect(popup.getByRole('region', { name: 'Policy' })).toContainText('Example Bank — Global Compliance');
  await expect(popup.getByRole('region', { name: 'Audit trail' })).toContainText('Events waiting to be sent');
  await expect(popup.getByTestId('upcoming-notices')).toContainText('Do not use: ChatGPT');
  await expectNoConfigurationWords(popup);

  await expectAccessible(popup);
  await shoot(popup, 'popup-en', 400);

  await b.context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await popup.getByRole('button', { name: 'Copy details for the help desk' }).click();
  await expect(popup.getByRole('status').filter({ hasText: /Copied|Copying is not allowed/ })).toBeVisible();
  const copied = (await popup.getByText('Copied.').count())
    ? await popup.evaluate(() => navigator.clipboard.readText())
    : await popup.getByTestId('help-desk-details').locator('pre').innerText();
  // The same text is behind the "Details for the help desk" disclosure.
  expect(await popup.getByTestId('help-desk-details').locator('pre').textContent()).toContain(
    'Decision: block (basis rule; rule HK-ANTHROPIC-2026-11; tool claude)',
  );
  expect(copied).toContain('Office: Hong Kong (HK)');
  expect(copied).toContain('Site: https://claude.ai/new');
  expect(copied).toContain('Decision: block');
  expect(copied).toContain('Policy: serial 42');
  expect(copied).toMatch(/Extension version: \d+\.\d+\.\d+/);

  // A site that is not an AI tool.
  await popup.goto(`${popupUrl}?tabUrl=${encodeURIComponent('https://other.example/')}`);
  await expect(popup.getByTestId('site-status')).toHaveText('Not an AI tool');
});

test('Hong Kong Chinese for a zh-HK browser: block page and popup in Hong Kong usage', async () => {
  const b = await setUp('HK', { locale: 'zh-HK', timezoneId: 'Asia/Hong_Kong' });
  const page = await b.context.newPage();
  await visit(page, 'https://claude.ai/');
  await expect(page).toHaveURL(`${blockPageUrl}#https://claude.ai/`);
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-HK');
  // The policy's Hong Kong texts, the office in Chinese, Hong Kong words around them.
  await expect(page.getByTestId('notice-title')).toHaveText('請勿使用：Anthropic Claude');
  await expect(page.getByTestId('notice-reason')).toHaveText('供應商的許可條款限制在大中華地區使用。');
  await expect(page.getByTestId('notice-reason')).toHaveAttribute('lang', 'zh-HK');
  await expect(page.getByTestId('notice-reference')).toHaveText('合規備忘錄 CT-2026-014');
  await expect(page.getByTestId('office-name')).toHaveText('香港 (HK)');
  await expect(page.getByRole('heading', { name: '請改用' })).toBeVisible();
  await expect(page.getByText('查詢：')).toBeVisible();
  await expect(page.getByTestId('policy-status')).toContainText('已核實');
  await expect(page.getByText('已根據公司政策封鎖')).toBeVisible();
  const request = page.getByTestId('exception-request');
  await expect(request).toHaveText('申請豁免');
  await expect(request).toHaveAttribute('href', `${EXCEPTION_FORM}?tool=claude&rule=HK-ANTHROPIC-2026-11&office=HK`);
  await expectNoConfigurationWords(page);
  // Taiwan's words have no place here.
  expect(await page.locator('body').innerText()).not.toMatch(/聯絡窗口|簽章|稽核|我了解|已驗證/);
  await expectAccessible(page);
  await shoot(page, 'block-zh-HK');

  // A vendor frame embedded in another site becomes a small notice, in Hong Kong usage too.
  const host = await b.context.newPage();
  await host.goto('https://other.example/embeds-claude');
  await host.setContent('<iframe src="https://claude.ai/embed" title="embedded claude.ai"></iframe>');
  const frame = host.frameLocator('iframe[title="embedded claude.ai"]');
  await expect(frame.getByTestId('embedded-notice')).toContainText('請勿使用：Anthropic Claude');
  await expect(frame.getByTestId('embedded-notice')).toContainText('已根據公司政策封鎖');
  await expect(frame.locator('html')).toHaveAttribute('lang', 'zh-HK');
  await host.close();

  const popup = await openPopup(b);
  await expect(popup.locator('html')).toHaveAttribute('lang', 'zh-HK');
  await expect(popup.getByTestId('site-status')).toHaveText('已封鎖（按公司政策）');
  await expect(popup.getByTestId('office-name')).toHaveText('香港 (HK)');
  await expect(popup.getByRole('region', { name: '審計記錄' })).toBeVisible();
  // The ChatGPT block that starts in three days, at 09:00 in the employee's time zone (Hong Kong).
  const upcoming = popup.getByTestId('upcoming-notices');
  await expect(upcoming).toContainText('未來 14 日內生效');
  await expect(upcoming).toContainText('將被封鎖');
  await expect(upcoming).toContainText('請勿使用：ChatGPT');
  await expect(upcoming).toContainText('合規備忘錄 CT-2026-019');
  await expect(upcoming).toContainText('09:00');
  await expect(upcoming).toContainText(`${new Date(UPCOMING_FROM).getUTCDate()}日`);
  await expectNoConfigurationWords(popup);
  expect(await popup.locator('body').innerText()).not.toMatch(/聯絡窗口|簽章|稽核|我了解|已驗證/);
  await expectAccessible(popup);
  await shoot(popup, 'popup-zh-HK', 400);
});

test('Hong Kong Chinese warn page for a London employee with a zh-HK browser', async () => {
  const b = await setUp('LDN', { locale: 'zh-HK' });
  const page = await b.context.newPage();
  await visit(page, 'https://claude.ai/');
  await expect(page).toHaveURL(`${warnPageUrl}#https://claude.ai/`);
  await expect(page.getByTestId('notice-title')).toHaveText('使用前請先確認：Anthropic Claude');
  await expect(page.getByTestId('notice-reason')).toHaveText('在美國以外，Claude 只獲批准用於公開及非客戶資料。');
  await expect(page.getByTestId('notice-reference')).toHaveText('合規備忘錄 CT-2026-011');
  await expect(page.getByTestId('office-name')).toHaveText('倫敦 (LDN)');
  await expect(page.getByTestId('proceed')).toHaveText('我明白，繼續前往 claude.ai');
  await expect(page.getByText('有效期為 8 小時')).toBeVisible();
  // A warning can be passed: no exception to request.
  await expect(page.getByTestId('exception-request')).toHaveCount(0);
  await expectNoConfigurationWords(page);
  await expectAccessible(page);
  await shoot(page, 'warn-zh-HK');
});

test("Taiwan's Chinese for a zh-TW browser: block page and popup", async () => {
  const b = await setUp('HK', { locale: 'zh-TW', timezoneId: 'Asia/Taipei' });
  const page = await b.context.newPage();
  await visit(page, 'https://claude.ai/');
  await expect(page).toHaveURL(`${blockPageUrl}#https://claude.ai/`);
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-Hant');
  // zh-TW reads the policy's zh-Hant texts, never its zh-HK ones.
  await expect(page.getByTestId('notice-reason')).toHaveText('供應商的授權條款限制在大中華地區使用。');
  await expect(page.getByTestId('notice-reference')).toHaveText('法遵備忘錄 CT-2026-014');
  await expect(page.getByTestId('office-name')).toHaveText('香港 (HK)');
  await expect(page.getByText('聯絡窗口：')).toBeVisible();
  await expect(page.getByTestId('policy-status')).toContainText('已驗證');
  await expect(page.getByTestId('exception-request')).toHaveText('申請例外許可');
  await expectNoConfigurationWords(page);
  await expectAccessible(page);
  await shoot(page, 'block-zh-TW');

  const popup = await openPopup(b);
  await expect(popup.getByTestId('site-status')).toHaveText('已封鎖（依公司政策）');
  await expect(popup.getByRole('region', { name: '稽核紀錄' })).toBeVisible();
  await expect(popup.getByTestId('upcoming-notices')).toContainText('未來 14 天內生效');
  await expect(popup.getByTestId('upcoming-notices')).toContainText('09:00');
  await expectAccessible(popup);
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
  await expect(page.getByTestId('notice-reason')).toContainText(
    'The latest policy update failed its check and was not used.',
  );
  await expect(page.getByTestId('notice-reason')).toContainText('This is not something you did');
  await expect(page.getByTestId('notice-contact')).toHaveText('your IT help desk');
  await expect(page.getByTestId('notice-reference')).toHaveText(
    'Your company’s choice when no valid policy is available',
  );
  await expect(page.getByTestId('policy-status')).toContainText('every known AI tool is blocked');
  await expect(page.getByTestId('policy-status')).toContainText(
    'Please contact your IT help desk and share the details below.',
  );
  // The technical story is for the help desk: behind the disclosure and in the copied details.
  const details = page.getByTestId('help-desk-details');
  await expect(details).toContainText('Latest update refused');
  await expect(details).toContainText('mode fail-closed');
  await expectNoConfigurationWords(page);
  await expectAccessible(page);
  await shoot(page, 'block-fail-closed-en');

  const popup = await openPopup(b);
  await expect(popup.getByTestId('site-status')).toHaveText('Blocked: no valid policy');
  await expect(popup.getByTestId('policy-status')).toContainText(
    'The latest policy update failed its check and was not used.',
  );
  await expect(popup.getByTestId('help-desk-details')).toContainText('Latest update refused');
  await expect(popup.getByTestId('policy-serial')).toHaveText('Not given');
  await expectNoConfigurationWords(popup);
});
