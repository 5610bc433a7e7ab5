/**
 * End-to-end harness: real Debian Chromium, the built dist/chrome, a real enterprise policy file,
 * a local policy server and a local fake vendor server (HTTP and HTTPS on one port), vendor hosts
 * mapped to loopback with --host-resolver-rules.
 */
import { chromium, expect, test, type BrowserContext, type Worker } from '@playwright/test';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CompactSign, exportJWK, GeneralSign, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { EXTENSION_ID } from '../../src/core/config/identity.ts';
import { startServer, vendorPage, type Served, type TestServer } from '../../scripts/lib/local-servers.ts';

/** The repository: the nearest folder up with build.mjs (benchmarks bundle this file elsewhere). */
function repositoryRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'build.mjs')) && existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no repository (build.mjs) above ${from}`);
  }
}
export const ROOT = repositoryRoot(import.meta.dirname);
export const EXTENSION_DIR = join(ROOT, 'dist/chrome');
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const POLICY_DIR = process.env.CHROMIUM_POLICY_DIR ?? '/etc/chromium/policies/managed';
export { EXTENSION_ID };

/** Fail loudly (never skip) when the browser or the build is missing. */
export function assertPrerequisites(): void {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}. Install it (Debian/Ubuntu: sudo apt-get install chromium) ` +
        'or point CHROMIUM_PATH at a Chromium binary. The end-to-end tests need a real browser.',
    );
  }
  if (!existsSync(join(EXTENSION_DIR, 'manifest.json')))
    throw new Error(`no built extension in ${EXTENSION_DIR}: run "npm run build" first`);
}

// ---------------------------------------------------------------------------------------------
// Keys and signing (test keys are generated per run; nothing signed by hand is checked in)

export interface TestKey {
  kid: string;
  alg: 'EdDSA' | 'ES256';
  privateKey: CryptoKey;
  publicJwk: JWK & { kid: string };
}

/** A fresh signing key. */
export async function makeKey(kid: string, alg: 'EdDSA' | 'ES256' = 'EdDSA'): Promise<TestKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid } };
}

/** Sign a policy object: compact with one key, general JSON with several. */
export async function signPolicy(policy: unknown, keys: TestKey[]): Promise<string> {
  const payload = new TextEncoder().encode(JSON.stringify(policy));
  const header = (k: TestKey) => ({ alg: k.alg, kid: k.kid, typ: 'ai-geofence-policy+jws' });
  if (keys.length === 1) return new CompactSign(payload).setProtectedHeader(header(keys[0]!)).sign(keys[0]!.privateKey);
  const s = new GeneralSign(payload);
  for (const k of keys) s.addSignature(k.privateKey).setProtectedHeader(header(k));
  return JSON.stringify(await s.sign());
}

/** The brief's Hong Kong scenario, valid around now. */
export function samplePolicy(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const day = 24 * 3600 * 1000;
  return {
    type: 'ai-geofence-policy',
    version: 1,
    serial: 42,
    issued: new Date(Date.now() - day).toISOString(),
    expires: new Date(Date.now() + 30 * day).toISOString(),
    issuer: 'Example Bank — Global Compliance',
    contact: 'ai-governance@bank.example',
    offices: {
      HK: { name: 'Hong Kong', jurisdiction: 'HK', regions: ['greater-china', 'apac'] },
      NY: { name: 'New York', jurisdiction: 'US', regions: ['americas'] },
      LDN: { name: 'London', jurisdiction: 'GB', regions: ['emea'] },
    },
    tools: {
      claude: { name: 'Claude', vendor: 'Anthropic', domains: ['claude.ai', 'anthropic.com'] },
      chatgpt: { name: 'ChatGPT', vendor: 'OpenAI', domains: ['chatgpt.com', 'openai.com'] },
      'firm-llm': {
        name: 'Firm LLM Suite',
        vendor: 'Example Bank',
        domains: ['llm.bank.example'],
        url: 'https://llm.bank.example/',
      },
    },
    rules: [
      {
        id: 'HK-ANTHROPIC-2026-11',
        tools: ['claude'],
        offices: ['HK'],
        action: 'block',
        notice: {
          title: { en: 'Do not use: Anthropic Claude', 'zh-Hant': '請勿使用：Anthropic Claude' },
          reason: "The vendor's licence terms restrict use from Greater China.",
          reference: 'Compliance memo CT-2026-014',
          effective: '2026-11-20',
          alternatives: ['firm-llm'],
        },
      },
      {
        id: 'NON-US-ANTHROPIC',
        tools: ['claude'],
        exceptJurisdictions: ['US'],
        action: 'warn',
        notice: {
          title: 'Check before use',
          reason: 'Client data must not be entered outside the US.',
          reference: 'Memo CT-2026-015',
        },
      },
    ],
    defaultAction: 'allow',
    ...overrides,
  };
}

