// The demo reads the extension's storage inside its service worker (`sw.evaluate` below).
/// <reference types="chrome" />
/**
 * `npm start`: the newcomer's first minute (README, "The demo"). Builds the extension, serves the example
 * policy signed with the demo key, configures Chromium through a real enterprise policy file as an
 * employee of one office (Hong Kong by default) and opens it with the extension loaded.
 *
 * With a display, a person clicks around. Without one it does the job headless: it visits the
 * example's blocked, warned and allowed sites, prints `URL → decision → rule` per site, saves
 * screenshots of the block page, the warn page and the popup under demo-output/, and exits 0.
 */
import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { compilePolicy, decide } from '../src/core/decide/decide.ts';
import { EXTENSION_ID } from '../src/core/config/identity.ts';
import { pickText } from '../src/core/policy/localized-text.ts';
import { verifyPolicy } from '../src/core/policy/verify.ts';
import { acquireBrowserLock, releaseBrowserLock } from './lib/browser-lock.ts';
import { startServer, UNLISTED_AI_HOST, UNLISTED_AI_PAGE, vendorPage } from './lib/local-servers.ts';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = join(ROOT, 'demo-output');
const POLICY_DIR = process.env.CHROMIUM_POLICY_DIR ?? '/etc/chromium/policies/managed';
const POLICY_FILE = join(POLICY_DIR, 'ai-geofence-demo.json');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const HELP = `npm start [-- options]

  --office CODE    the employee's office (default HK; the example has HK, NY, LDN, SG, TYO)
  --headless       run the headless tour even when a display is available
  --keep-open      with a display: keep the browser open (default); headless: wait for Ctrl+C
  --keep-policy    leave ${POLICY_FILE} in place after exit
  --bundled-config use the demo build (configuration bundled into it) even where the policy file
                   could be written; without root this is what happens anyway
  --help           this text`;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const flag = (name: string) => process.argv.includes(name);

function fail(message: string): never {
  console.error(`demo: ${message}`);
  process.exit(1);
}

if (flag('--help')) {
  console.log(HELP);
  process.exit(0);
}

const office = arg('--office') ?? 'HK';
const hasDisplay = !!process.env.DISPLAY || !!process.env.WAYLAND_DISPLAY;
const headless = flag('--headless') || !hasDisplay;

if (!existsSync(CHROMIUM))
  fail(
    `Chromium not found at ${CHROMIUM}. Install it (Debian/Ubuntu: sudo apt-get install chromium) or set CHROMIUM_PATH.`,
  );

const jws = readFileSync(join(ROOT, 'examples/policy.jws'), 'utf8');
const trustedKeys = JSON.parse(readFileSync(join(ROOT, 'examples/keys/trusted.json'), 'utf8'));
// The tour's expectations come from the very document the browser gets, verified the same way.
const verified = await verifyPolicy(jws, { trustedKeys, now: Date.now() });
if (!verified.ok) {
  fail(
    `examples/policy.jws is refused (${verified.message}). Re-sign it: npm run -s cli -- sign examples/policy.json --key examples/keys/demo.private.jwk --out examples/policy.jws`,
  );
}
const policy = verified.policy;
if (!policy.offices[office])
  fail(`office "${office}" is not in the example policy; choose one of ${Object.keys(policy.offices).join(', ')}`);
// Office names may be language maps; the terminal speaks English.
const officeName = pickText(policy.offices[office]!.name, ['en']);

const policyServer = await startServer((_req, url) =>
  url.pathname === '/policy.jws' ? { body: jws, type: 'application/jose' } : undefined,
);
// The vendors are local fakes, and so is an AI assistant that no policy lists.
const vendor = await startServer((req, url) =>
  url.hostname === UNLISTED_AI_HOST ? { body: UNLISTED_AI_PAGE } : vendorPage(req, url),
);
const policyUrl = `http://127.0.0.1:${policyServer.port}/policy.jws`;

// The sites of the tour: the first domain of every tool the example policy names.
const compiled = compilePolicy(policy);
const toolIds = [...new Set([...Object.keys(policy.tools), ...compiled.ruleTools.flat()])];
const sites = toolIds.flatMap((id) => {
  const d = compiled.tools.get(id)?.domains[0];
  return d ? [`https://${d}/`] : [];
});
const hosts = [...new Set([...toolIds.flatMap((id) => compiled.tools.get(id)?.domains ?? []), UNLISTED_AI_HOST])];
const unlistedUrl = `https://${UNLISTED_AI_HOST}/`;

