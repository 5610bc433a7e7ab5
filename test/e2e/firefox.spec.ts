/**
 * Firefox end to end, deployed the way IT deploys it: the store package that `npm run package`
 * writes, force-installed by a real /etc/firefox/policies/policies.json that `deploy-config --format
 * firefox` printed (ExtensionSettings + 3rdparty managed configuration), a signed policy from a local
 * policy server, and a fake vendor on loopback. No WebDriver install call: Firefox installs the
 * add-on from the policy, as on an employee's machine.
 *
 * Driven by puppeteer-core over WebDriver BiDi from Playwright's runner: Playwright's own Firefox
 * is a patched build that cannot be downloaded here, and there is no geckodriver package. Firefox
 * has no --host-resolver-rules, so vendor hosts go to 127.0.0.1 through the pref
 * `network.dns.localDomains`, which keeps the port: the vendor is reached on port 80 (root needed).
 */
import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { storeFiles, zipFiles } from '../../scripts/package.mjs';
import { GECKO_ID } from '../../src/core/config/identity.ts';
import { UNLISTED_AI_HOST, UNLISTED_AI_PAGE } from '../../scripts/lib/local-servers.ts';
import {
  makeKey,
  ROOT,
  samplePolicy,
  signPolicy,
  startPolicyServer,
  startServer,
  vendorPage,
  type TestServer,
} from './harness.ts';

const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
// Debian's firefox-esr reads enterprise policies from here (like /usr/lib/firefox-esr/distribution/).
const POLICIES_FILE = process.env.FIREFOX_POLICIES_FILE ?? '/etc/firefox/policies/policies.json';
// A crashed run leaves the machine's own policies here; the next run puts them back first.
const POLICIES_BACKUP = `${POLICIES_FILE}.ai-geofence-e2e-backup`;
const EXTENSION_DIR = join(ROOT, 'dist/firefox');
// Firefox gives each add-on a random moz-extension:// UUID per profile; this pref fixes it, so the
// test knows the block page's address in advance.
const ADDON_UUID = '6f3c2a1e-9b7d-4e52-8a10-a1f0e0c0ffee';
const BLOCK_PAGE = `moz-extension://${ADDON_UUID}/block.html`;
const VENDOR_HOSTS = ['claude.ai', 'www.claude.ai', 'anthropic.com', UNLISTED_AI_HOST];

test.describe.configure({ mode: 'serial' });

/** Fail loudly (never skip) when Firefox or the Firefox build is missing. */
function assertFirefoxPrerequisites(): void {
  if (!existsSync(FIREFOX_PATH)) {
    throw new Error(
      `Firefox not found at ${FIREFOX_PATH}. Install it (Debian/Ubuntu: sudo apt-get install firefox-esr) or point ` +
        'FIREFOX_PATH at a Firefox binary. The Firefox end-to-end test needs a real Firefox.',
    );
  }
  if (!existsSync(join(EXTENSION_DIR, 'manifest.json')))
    throw new Error(`no built extension in ${EXTENSION_DIR}: run "npm run build" first`);
}

// policies.json is machine-wide: keep the machine's own file and leave a marker while ours is in
// place, so a run that crashed half-way is undone by the next one (and never mistaken for the original).
const POLICIES_MARKER = `${POLICIES_FILE}.ai-geofence-e2e-written`;
let createdDir: string | undefined;

/** Write Firefox's enterprise policy file (keeping any file the machine had). */
function writeFirefoxPolicies(document: string): void {
  restoreFirefoxPolicies();
  try {
    createdDir ??= mkdirSync(dirname(POLICIES_FILE), { recursive: true });
    // Order matters for crash safety: backup, then marker, then our file.
    if (existsSync(POLICIES_FILE)) copyFileSync(POLICIES_FILE, POLICIES_BACKUP);
    writeFileSync(
      POLICIES_MARKER,
      `written by ${join(ROOT, 'test/e2e/firefox.spec.ts')}; the next run restores ${POLICIES_BACKUP} or removes ${POLICIES_FILE}\n`,
    );
    writeFileSync(POLICIES_FILE, document);
  } catch (e) {
    throw new Error(
      `cannot write ${POLICIES_FILE} (${(e as Error).message}); the Firefox end-to-end test must run as root, or set FIREFOX_POLICIES_FILE`,
    );
  }
}

/** Put back the machine's own policies.json, or remove ours (also after a crashed run). */
function restoreFirefoxPolicies(): void {
  if (existsSync(POLICIES_BACKUP)) renameSync(POLICIES_BACKUP, POLICIES_FILE);
  else if (existsSync(POLICIES_MARKER)) rmSync(POLICIES_FILE, { force: true });
  rmSync(POLICIES_MARKER, { force: true });
}