// ---------------------------------------------------------------------------------------------
// Servers

export type { RecordedRequest, Route, Served, TestServer } from '../../scripts/lib/local-servers.ts';
export { startServer, vendorPage } from '../../scripts/lib/local-servers.ts';

/** A policy server whose document can be swapped (and broken) during a test. */
export async function startPolicyServer(
  initial: string,
): Promise<TestServer & { set(doc: Served | string): void; url: string }> {
  let current: Served = { body: initial, type: 'application/jose' };
  const server = await startServer((_req, url) => (url.pathname === '/policy.jws' ? current : undefined));
  return Object.assign(server, {
    set(doc: Served | string) {
      current = typeof doc === 'string' ? { body: doc, type: 'application/jose' } : doc;
    },
    url: `http://127.0.0.1:${server.port}/policy.jws`,
  });
}

// ---------------------------------------------------------------------------------------------
// Enterprise policy file and browser

const writtenPolicyFiles = new Set<string>();
/** Every policy file the tests write starts with this, so teardown finds them all. */
export const TEST_POLICY_PREFIX = 'ai-geofence-e2e';

/** Write the managed configuration as a real Chromium enterprise policy file. */
export function writeManagedConfig(
  config: Record<string, unknown>,
  name = 'ai-geofence-e2e.json',
  extra: Record<string, unknown> = {},
): string {
  if (!name.startsWith(TEST_POLICY_PREFIX)) throw new Error(`test policy files must start with ${TEST_POLICY_PREFIX}`);
  try {
    mkdirSync(POLICY_DIR, { recursive: true });
    const file = join(POLICY_DIR, name);
    writeFileSync(file, JSON.stringify({ '3rdparty': { extensions: { [EXTENSION_ID]: config } }, ...extra }, null, 2));
    writtenPolicyFiles.add(file);
    return file;
  } catch (e) {
    throw new Error(
      `cannot write the enterprise policy file in ${POLICY_DIR} (${(e as Error).message}); the end-to-end tests must run as root, or set CHROMIUM_POLICY_DIR`,
    );
  }
}

/** Remove every policy file this run wrote (by name, so the run's teardown can do it from any process). */
export function removeManagedConfig(): void {
  for (const f of writtenPolicyFiles) rmSync(f, { force: true });
  writtenPolicyFiles.clear();
  if (!existsSync(POLICY_DIR)) return;
  for (const f of readdirSync(POLICY_DIR))
    if (f.startsWith(TEST_POLICY_PREFIX)) rmSync(join(POLICY_DIR, f), { force: true });
}

export interface LaunchOptions {
  vendorPort: number;
  /** Host names mapped to the vendor server (subdomains included). */
  vendorHosts?: string[];
  userDataDir?: string;
  locale?: string;
  /** IANA time zone of the browser (Playwright `timezoneId`); the machine's by default. */
  timezoneId?: string;
  /** More Chromium switches, e.g. `--lang=zh-HK` for the browser's own UI language. */
  args?: string[];
  /** The unpacked extension to load; default the built dist/chrome (benchmarks load variants of it). */
  extensionDir?: string;
}

export const DEFAULT_VENDOR_HOSTS = [
  'claude.ai',
  'anthropic.com',
  'chatgpt.com',
  'openai.com',
  'llm.bank.example',
  'other.example',
  'deepseek.com',
  'gemini.google.com',
];

export interface Launched {
  context: BrowserContext;
  sw: Worker;
  userDataDir: string;
  close(): Promise<void>;
}