// The policy directory is machine-wide: wait for any other browser run (tests, benchmarks) that uses it.
if (!flag('--bundled-config')) {
  await acquireBrowserLock(10 * 60_000, () =>
    console.log('demo: another AI Geofence browser run (tests?) is using the policy directory; waiting…'),
  );
}
let wrotePolicyFile = false;
const managed = { office, policyUrl, trustedKeys, failMode: 'closed' };
const userDataDir = mkdtempSync(join(tmpdir(), 'ai-geofence-demo-'));
const EXT = configureExtension();

/**
 * Configure the extension as IT does, through Chromium's machine-wide enterprise policy file, where
 * this user may write it (root). Elsewhere, or with --bundled-config, build the demo build instead:
 * the same extension with this configuration bundled, used only while no enterprise policy configures
 * it (src/platform/demo-build.ts). Returns the unpacked extension to load.
 */
function configureExtension(): string {
  let why = '--bundled-config';
  if (!flag('--bundled-config')) {
    try {
      mkdirSync(POLICY_DIR, { recursive: true });
      writeFileSync(POLICY_FILE, JSON.stringify({ '3rdparty': { extensions: { [EXTENSION_ID]: managed } } }, null, 2));
      wrotePolicyFile = true;
    } catch (e) {
      why = `cannot write ${POLICY_FILE}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
    }
  }
  if (wrotePolicyFile) {
    console.log(
      `demo: wrote ${POLICY_FILE} (office ${office}, policy ${policyUrl})${flag('--keep-policy') ? '; it stays after exit' : '; removed on exit'}`,
    );
    console.log('demo: building the extension…');
    execFileSync(process.execPath, [join(ROOT, 'build.mjs'), 'chrome'], { stdio: ['ignore', 'ignore', 'inherit'] });
    return join(ROOT, 'dist/chrome');
  }
  releaseBrowserLock();
  const configFile = join(userDataDir, 'demo-config.json');
  writeFileSync(configFile, JSON.stringify(managed));
  console.log(
    `demo: ${why}; using the demo build dist/demo-chrome/ instead: the same extension, configured from a bundled file (office ${office}, policy ${policyUrl}) rather than by enterprise policy. Its popup says so; a release build never contains it.`,
  );
  execFileSync(process.execPath, [join(ROOT, 'build.mjs'), 'chrome', '--demo-config', configFile], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return join(ROOT, 'dist/demo-chrome');
}

let context: BrowserContext | null = null;
const cleanup = async () => {
  await context?.close().catch(() => undefined);
  if (wrotePolicyFile && !flag('--keep-policy')) rmSync(POLICY_FILE, { force: true });
  rmSync(userDataDir, { recursive: true, force: true });
  await policyServer.close();
  await vendor.close();
  releaseBrowserLock();
};
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

try {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless,
    ignoreHTTPSErrors: true,
    viewport: { width: 1100, height: 760 },
    args: [
      `--disable-extensions-except=${EXT}`,
      `--load-extension=${EXT}`,
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--ignore-certificate-errors',
      // The vendor sites are local fakes: nothing in the demo touches the real vendors.
      `--host-resolver-rules=${hosts.flatMap((h) => [`MAP ${h} 127.0.0.1:${vendor.port}`, `MAP *.${h} 127.0.0.1:${vendor.port}`]).join(', ')}`,
    ],
  });
  const sw = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker', { timeout: 30_000 }));
  console.log(`demo: extension ${EXTENSION_ID} running; waiting for the managed configuration and the policy…`);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const ready = await sw
      .evaluate(async () => {
        const applied = (await chrome.storage.local.get('lastApplied')).lastApplied as
          | { serial?: number | null }
          | undefined;
        return typeof applied?.serial === 'number';
      })
      .catch(() => false);
    if (ready) break;
    if (Date.now() > deadline)
      throw new Error(
        'the extension did not apply the example policy within 2 minutes (open the popup for the reason)',
      );
    await new Promise((r) => setTimeout(r, 300));
  }
  console.log(`demo: policy serial ${policy.serial} verified and enforced for ${officeName} (${office})\n`);

  if (!headless) {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(sites[0]!).catch(() => undefined);
    console.log(
      `A Chromium window is open as a ${officeName} employee. Try:\n${[...sites, unlistedUrl].map((s) => `  ${s}`).join('\n')}\n` +
        `(${unlistedUrl} is an AI assistant no policy lists: unlistedAiAction "${policy.unlistedAiAction}" applies once it is recognised.)\n` +
        'Open the AI Geofence toolbar icon for the popup. Close the window (or press Ctrl+C) to end the demo.',
    );
    await new Promise<void>((r) => context!.on('close', () => r()));
  } else {
    mkdirSync(OUT, { recursive: true });
    const shots: Record<string, string> = {};
    let mismatches = 0;
    const page = await context.newPage();
    for (const url of sites) {
      const expected = decide(compiled, { office }, url, Date.now());
      const seen = await observe(page, url);
      const rule = expected.rule?.id ?? (expected.toolId ? 'defaultAction' : '-');
      const agree = seen === expected.action;
      if (!agree) mismatches++;
      console.log(`${url} → ${seen} → ${rule}${agree ? '' : `   (MISMATCH: the policy says ${expected.action})`}`);
      if ((seen === 'block' || seen === 'warn') && !shots[seen]) {
        await page
          .getByTestId('notice-title')
          .waitFor({ timeout: 10_000 })
          .catch(() => undefined);
        shots[seen] = join(OUT, `${seen}-page.png`);
        await page.screenshot({ path: shots[seen], fullPage: true });
      }
    }
    // An AI tool nobody listed: recognised in the page, then unlistedAiAction applies (the tab moves).
    if (policy.unlistedAiAction !== 'allow') {
      await page.goto(unlistedUrl).catch(() => undefined);
      const seen = await page.waitForURL(/\/(block|warn)\.html#/, { timeout: 15_000 }).then(
        () => (page.url().includes('/block.html') ? 'block' : 'warn'),
        () => 'allow',
      );
      const agree = seen === policy.unlistedAiAction;
      if (!agree) mismatches++;
      console.log(
        `${unlistedUrl} → ${seen} → UNLISTED-AI-TOOL (not listed; discovered in the page)${agree ? '' : `   (MISMATCH: the policy says ${policy.unlistedAiAction})`}`,
      );
      if (seen !== 'allow') {
        await page
          .getByTestId('notice-title')
          .waitFor({ timeout: 10_000 })
          .catch(() => undefined);
        shots.unlisted = join(OUT, `unlisted-${seen}-page.png`);
        await page.screenshot({ path: shots.unlisted, fullPage: true });
      }
    }
    // The popup, as an employee opening it on the last blocked site.
    const blocked = sites.find((s) => decide(compiled, { office }, s, Date.now()).action === 'block');
    if (blocked) await page.goto(blocked).catch(() => undefined);
    const popup = await context.newPage();
    await popup.setViewportSize({ width: 420, height: 720 });
    await popup.goto(`chrome-extension://${EXTENSION_ID}/popup.html`);
    await popup
      .getByTestId('policy-status')
      .waitFor({ timeout: 10_000 })
      .catch(() => undefined);
    shots.popup = join(OUT, 'popup.png');
    await popup.screenshot({ path: shots.popup, fullPage: true });
    console.log(
      `\ndemo: screenshots in ${OUT}: ${Object.values(shots)
        .map((p) => p.slice(OUT.length + 1))
        .join(', ')}`,
    );
    for (const needed of ['block', 'warn'])
      if (!shots[needed])
        console.log(
          `demo: note: no site of the example is ${needed}ed for ${office}, so there is no ${needed} page screenshot`,
        );
    if (mismatches) throw new Error(`${mismatches} site(s) were not enforced as the policy says`);
    if (flag('--keep-open')) {
      console.log('demo: --keep-open: the headless browser stays up; press Ctrl+C to end.');
      await new Promise(() => undefined);
    }
  }
} catch (e) {
  console.error(`demo: ${(e as Error).message}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}

/** Navigate and report what the employee sees: block page, warn page, banner (monitor) or the site. */
async function observe(page: Page, url: string): Promise<string> {
  await page.goto(url).catch(() => undefined);
  await page.waitForLoadState('domcontentloaded').catch(() => undefined);
  const at = page.url();
  if (at.startsWith(`chrome-extension://${EXTENSION_ID}/block.html`)) return 'block';
  if (at.startsWith(`chrome-extension://${EXTENSION_ID}/warn.html`)) return 'warn';
  const banner = await page
    .locator('[data-ai-geofence="banner"]')
    .waitFor({ timeout: 3_000 })
    .then(
      () => true,
      () => false,
    );
  return banner ? 'monitor' : 'allow';
}
