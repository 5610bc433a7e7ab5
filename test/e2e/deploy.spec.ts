/**
 * Deployment exactly as IT does it: a fresh CRX key, the extension packed into a CRX3 with it and
 * served with its updates.xml from a web server, the enterprise policy that `deploy-config` prints
 * for that ID, and Chromium started without loading our extension (no --load-extension for it):
 * the browser downloads, verifies and installs it itself (1–2 s after start here). Playwright's
 * default --disable-extensions, --disable-background-networking and --disable-component-update
 * would stop that download, so they are dropped.
 *
 * An unapproved AI extension is offered the way an employee would add one without a store: loaded
 * from a folder on the command line (developer mode). The control test shows Chromium loads it, and
 * that its worker reaches a blocked vendor, when the allowlist is not there. (Chromium on Linux
 * reads external-extension JSON files only from /usr/share/chromium/extensions, outside what a
 * test may write; a .crx opened from a page needs a click on an install prompt.)
 */
import { chromium, expect, test, type BrowserContext, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCrxKeyPem, packCrx3, parseCrxKey, renderUpdatesXml, type CrxKey } from '../../src/cli/crx.ts';
import { storeFiles, zipFiles } from '../../scripts/package.mjs';
import {
  assertPrerequisites,
  CHROMIUM_PATH,
  EXTENSION_DIR,
  makeKey,
  POLICY_DIR,
  removeManagedConfig,
  ROOT,
  samplePolicy,
  signPolicy,
  startServer,
  TEST_POLICY_PREFIX,
  vendorPage,
  type TestServer,
} from './harness.ts';

test.describe.configure({ mode: 'serial' });

const VENDOR_HOSTS = ['claude.ai', 'anthropic.com', 'chatgpt.com', 'openai.com', 'llm.bank.example'];
const servers: TestServer[] = [];
const tempDirs: string[] = [];
let context: BrowserContext | null = null;

test.afterEach(async () => {
  await context?.close();
  context = null;
  removeManagedConfig();
  for (const s of servers.splice(0)) await s.close();
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A small extension whose worker fetches a vendor, as AI sidebar extensions and browser agents do. */
function writeOtherExtension(dir: string): void {
  const manifest = {
    manifest_version: 3,
    name: 'Other AI sidebar',
    version: '1.0',
    background: { service_worker: 'worker.js' },
    host_permissions: ['<all_urls>'],
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  writeFileSync(
    join(dir, 'worker.js'),
    "fetch('https://claude.ai/api/organizations?from=other-extension').catch(() => undefined);\n",
  );
}

interface Deployment {
  vendor: TestServer;
  ours: CrxKey;
  /** The unapproved extension's folder. */
  otherDir: string;
  userDataDir: string;
  /** The policy deploy-config wrote. */
  snippet: Record<string, unknown>;
}

/**
 * Pack the CRX with a fresh key, serve it, and write the policy deploy-config prints (run as IT runs
 * it: the CLI, --out into the policy directory).
 */
async function deploy(extraFlags: string[]): Promise<Deployment> {
  assertPrerequisites();
  const vendor = await startServer(vendorPage);
  servers.push(vendor);
  const trusted = await makeKey('compliance-2026');
  // Gemini blocked for Hong Kong too, so the snippet carries the browser-AI policies.
  const sample = samplePolicy();
  const rules = [
    {
      id: 'HK-GEMINI',
      tools: ['gemini'],
      offices: ['HK'],
      action: 'block',
      notice: { title: 'Do not use: Gemini', reason: 'Not approved.', reference: 'Memo 7' },
    },
    ...(sample.rules as unknown[]),
  ];
  const policyJws = await signPolicy({ ...sample, rules }, [trusted]);

  const ours = parseCrxKey(generateCrxKeyPem());
  // The CRX holds what `npm run package` zips: the built extension without the manifest key.
  const ourCrx = packCrx3(zipFiles(await storeFiles('chrome', EXTENSION_DIR)), ours);
  const { version } = JSON.parse(readFileSync(join(EXTENSION_DIR, 'manifest.json'), 'utf8')) as { version: string };

  const host = await startServer();
  servers.push(host);
  const base = `http://127.0.0.1:${host.port}`;
  const files: Record<string, { body: string | Buffer; type: string }> = {
    '/policy.jws': { body: policyJws, type: 'application/jose' },
    '/ai-geofence.crx': { body: ourCrx, type: 'application/x-chrome-extension' },
    '/updates.xml': {
      body: renderUpdatesXml({ extensionId: ours.extensionId, version, codebase: `${base}/ai-geofence.crx` }),
      type: 'text/xml',
    },
  };
  host.route((_req, url) => files[url.pathname]);

  const dir = mkdtempSync(join(tmpdir(), 'aig-deploy-'));
  tempDirs.push(dir);
  const trustedFile = join(dir, 'trusted.json');
  const policyFile = join(dir, 'policy.jws');
  writeFileSync(trustedFile, JSON.stringify([trusted.publicJwk]));
  writeFileSync(policyFile, policyJws);
  const snippet = join(POLICY_DIR, `${TEST_POLICY_PREFIX}-deploy.json`);
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'bin/ai-geofence.mjs'),
      'deploy-config',
      '--format',
      'chrome-linux',
      '--office',
      'HK',
      '--policy-url',
      `${base}/policy.jws`,
      '--keys',
      trustedFile,
      '--policy',
      policyFile,
      '--update-url',
      `${base}/updates.xml`,
      '--extension-id',
      ours.extensionId,
      '--out',
      snippet,
      ...extraFlags,
    ],
    { stdio: 'pipe' },
  );

  // Test-only, in a file of its own: Chromium keeps DevTools (and so Playwright) away from
  // policy-installed extensions by default (DeveloperToolsAvailability 0); 1 lets the test look.
  writeFileSync(
    join(POLICY_DIR, `${TEST_POLICY_PREFIX}-devtools.json`),
    JSON.stringify({ DeveloperToolsAvailability: 1 }),
  );

  const otherDir = join(dir, 'other-extension');
  writeOtherExtension(otherDir);
  return {
    vendor,
    ours,
    otherDir,
    userDataDir: join(dir, 'profile'),
    snippet: JSON.parse(readFileSync(snippet, 'utf8')) as Record<string, unknown>,
  };
}