/** Chromium with the built extension; resolves once its service worker runs. */
export async function launchBrowser(opts: LaunchOptions): Promise<Launched> {
  assertPrerequisites();
  const userDataDir = opts.userDataDir ?? mkdtempSync(join(tmpdir(), 'aig-profile-'));
  const hosts = opts.vendorHosts ?? DEFAULT_VENDOR_HOSTS;
  const rules = hosts
    .flatMap((h) => [`MAP ${h} 127.0.0.1:${opts.vendorPort}`, `MAP *.${h} 127.0.0.1:${opts.vendorPort}`])
    .join(', ');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    ignoreHTTPSErrors: true,
    locale: opts.locale ?? 'en-US',
    ...(opts.timezoneId ? { timezoneId: opts.timezoneId } : {}),
    args: [
      ...(opts.args ?? []),
      `--disable-extensions-except=${opts.extensionDir ?? EXTENSION_DIR}`,
      `--load-extension=${opts.extensionDir ?? EXTENSION_DIR}`,
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--ignore-certificate-errors',
      `--host-resolver-rules=${rules}`,
    ],
  });
  const sw =
    context.serviceWorkers().find((w) => w.url().startsWith(`chrome-extension://${EXTENSION_ID}/`)) ??
    (await context.waitForEvent('serviceworker', { timeout: 20_000 }));
  if (!sw.url().includes(EXTENSION_ID))
    throw new Error(`extension loaded with ID ${sw.url()}, expected ${EXTENSION_ID}: check the manifest key`);
  return {
    context,
    sw,
    userDataDir,
    close: async () => {
      await context.close();
    },
  };
}

/** The service worker, re-found after it was restarted or woke up again. */
export async function serviceWorker(context: BrowserContext): Promise<Worker> {
  return (
    context.serviceWorkers().find((w) => w.url().startsWith(`chrome-extension://${EXTENSION_ID}/`)) ??
    context.waitForEvent('serviceworker', { timeout: 20_000 })
  );
}

/** Poll `fn` in the service worker until `ok(value)`; fails with the last value seen. */
export async function waitInWorker<T>(
  context: BrowserContext,
  fn: () => Promise<T> | T,
  ok: (v: T) => boolean,
  what: string,
  timeoutMs = 45_000,
): Promise<T> {
  let last: T | undefined;
  const reached = async () => {
    try {
      last = await (await serviceWorker(context)).evaluate(fn);
      return ok(last);
    } catch {
      return false; // the worker may be restarting
    }
  };
  await expect
    .poll(reached, { timeout: timeoutMs, intervals: [250], message: `timed out waiting for ${what}` })
    .toBe(true)
    .catch(() => {
      throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)?.slice(0, 500)}`);
    });
  return last as T;
}

/** Wait until the managed configuration reached the extension (Chromium may deliver it late). */
export async function waitForManagedConfig(context: BrowserContext, office: string): Promise<void> {
  await waitInWorker(
    context,
    () => chrome.storage.managed.get(),
    (v) => (v as { office?: string }).office === office,
    `managed office ${office}`,
    120_000,
  );
}

/** Wait until the policy with `serial` is verified and its rules are installed. */
export async function waitForPolicy(context: BrowserContext, serial: number): Promise<void> {
  await waitInWorker(
    context,
    async () =>
      ((await chrome.storage.local.get('lastApplied')) as { lastApplied?: { serial: number | null } }).lastApplied
        ?.serial ?? null,
    (v) => v === serial,
    `policy serial ${serial} applied`,
  );
}

/** Ask the worker to refresh the policy now (as the refresh alarm would). */
export async function triggerRefresh(context: BrowserContext): Promise<void> {
  await (await serviceWorker(context)).evaluate(() => chrome.alarms.create('policy-refresh', { when: Date.now() }));
}

/** Read the extension's stored state (status, refusals). */
export async function storedState(context: BrowserContext): Promise<Record<string, unknown>> {
  return (await serviceWorker(context)).evaluate(() => chrome.storage.local.get(null));
}

export const blockPageUrl = `chrome-extension://${EXTENSION_ID}/block.html`;
export const warnPageUrl = `chrome-extension://${EXTENSION_ID}/warn.html`;
export const popupUrl = `chrome-extension://${EXTENSION_ID}/popup.html`;

/**
 * Browsers and servers a spec starts, closed after each test together with the policy files it
 * wrote (one place instead of one afterEach per spec). Call at the top level of a spec file.
 */
export function trackForCleanup(): { browsers: Launched[]; servers: TestServer[] } {
  const tracked = { browsers: [] as Launched[], servers: [] as TestServer[] };
  test.afterEach(async () => {
    for (const b of tracked.browsers.splice(0)) await b.close();
    removeManagedConfig();
    for (const s of tracked.servers.splice(0)) await s.close();
  });
  return tracked;
}

/** As `trackForCleanup`, plus a fresh fake vendor server for each test (`vendor()` is the current one). */
export function trackWithVendor(): { browsers: Launched[]; servers: TestServer[]; vendor: () => TestServer } {
  const tracked = trackForCleanup();
  let current: TestServer | null = null;
  test.beforeEach(async () => {
    current = await startServer(vendorPage);
    tracked.servers.push(current);
  });
  return { ...tracked, vendor: () => current! };
}
