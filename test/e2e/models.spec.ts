/**
 * Model-level rules in real Chromium: a fake ChatGPT whose model changes by URL (pushState) and by
 * the model picker's text. A `block` rule on one model covers the page with an overlay that comes
 * back when removed and goes when the employee picks an allowed model; a `warn` rule asks once.
 */
import { expect, test, type Page } from '@playwright/test';
import {
  launchBrowser,
  makeKey,
  samplePolicy,
  signPolicy,
  startPolicyServer,
  startServer,
  waitForManagedConfig,
  waitForPolicy,
  writeManagedConfig,
  trackForCleanup,
  type Launched,
  type Route,
  type TestServer,
} from './harness.ts';

const { browsers, servers } = trackForCleanup();

const APP = `<!doctype html><title>ChatGPT (fake)</title>
<header><button id="picker">ChatGPT 4o</button></header><main><h1 id="vendor">Chat</h1><textarea></textarea></main>`;

function modelPolicy(): Record<string, unknown> {
  const base = samplePolicy();
  const tools = base.tools as Record<string, Record<string, unknown>>;
  return {
    ...base,
    tools: {
      ...tools,
      chatgpt: {
        ...tools.chatgpt,
        models: {
          o3: { name: 'o3', match: { query: { model: 'o3' }, text: ['ChatGPT o3'] } },
          'gpt-4o': { name: 'GPT-4o', match: { query: { model: 'gpt-4o' }, text: ['ChatGPT 4o'] } },
          'gpt-4-5': { name: 'GPT-4.5', match: { text: ['ChatGPT 4.5'] } },
        },
      },
    },
    rules: [
      ...(base.rules as unknown[]),
      {
        id: 'HK-O3',
        tools: ['chatgpt'],
        offices: ['HK'],
        models: ['o3'],
        action: 'block',
        notice: { title: { en: 'Do not use: OpenAI o3', 'zh-HK': '請勿使用：OpenAI o3' } },
      },
      {
        id: 'HK-GPT45',
        tools: ['chatgpt'],
        offices: ['HK'],
        models: ['gpt-4-5'],
        action: 'warn',
        notice: { title: 'Check before using GPT-4.5' },
      },
    ],
  };
}

/** The fake ChatGPT (with `route` first), the model policy, and Chromium configured for `office`. */
async function setUp(office: string, route?: Route): Promise<{ b: Launched; vendor: TestServer }> {
  const vendor = await startServer((req, url) => route?.(req, url) ?? { body: APP });
  servers.push(vendor);
  const key = await makeKey('compliance-2026');
  const policyServer = await startPolicyServer(await signPolicy(modelPolicy(), [key]));
  servers.push(policyServer);
  writeManagedConfig({ office, policyUrl: policyServer.url, trustedKeys: [key.publicJwk] });
  const b = await launchBrowser({ vendorPort: vendor.port });
  browsers.push(b);
  await waitForManagedConfig(b.context, office);
  await waitForPolicy(b.context, 42);
  return { b, vendor };
}

const overlay = (page: Page) => page.locator('[data-ai-geofence="overlay"]');
const setPicker = (page: Page, text: string) =>
  page.evaluate((t) => {
    document.getElementById('picker')!.textContent = t;
  }, text);
const pushState = (page: Page, url: string) => page.evaluate((u) => history.pushState({}, '', u), url);
/**
 * pushState, resolved when the page's `navigatesuccess` fires. The models script listens for that
 * event from the start and decides synchronously in its listener, which runs before this later one
 * (one listener list, in registration order, for every world): by then any overlay is in place.
 */
const pushStateDecided = (page: Page, url: string) =>
  page.evaluate(
    (u) =>
      new Promise<void>((done) => {
        (globalThis as unknown as { navigation: EventTarget }).navigation.addEventListener(
          'navigatesuccess',
          () => done(),
          { once: true },
        );
        history.pushState({}, '', u);
      }),
    url,
  );

test("the overlay speaks the page's language: Hong Kong Chinese for a zh-HK page", async () => {
  const { b } = await setUp('HK');
  const page = await b.context.newPage();
  // This page's languages only (Accept-Language and navigator.languages, in every world of the page).
  const cdp = await b.context.newCDPSession(page);
  await cdp.send('Emulation.setUserAgentOverride', {
    userAgent: await page.evaluate(() => navigator.userAgent),
    acceptLanguage: 'zh-HK',
  });
  await page.goto('https://chatgpt.com/?model=o3');
  await expect(overlay(page)).toContainText('請勿使用：OpenAI o3');
  await expect(overlay(page)).toContainText('此處不得使用「o3」模型（規則 HK-O3）。請選用其他模型以繼續。');
  await setPicker(page, 'ChatGPT 4.5');
  await pushState(page, '/c/zh');
  await overlay(page).getByRole('button', { name: '我明白，繼續' }).click();
  await expect(overlay(page)).toHaveCount(0);
});