async function launch(d: Deployment): Promise<BrowserContext> {
  const rules = VENDOR_HOSTS.flatMap((h) => [
    `MAP ${h} 127.0.0.1:${d.vendor.port}`,
    `MAP *.${h} 127.0.0.1:${d.vendor.port}`,
  ]).join(', ');
  context = await chromium.launchPersistentContext(d.userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    ignoreHTTPSErrors: true,
    ignoreDefaultArgs: ['--disable-extensions', '--disable-background-networking', '--disable-component-update'],
    args: [
      `--load-extension=${d.otherDir}`,
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-sync',
      '--ignore-certificate-errors',
      `--host-resolver-rules=${rules}`,
    ],
  });
  return context;
}

/**
 * An extension page of `id`, to call its APIs from. Playwright does not report the service worker
 * of an extension the browser installed by policy (only of --load-extension ones), so the checks
 * run in one of the extension's own pages, which share its storage and APIs.
 */
async function extensionPage(ctx: BrowserContext, id: string): Promise<Page> {
  const page = await ctx.newPage();
  await page.goto(`chrome-extension://${id}/popup.html`);
  return page;
}

/** chrome://extensions-internals lists every installed extension with where it came from. */
async function waitInstalled(ctx: BrowserContext, id: string): Promise<string> {
  let location = '';
  await expect
    .poll(async () => (location = (await installedExtensions(ctx)).find((e) => e.id === id)?.location ?? ''), {
      timeout: 60_000,
      message: `extension ${id} installed`,
    })
    .not.toBe('');
  return location;
}

/** chrome://policy: each policy that is set, with its status column ("OK", or what is wrong). */
async function policyStatus(ctx: BrowserContext): Promise<Record<string, string>> {
  const page = await ctx.newPage();
  await page.goto('chrome://policy');
  await expect(page.getByText('ExtensionSettings', { exact: true }).first()).toBeAttached();
  const rows = await page.evaluate(() => {
    const out: string[][] = [];
    const walk = (root: Document | ShadowRoot) => {
      for (const el of root.querySelectorAll('*')) {
        if (el.shadowRoot) walk(el.shadowRoot);
        if (el.classList.contains('policy') && el.classList.contains('row'))
          out.push((el as HTMLElement).innerText.trim().split(/\s+/));
      }
    };
    walk(document);
    return out;
  });
  await page.close();
  return Object.fromEntries(rows.filter((r) => r.length > 2 && r.at(-1) !== 'set.').map((r) => [r[0]!, r.at(-1)!]));
}

/** Poll `fn` in an extension page until `ok`. */
async function until<T>(page: Page, fn: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  let last: T | undefined;
  await expect
    .poll(async () => ok((last = await page.evaluate(fn))), { timeout: 120_000, intervals: [250] })
    .toBe(true)
    .catch(() => {
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    });
  return last as T;
}

/** chrome://extensions-internals: every installed extension, with where it came from. */
async function installedExtensions(ctx: BrowserContext): Promise<Array<{ id: string; location: string }>> {
  const page = await ctx.newPage();
  await page.goto('chrome://extensions-internals');
  const text = await page.locator('body').innerText();
  await page.close();
  return (JSON.parse(text) as Array<{ id: string; location: string }>).map(({ id, location }) => ({ id, location }));
}