/** Remove the directories this run created for policies.json, if nothing else was put there. */
function removeCreatedPolicyDirs(): void {
  for (let d = dirname(POLICIES_FILE); createdDir && d.startsWith(createdDir); d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return; // not empty: someone else's files
    }
  }
  createdDir = undefined;
}

/** Port 80 on loopback, forwarded to the vendor server (whose own port is random). */
async function forwardPort80(to: number): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(to, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new Error(
          e.code === 'EADDRINUSE'
            ? 'port 80 on 127.0.0.1 is in use (see: ss -ltnp "sport = :80"); the Firefox test serves the vendor hosts there because network.dns.localDomains keeps the port'
            : `cannot listen on 127.0.0.1:80 (${e.message}); the Firefox end-to-end test must run as root`,
        ),
      ),
    );
    server.listen(80, '127.0.0.1', resolve);
  });
  return {
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** The store package, served where policies.json's install_url points. */
async function startXpiServer(xpi: Buffer): Promise<{ url: string; downloads: () => number; close(): Promise<void> }> {
  let downloads = 0;
  const server = http.createServer((req, res) => {
    if (req.url !== '/ai-geofence.xpi') return void res.writeHead(404).end();
    downloads++;
    res.writeHead(200, { 'content-type': 'application/x-xpinstall', 'content-length': xpi.length }).end(xpi);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/ai-geofence.xpi`,
    downloads: () => downloads,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

let firefox: Browser | null = null;
const servers: Array<{ close(): Promise<void> }> = [];
const tempDirs: string[] = [];

test.beforeAll(() => assertFirefoxPrerequisites());

test.afterEach(async () => {
  await firefox?.close();
  firefox = null;
  for (const s of servers.splice(0)) await s.close();
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
  restoreFirefoxPolicies();
});

test.afterAll(() => {
  restoreFirefoxPolicies();
  removeCreatedPolicyDirs();
});

/**
 * Firefox with a policies.json from `deploy-config --format firefox` for `office`: the add-on
 * force-installed from the store package, the signed policy applied. Returns a tab on a
 * web-accessible extension page (whence the extension's storage can be read).
 */
async function setUp(
  office: string,
  policyOverrides: Record<string, unknown> = {},
): Promise<{ vendor: TestServer; page: Page }> {
  const vendor = await startServer((req, url) =>
    url.hostname === UNLISTED_AI_HOST ? { body: UNLISTED_AI_PAGE } : vendorPage(req, url),
  );
  servers.push(vendor);
  servers.push(await forwardPort80(vendor.port));
  const trusted = await makeKey('compliance-2026');
  const policy = await startPolicyServer(await signPolicy(samplePolicy(policyOverrides), [trusted]));
  servers.push(policy);
  policy.route((_req, url) =>
    url.pathname === '/start' ? { body: '<!doctype html><title>start</title>' } : undefined,
  );
  // The exact bytes `npm run package` writes as dist/ai-geofence-firefox-<version>.zip.
  const xpi = await startXpiServer(zipFiles(await storeFiles('firefox', EXTENSION_DIR)));
  servers.push(xpi);

  const dir = mkdtempSync(join(tmpdir(), 'aig-firefox-'));
  tempDirs.push(dir);
  writeFileSync(join(dir, 'trusted.json'), JSON.stringify([trusted.publicJwk]));
  const policies = execFileSync(
    process.execPath,
    [
      join(ROOT, 'bin/ai-geofence.mjs'),
      'deploy-config',
      '--format',
      'firefox',
      '--office',
      office,
      '--policy-url',
      policy.url,
      '--keys',
      join(dir, 'trusted.json'),
      '--install-url',
      xpi.url,
    ],
    { encoding: 'utf8' },
  );
  writeFirefoxPolicies(policies);

  firefox = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    extraPrefsFirefox: {
      'network.dns.localDomains': VENDOR_HOSTS.join(','),
      'extensions.webextensions.uuids': JSON.stringify({ [GECKO_ID]: ADDON_UUID }),
      // HTTPS-First would try https://claude.ai:443 first; the test is about what reaches port 80.
      'dom.security.https_first': false,
      // The package is not signed by Mozilla (that happens on AMO); ESR honours this pref, release
      // Firefox does not.
      'xpinstall.signatures.required': false,
    },
  });
  await expect
    .poll(xpi.downloads, {
      message: `Firefox never fetched ${xpi.url}: it did not read ${POLICIES_FILE} (Debian's firefox-esr reads that path; set FIREFOX_POLICIES_FILE for another build)`,
      timeout: 30_000,
    })
    .toBeGreaterThan(0);

  // BiDi refuses to navigate to moz-extension:// URLs, but a web page may open a web-accessible
  // extension page. Without a '#<url>' the worker leaves that tab alone (with one, it would send
  // an allowed URL back to the site).
  const page = await firefox.newPage();
  const startUrl = `http://127.0.0.1:${policy.port}/start`;
  const extensionState = async () => {
    const ready = await page
      .evaluate(
        (base) =>
          location.href === base &&
          typeof (globalThis as { browser?: { storage?: unknown } }).browser?.storage === 'object',
        BLOCK_PAGE,
      )
      .catch(() => false);
    if (!ready) {
      await page.goto(startUrl);
      await page.evaluate((url) => void (location.href = url), BLOCK_PAGE);
      return 'extension page not open yet';
    }
    return page
      .evaluate(async () => {
        const ext = (globalThis as unknown as { browser: typeof chrome }).browser;
        const { lastApplied } = (await ext.storage.local.get('lastApplied')) as {
          lastApplied?: { serial: number | null; mode: string };
        };
        const managed = await ext.storage.managed.get().catch((e: Error) => `storage.managed: ${e.message}`);
        return {
          serial: lastApplied?.serial ?? null,
          mode: lastApplied?.mode ?? null,
          office: (managed as { office?: string }).office ?? managed,
        };
        // Firefox's BiDi agent sometimes fails a call while the page is being replaced ("right-hand
        // side of 'in' should be an object, got null" in script.sys.mjs): a state to poll again, not
        // a verdict.
      })
      .catch((e: Error) => `(${e.message.split('\n')[0]})`);
  };
  await expect
    .poll(extensionState, {
      message:
        'the add-on force-installed from policies.json, its managed office read and policy serial 42 applied ' +
        '(an add-on that never installs: unsigned packages need Firefox ESR, Developer Edition or Nightly)',
      timeout: 60_000,
      intervals: [500],
    })
    .toEqual({ serial: 42, mode: 'enforcing', office });
  return { vendor, page };
}

/** Navigate, tolerating the BiDi timeout of a navigation that DNR redirects to a moz-extension:// page. */
async function open(page: Page, url: string): Promise<void> {
  await page.goto(url, { timeout: 5_000 }).catch(() => undefined);
}

/** Wait until the tab shows `url`, read from the page itself (puppeteer's page.url() misses
 * navigations that end on a moz-extension:// page). */
async function waitForLocation(page: Page, url: string): Promise<void> {
  await expect
    .poll(() => page.evaluate(() => location.href).catch((e: Error) => `(${e.message})`), {
      timeout: 15_000,
      intervals: [250],
    })
    .toBe(url);
}

test('Firefox: a Hong Kong employee who opens claude.ai lands on the block page and the vendor sees nothing', async () => {
  const { vendor, page } = await setUp('HK');
  await open(page, 'http://claude.ai/');
  await waitForLocation(page, `${BLOCK_PAGE}#http://claude.ai/`);
  const title = await page.waitForSelector('[data-testid="notice-title"]', { timeout: 15_000 });
  expect(await title!.evaluate((e) => e.textContent)).toBe('Do not use: Anthropic Claude');
  expect(await page.$eval('[data-testid="notice-reference"]', (e) => e.textContent)).toContain('CT-2026-014');
  // Subdomains too.
  await open(page, 'http://www.claude.ai/chat');
  await waitForLocation(page, `${BLOCK_PAGE}#http://www.claude.ai/chat`);
  // Everything on port 80 is the vendor: not one request, not even a favicon.
  expect(vendor.requests).toEqual([]);
});

test('Firefox: a New York employee reaches claude.ai', async () => {
  const { vendor, page } = await setUp('NY');
  await page.goto('http://claude.ai/');
  await waitForLocation(page, 'http://claude.ai/');
  const heading = await page.waitForSelector('#vendor', { timeout: 15_000 });
  expect(await heading!.evaluate((e) => e.textContent)).toBe('Vendor page claude.ai/');
  expect(vendor.requestsFor('claude.ai').map((r) => r.path)).toContain('/');
});

test('Firefox: an AI assistant no policy lists is discovered in the page and blocked by unlistedAiAction', async () => {
  const { vendor, page } = await setUp('NY', { unlistedAiAction: 'block' });
  const url = `http://${UNLISTED_AI_HOST}/c/1`;
  await page.goto(url).catch(() => undefined);
  // The page loads (nothing lists it), the worker injects the detector, the tab moves to the block page.
  await waitForLocation(page, `${BLOCK_PAGE}#${url}`);
  const title = await page.waitForSelector('[data-testid="notice-title"]', { timeout: 15_000 });
  expect(await title!.evaluate((e) => e.textContent)).toBe('Unlisted AI tool');
  // From then on the network rules stop it before a request leaves the browser.
  const before = vendor.requestsFor(UNLISTED_AI_HOST).length;
  await open(page, `http://${UNLISTED_AI_HOST}/again`);
  await waitForLocation(page, `${BLOCK_PAGE}#http://${UNLISTED_AI_HOST}/again`);
  expect(vendor.requestsFor(UNLISTED_AI_HOST).length).toBe(before);
});