test('a model-level block covers the page while that model is in use, by URL and by picker text', async () => {
  const { b } = await setUp('HK');

  const page = await b.context.newPage();
  // The blocked model named in the URL: overlay naming rule and model; the vendor page itself loaded.
  await page.goto('https://chatgpt.com/?model=o3');
  await expect(overlay(page)).toHaveCount(1);
  await expect(overlay(page)).toContainText('Do not use: OpenAI o3');
  await expect(overlay(page)).toContainText('HK-O3');
  await expect(overlay(page)).toHaveAttribute('data-model', 'o3');
  await expect(page.locator('#vendor')).toHaveText('Chat');
  // No way to dismiss: no button, and removing it by script brings it back.
  await expect(overlay(page).locator('button')).toHaveCount(0);
  await page.evaluate(() => document.querySelector('[data-ai-geofence="overlay"]')!.remove());
  await expect(overlay(page)).toHaveCount(1);
  const box = await overlay(page).boundingBox();
  expect(box!.width).toBeGreaterThanOrEqual(page.viewportSize()!.width - 1);

  // Switching to an allowed model in the single-page app lifts it.
  await pushState(page, '/?model=gpt-4o');
  await expect(overlay(page)).toHaveCount(0);

  // No model in the URL: the picker's text decides.
  await pushStateDecided(page, '/c/123');
  await expect(overlay(page)).toHaveCount(0);
  await setPicker(page, 'ChatGPT o3');
  await expect(overlay(page)).toHaveAttribute('data-rule', 'HK-O3');
  await setPicker(page, 'ChatGPT 4o');
  await expect(overlay(page)).toHaveCount(0);

  // A warned model asks once, then lets the employee continue.
  await setPicker(page, 'ChatGPT 4.5');
  await expect(overlay(page)).toContainText('Check before using GPT-4.5');
  await overlay(page).getByRole('button', { name: 'I understand, continue' }).click();
  await expect(overlay(page)).toHaveCount(0);
  // Decided again with GPT-4.5 still in the picker: the acknowledgement holds for this page.
  await pushStateDecided(page, '/c/456');
  await expect(overlay(page)).toHaveCount(0);

  // Each of these is in the audit trail, naming rule and model.
  const events = async () =>
    (
      (await b.sw.evaluate(() => chrome.storage.local.get('auditQueue'))) as {
        auditQueue?: { events: Array<{ type: string; rule: string | null; detail?: Record<string, unknown> }> };
      }
    ).auditQueue?.events ?? [];
  await expect
    .poll(async () =>
      (await events())
        .filter((e) => e.detail?.basis === 'model')
        .map((e) => `${e.type} ${e.rule} ${String(e.detail?.model)}`)
        .sort(),
    )
    .toEqual(['block HK-O3 o3', 'warn-proceeded HK-GPT45 gpt-4-5', 'warn-shown HK-GPT45 gpt-4-5']);
});

test('the models script is not registered where no model rule targets the employee', async () => {
  const { b } = await setUp('NY');
  const registered = () =>
    b.sw.evaluate(() => chrome.scripting.getRegisteredContentScripts({ ids: ['ai-geofence-models'] }));
  expect(await registered()).toEqual([]);
  const page = await b.context.newPage();
  await page.goto('https://chatgpt.com/?model=o3');
  await expect(page.locator('#vendor')).toHaveText('Chat');
  // Only a registration injects the script; still none once the page has loaded, so it never ran here.
  expect(await registered()).toEqual([]);
  await expect(overlay(page)).toHaveCount(0);
});

test('a blocked model that the URL names is also stopped on the network: API calls never reach the vendor', async () => {
  const { b, vendor } = await setUp('HK', (_req, url) =>
    url.pathname.startsWith('/backend-api/') ? { body: '{"ok":true}', type: 'application/json' } : undefined,
  );

  const page = await b.context.newPage();
  await page.goto('https://chatgpt.com/?model=gpt-4o');
  await expect(page.locator('#vendor')).toHaveText('Chat');
  const call = (path: string) =>
    page.evaluate(
      (p) =>
        fetch(p, { method: 'POST', body: '{}' }).then(
          (r) => r.status,
          (e: Error) => e.name,
        ),
      path,
    );
  expect(await call('/backend-api/conversation?model=gpt-4o')).toBe(200);
  expect(await call('/backend-api/conversation?stream=1&model=o3-pro')).toBe('TypeError');
  expect(await call('/backend-api/conversation?model=o3')).toBe('TypeError');
  const seen = vendor
    .requestsFor('chatgpt.com')
    .map((r) => r.path)
    .filter((p) => p.startsWith('/backend-api/'));
  expect(seen).toEqual(['/backend-api/conversation?model=gpt-4o']);
  // One network rule for the query marker, and never for the page itself (the overlay's job).
  const rules = await b.sw.evaluate(() => chrome.declarativeNetRequest.getDynamicRules());
  expect(
    rules
      .filter((r) => r.condition.regexFilter?.includes('model=o3'))
      .map((r) => r.condition.resourceTypes?.includes('main_frame')),
  ).toEqual([false]);
});