test('IT deploys a self-signed CRX by policy: installed, enforcing, locked down, and nothing else gets in', async () => {
  const d = await deploy([]);
  const ctx = await launch(d);

  // Installed by the browser from the update URL, under the ID of IT's key, as a policy install.
  expect(await waitInstalled(ctx, d.ours.extensionId)).toBe('EXTERNAL_POLICY_DOWNLOAD');
  const ext = await extensionPage(ctx, d.ours.extensionId);
  await until(
    ext,
    () => chrome.storage.managed.get(),
    (v) => (v as { office?: string }).office === 'HK',
    'managed office HK',
  );
  // The worker ran: it fetched, verified and applied the policy, and answers the popup.
  await until(
    ext,
    async () =>
      ((await chrome.storage.local.get('lastApplied')) as { lastApplied?: { serial: number } }).lastApplied?.serial ??
      null,
    (v) => v === 42,
    'policy 42 applied',
  );
  const registration = await ext.evaluate(
    async () => (await navigator.serviceWorker.getRegistration())?.active?.state ?? null,
  );
  expect(registration).toBe('activated');

  // Enforcing: Hong Kong's Claude block, not one request reaches the vendor.
  const page = await ctx.newPage();
  await page.goto('https://claude.ai/new').catch(() => undefined);
  await expect(page).toHaveURL(`chrome-extension://${d.ours.extensionId}/block.html#https://claude.ai/new`);
  await expect(page.getByTestId('notice-title')).toHaveText('Do not use: Anthropic Claude');

  // Chromium knows every browser policy the snippet sets, with a valid value (Gemini's among them).
  const status = await policyStatus(ctx);
  const set = Object.keys(d.snippet).filter((k) => k !== '3rdparty');
  expect(set).toEqual(
    expect.arrayContaining([
      'ExtensionSettings',
      'IncognitoModeAvailability',
      'BrowserGuestModeEnabled',
      'BrowserAddPersonEnabled',
      'NetworkPredictionOptions',
      'GeminiSettings',
      'BuiltInAIAPIsEnabled',
    ]),
  );
  expect(Object.fromEntries(set.map((k) => [k, status[k]]))).toEqual(Object.fromEntries(set.map((k) => [k, 'OK'])));

  // The employee can neither turn it off nor remove it.
  expect(
    await ext.evaluate(async () => {
      const self = await chrome.management.getSelf();
      return { installType: self.installType, mayDisable: self.mayDisable };
    }),
  ).toEqual({ installType: 'admin', mayDisable: false });

  // chrome://extensions, on the extension's own details page, says the policy installed it (the
  // text is the tooltip of the "managed" icon).
  await page.goto(`chrome://extensions/?id=${d.ours.extensionId}`);
  await expect(page.getByText('Installed by enterprise policy', { exact: false }).first()).toBeAttached();

  // No incognito window can be opened (IncognitoModeAvailability: 1).
  const incognito = await ext.evaluate(() =>
    chrome.windows.create({ incognito: true, url: 'about:blank' }).then(
      () => 'opened',
      (e: Error) => e.message,
    ),
  );
  expect(incognito).toMatch(/incognito/i);
  expect(incognito).not.toBe('opened');

  // The unapproved extension is not loaded, and nothing reached a blocked vendor.
  const installed = await installedExtensions(ctx);
  expect(installed.filter((e) => e.location === 'COMMAND_LINE')).toEqual([]);
  expect(installed.map((e) => e.id)).toContain(d.ours.extensionId);
  expect(d.vendor.requestsFor('claude.ai', 'anthropic.com')).toEqual([]);
});

test('control: without the allowlist the same unapproved extension is loaded and its worker reaches a blocked vendor', async () => {
  // Blocklist mode that names some other ID: the offered extension is not on it.
  const d = await deploy([
    '--extension-control',
    'blocklist',
    '--block-extension',
    'abcdefghijklmnopabcdefghijklmnop',
    '--allow-incognito',
  ]);
  const ctx = await launch(d);
  expect(await waitInstalled(ctx, d.ours.extensionId)).toBe('EXTERNAL_POLICY_DOWNLOAD');
  await expect
    .poll(async () => (await installedExtensions(ctx)).filter((e) => e.location === 'COMMAND_LINE').length, {
      timeout: 30_000,
    })
    .toBe(1);
  await expect
    .poll(() => d.vendor.requestsFor('claude.ai').map((r) => r.path), { timeout: 30_000 })
    .toContain('/api/organizations?from=other-extension');
  // And with incognito allowed, the same call opens a window: the check above can fail.
  const ext = await extensionPage(ctx, d.ours.extensionId);
  expect(
    await ext.evaluate(() =>
      chrome.windows.create({ incognito: true, url: 'about:blank' }).then(
        () => 'opened',
        (e: Error) => e.message,
      ),
    ),
  ).toBe('opened');
});
