/**
 * `npm run bench` (docs/benchmarks.md#browser-benchmark-npm-run-bench): the extension measured side by side with Chromium's native
 * `URLBlocklist` enterprise policy and with a browser without the extension, in one run on real
 * Chromium. Writes bench/results.json and the generated part of docs/benchmarks.md.
 *
 *  1. Time to notice: navigation start → block notice painted, extension vs native URLBlocklist.
 *  2. Overhead on ordinary pages: load time with the extension (100,000-domain policy) vs without.
 *  3. Leaks: requests and connections reaching the blocked vendor, every resource type.
 *  4. Policy scale: 100 / 10,000 / 100,000 domains — in-worker verify…install phases, DNR rules,
 *     decisions per second of the core (Node).
 *  5. Footprint: bundle sizes (minified, gzip) and the service worker's JS heap.
 *
 * Two Chromium instances run side by side for the whole run (launched once each): A with the
 * extension, B without any extension. Chromium reads one machine-wide policy directory, so both get
 * the same policy file: `URLBlocklist: ["claude.ai/native-block"]` (the native side navigates under
 * that path; the extension side under /ext, which the blocklist does not cover) plus the extension's
 * managed configuration (ignored by B, which has no extension). Runs are interleaved A/B with the
 * order alternating, so load from other processes on the machine hits both sides alike.
 */
import { chromium, type BrowserContext, type CDPSession, type Page, type Worker } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { compilePolicy, decide } from '../src/core/decide/decide.ts';
import { EXTENSION_ID } from '../src/core/config/identity.ts';
import { parsePolicy } from '../src/core/policy/policy-schema.ts';
import { acquireBrowserLock, releaseBrowserLock } from '../scripts/lib/browser-lock.ts';
import {
  makeKey,
  signPolicy,
  startPolicyServer,
  startServer,
  vendorPage,
  type RecordedRequest,
  type TestKey,
} from '../test/e2e/harness.ts';
import { cdpAvailable, connectToTarget, devtoolsPort } from './lib/cdp.ts';
import { describeMachine, finishMachine, machineLine, type Machine } from './lib/machine.ts';
import {
  FAST_HOST_RULES,
  runFastSeries,
  startFastSite,
  type FastSeriesResult,
  type FastSides,
} from './lib/fast-pages.ts';
import { decisionUrls, DOMAINS_PER_TOOL, makePolicy } from './lib/policies.ts';
import { renderMarkdown, updateDocs } from './lib/report.ts';
import { leakPage, leakType, LEAK_TYPES, ORDINARY_PAGES, SITE_HOSTS, startSiteServer } from './lib/sites.ts';
import { geometricMean, quantile, ratio, summarize, type Summary } from './lib/stats.ts';
import { startTcpRecorder, type Connection } from './lib/tcp-recorder.ts';
import { blockedSequence, renderSequence, SEQUENCE_TARGET, type SequenceResult } from './lib/notice-sequence.ts';
import { FLIP_HOST_SUFFIX, flipAndNavigate, renderFlip, type FlipResult } from './lib/flip-bench.ts';
import { installWorkerProbe, phasesOf, readWorkerMarks, type WorkerPhases } from './lib/worker-probe.ts';

const ROOT = resolve(import.meta.dirname, '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const POLICY_DIR = process.env.CHROMIUM_POLICY_DIR ?? '/etc/chromium/policies/managed';
const POLICY_FILE = join(POLICY_DIR, 'ai-geofence-bench.json');
const DOCS = join(ROOT, 'docs/benchmarks.md');

const SECTIONS = ['notice', 'sequence', 'overhead', 'fast-pages', 'scale', 'flip', 'leaks'] as const;
const HELP = `npm run bench [-- options]     (npm run bench:quick = --quick)

  --quick     fewer iterations (about 4 minutes instead of about 8)
  --no-docs   do not rewrite the generated section of docs/benchmarks.md
  --report    no measuring: render bench/results.json again (tables and docs section)
  --only A,B  run only these parts: ${SECTIONS.join(', ')} (the policy install they need still runs);
              writes bench/results-only-<parts>.json, never results.json or the docs
  --help      this text

Needs root (it writes ${POLICY_FILE}, removed at the end) and Chromium at ${CHROMIUM}.
Takes the machine's browser lock (the one the e2e tests take) while browsers run.`;

const argv = process.argv.slice(2);
const onlyArg = argv.includes('--only') ? (argv[argv.indexOf('--only') + 1] ?? '') : null;
const ONLY = onlyArg === null ? null : new Set(onlyArg.split(','));
for (const s of ONLY ?? [])
  if (!(SECTIONS as readonly string[]).includes(s))
    throw new Error(`--only: unknown part "${s}"; parts: ${SECTIONS.join(', ')}`);
/** Whether this run measures that part (all of them unless --only names some). */
const runs = (section: (typeof SECTIONS)[number]) => !ONLY || ONLY.has(section);
if (argv.includes('--help')) {
  console.log(HELP);
  process.exit(0);
}
const QUICK = argv.includes('--quick');
// A partial run (--only) never replaces the full run's results or the docs section.
const WRITE_DOCS = !argv.includes('--no-docs') && !ONLY;
const RESULTS = join(ROOT, ONLY ? `bench/results-only-${[...ONLY].sort().join('+')}.json` : 'bench/results.json');

export const SIZES = [100, 10_000, 100_000] as const;
const LARGE = 100_000;
const SMALL = 100;
const RUNS = QUICK
  ? {
      noticeWarmup: 1,
      notice: 5,
      overheadRounds: { [SMALL]: 3, [LARGE]: 4 } as Record<number, number>,
      scaleReps: 1,
      decideSeconds: 0.5,
      fastPairs: 20,
      fastWarmups: 3,
      sequencePairs: 5,
      flipRounds: 3,
    }
  : {
      noticeWarmup: 2,
      notice: 20,
      overheadRounds: { [SMALL]: 8, [LARGE]: 12 } as Record<number, number>,
      scaleReps: 5,
      decideSeconds: 1.5,
      fastPairs: 80,
      fastWarmups: 5,
      sequencePairs: 15,
      flipRounds: 8,
    };
export const TARGETS = { noticeRatio: 1.0, overheadRatio: 1.02, leaks: 0, installMs: 1000, dnrRules: 50 };

/** The vendor every test blocks: Claude, blocked for Hong Kong by the first rule of every bench policy. */
const VENDOR_HOSTS = ['claude.ai', 'anthropic.com'];
const NATIVE_BLOCK = 'claude.ai/native-block';

const log = (s: string) => console.log(`bench: ${s}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

// ---------------------------------------------------------------------------------------------
// Result shapes (bench/results.json)

export interface NoticeSeries {
  /** Navigation start → first contentful paint (paint timing of the resulting page). */
  fcp: Summary;
  /** Navigation start → the notice's title painted (Element Timing on the title element). */
  notice: Summary;
  /** Cross-check from outside: Node's clock before Page.navigate → CDP firstContentfulPaint. */
  outerFcp: Summary;
  failures: number;
  failureReasons: string[];
  /** TCP connections the fake vendor saw during this series (Chromium preconnects on navigation). */
  vendorConnections: number;
}

export interface NoticeResult {
  domains: number;
  native: NoticeSeries;
  extAwake: NoticeSeries;
  extAsleep: NoticeSeries;
  ratioAwake: { fcp: number; notice: number };
  ratioAsleep: { fcp: number; notice: number };
}

export interface OverheadResult {
  domains: number;
  pages: Array<{
    name: string;
    url: string;
    requests: number;
    withExtension: Summary;
    without: Summary;
    ratio: number;
  }>;
  /** Geometric mean over pages of (median with / median without). */
  ratio: number;
  /** Per interleaved pair (with / without): spread of the ratio. */
  pairedRatio: Summary;
}

export interface LeakRow {
  type: string;
  control: number;
  extension: number;
  native: number;
}

export interface LeakResult {
  domains: number;
  rows: LeakRow[];
  extension: {
    requests: number;
    connections: number;
    connectionsWithoutRequest: number;
    firstLines: string[];
    details: string[];
  };
  /** The extension side again after relaunching with the enterprise policy NetworkPredictionOptions: 2. */
  withoutNetworkPrediction: { requests: number; connections: number; firstLines: string[] } | null;
  native: { requests: number; connections: number; navigations: string[] };
  control: { requests: number; connections: number; typesNotReached: string[] };
}

export interface ScaleResult {
  domains: number;
  tools: number;
  rules: number;
  jwsBytes: number;
  installs: Array<{ serial: number; outerMs: number; phases: WorkerPhases }>;
  /** The worker's API-call timeline of the last install (ms since the first call), for digging. */
  lastInstallMarks: Array<[string, number]>;
  phases: Record<keyof WorkerPhases, number | null>;
  dnrRules: number;
  dnrRequestDomains: number;
  contentScriptPatterns: number;
  node: { parseMs: number; compilePolicyMs: number; decisionsPerSecond: number; decisionsRange: number[] };
}

export interface FootprintResult {
  /** bytes: the file itself; withChunks: with the chunks it imports; gzip: of the latter. */
  bundles: Array<{ name: string; bytes: number; withChunks: number; gzip: number }>;
  heap: Array<{ domains: number; usedBytes: number; usedAfterGcBytes: number; totalBytes: number }>;
  heapMethod: string;
}

export interface Results {
  date: string;
  quick: boolean;
  machine: Machine;
  runs: typeof RUNS;
  notice: NoticeResult[];
  overhead: OverheadResult[];
  /** Fast page (bench/lib/fast-pages.ts): same host again / new host each time; discovery on and off. */
  fastPages?: FastSeriesResult[];
  leaks: LeakResult | null;
  scale: ScaleResult[];
  /** Blocked navigations back to back (bench/lib/notice-sequence.ts). */
  sequence?: SequenceResult[];
  /** Popup names a serial → navigate at once (bench/lib/flip-bench.ts). */
  flip?: FlipResult | null;
  footprint: FootprintResult;
  targets: Array<{ name: string; target: string; value: string; met: boolean }>;
  notes: string[];
  durationSeconds: number;
}

// ---------------------------------------------------------------------------------------------
// Node side: decisions per second of the core on the same policies

interface PreparedCore {
  domains: number;
  compiled: ReturnType<typeof compilePolicy>;
  urls: string[];
  parseMs: number;
  compilePolicyMs: number;
}

function prepareCore(domains: number): PreparedCore {
  const gen = makePolicy(domains, 1);
  const json = JSON.stringify(gen.policy);
  let t = performance.now();
  const parsed = parsePolicy(JSON.parse(json));
  const parseMs = performance.now() - t;
  if (!parsed.ok)
    throw new Error(
      `the generated ${domains}-domain policy does not validate: ${JSON.stringify(parsed.issues.slice(0, 3))}`,
    );
  t = performance.now();
  const compiled = compilePolicy(parsed.policy);
  const compilePolicyMs = performance.now() - t;
  const urls = decisionUrls(Math.max(1, Math.round((domains - 5) / DOMAINS_PER_TOOL)), 20_000);
  return { domains, compiled, urls, parseMs: Math.round(parseMs), compilePolicyMs: Math.round(compilePolicyMs) };
}

/** Decisions per second for one trial of about `seconds`. */
function decideTrial(core: PreparedCore, seconds: number): number {
  const employee = { office: 'HK' };
  const now = Date.now();
  let n = 0;
  let blocked = 0;
  const t = performance.now();
  do {
    for (const u of core.urls) if (decide(core.compiled, employee, u, now).action === 'block') blocked++;
    n += core.urls.length;
  } while (performance.now() - t < seconds * 1000);
  if (blocked === 0) throw new Error('the decision benchmark blocked nothing: the generated policy is wrong');
  return n / ((performance.now() - t) / 1000);
}

/** The core in Node: trials interleaved across sizes, median and range reported. */
function nodeCore(sizes: readonly number[]): Map<number, ScaleResult['node']> {
  const cores = sizes.map(prepareCore);
  const trials = new Map<number, number[]>(sizes.map((n) => [n, []]));
  for (let k = 0; k < 5; k++)
    for (const c of cores) trials.get(c.domains)!.push(decideTrial(c, RUNS.decideSeconds / 5));
  return new Map(
    cores.map((c) => {
      const v = trials.get(c.domains)!.sort((a, b) => a - b);
      return [
        c.domains,
        {
          parseMs: c.parseMs,
          compilePolicyMs: c.compilePolicyMs,
          decisionsPerSecond: Math.round(quantile(v, 0.5)),
          decisionsRange: [Math.round(v[0]!), Math.round(v.at(-1)!)],
        },
      ];
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Browsers

interface Side {
  name: 'extension' | 'plain';
  context: BrowserContext;
  userDataDir: string;
  /** A tab for the block-notice runs (Element Timing init script) and one for ordinary pages. */
  noticePage: Page;
  noticeCdp: CDPSession;
  loadPage: Page;
}

const BROWSER_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--ignore-certificate-errors',
  '--remote-debugging-port=0',
];

/** Marks the notice title for Element Timing (runs in every document of the notice tabs). */
function markNoticeForElementTiming(): void {
  const mark = () => {
    // Ours: the notice title of block.html. Chromium's: the heading of "This page is blocked".
    for (const el of document.querySelectorAll('[data-testid="notice-title"], #main-message h1')) {
      if (!el.hasAttribute('elementtiming')) el.setAttribute('elementtiming', 'notice');
    }
  };
  new MutationObserver(mark).observe(document, { childList: true, subtree: true });
}

async function launch(name: Side['name'], extDir: string | null, hostRules: string, profile?: string): Promise<Side> {
  const userDataDir = profile ?? mkdtempSync(join(tmpdir(), 'ai-geofence-bench-profile-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    ignoreHTTPSErrors: true,
    viewport: { width: 1280, height: 800 },
    args: [
      ...(extDir ? [`--disable-extensions-except=${extDir}`, `--load-extension=${extDir}`] : []),
      ...BROWSER_FLAGS,
      `--host-resolver-rules=${hostRules}`,
    ],
  });
  const noticePage = await context.newPage();
  await noticePage.addInitScript(markNoticeForElementTiming);
  const noticeCdp = await context.newCDPSession(noticePage);
  await noticeCdp.send('Page.enable');
  await noticeCdp.send('Page.setLifecycleEventsEnabled', { enabled: true });
  const loadPage = await context.newPage();
  for (const p of context.pages()) if (p !== noticePage && p !== loadPage) await p.close();
  return { name, context, userDataDir, noticePage, noticeCdp, loadPage };
}

async function worker(context: BrowserContext): Promise<Worker> {
  return (
    context.serviceWorkers().find((w) => w.url().startsWith(`chrome-extension://${EXTENSION_ID}/`)) ??
    context.waitForEvent('serviceworker', {
      timeout: 30_000,
      predicate: (w) => w.url().startsWith(`chrome-extension://${EXTENSION_ID}/`),
    })
  );
}

/** Poll the worker until `ok`, tolerating a worker that is restarting or busy. */
async function pollWorker<T>(
  context: BrowserContext,
  fn: () => Promise<T>,
  ok: (v: T) => boolean,
  what: string,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    try {
      last = await (await worker(context)).evaluate(fn);
      if (ok(last)) return last;
    } catch {
      // restarting
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs / 1000} s waiting for ${what}; last value ${JSON.stringify(last)?.slice(0, 300)}`,
      );
    await sleep(100);
  }
}

const lastAppliedSerial = async () =>
  ((await chrome.storage.local.get('lastApplied')) as { lastApplied?: { serial: number | null } }).lastApplied
    ?.serial ?? null;

/** Start or stop the extension's service worker (CDP ServiceWorker domain of a tab in that browser). */
class WorkerControl {
  private versions = new Map<string, { scriptURL: string; runningStatus: string }>();
  constructor(private readonly cdp: CDPSession) {
    cdp.on(
      'ServiceWorker.workerVersionUpdated',
      (e: { versions: Array<{ versionId: string; scriptURL: string; runningStatus: string }> }) => {
        for (const v of e.versions) this.versions.set(v.versionId, v);
      },
    );
  }
  async init(): Promise<void> {
    await this.cdp.send('ServiceWorker.enable');
  }
  private ours() {
    return [...this.versions.entries()].find(([, v]) => v.scriptURL.startsWith(`chrome-extension://${EXTENSION_ID}/`));
  }
  async stop(): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const v = this.ours();
      if (v && v[1].runningStatus === 'stopped') return;
      if (v && v[1].runningStatus === 'running')
        await this.cdp.send('ServiceWorker.stopWorker', { versionId: v[0] }).catch(() => undefined);
      if (Date.now() > deadline)
        throw new Error(`the service worker did not stop (status ${v?.[1].runningStatus ?? 'unknown'})`);
      await sleep(50);
    }
  }
  /** Start the worker; true when it was not running. */
  async start(): Promise<boolean> {
    if (this.ours()?.[1].runningStatus === 'running') return false;
    await this.cdp
      .send('ServiceWorker.startWorker', { scopeURL: `chrome-extension://${EXTENSION_ID}/` })
      .catch(() => undefined);
    const deadline = Date.now() + 10_000;
    while (this.ours()?.[1].runningStatus !== 'running') {
      if (Date.now() > deadline) throw new Error('the service worker did not start');
      await sleep(50);
    }
    return true;
  }
}

// ---------------------------------------------------------------------------------------------
// 1. Time to notice

interface NoticeSample {
  ok: boolean;
  fcp: number;
  notice: number;
  outerFcp: number;
  /** Why a run failed (final URL and the page's text), for the report. */
  failure?: string;
}

interface LifecycleEvent {
  frameId: string;
  loaderId: string;
  name: string;
  timestamp: number;
}

async function measureNotice(side: Side, url: string, expectUrl: RegExp): Promise<NoticeSample> {
  const { noticePage: page, noticeCdp: cdp } = side;
  // The employee's visible tab: background tabs are not painted on the same schedule.
  await page.bringToFront();
  await page.goto('about:blank');
  const tree = (await cdp.send('Page.getFrameTree')) as { frameTree: { frame: { id: string } } };
  const mainFrame = tree.frameTree.frame.id;
  const events: LifecycleEvent[] = [];
  const onEvent = (e: LifecycleEvent) => {
    if (e.frameId === mainFrame) events.push(e);
  };
  cdp.on('Page.lifecycleEvent', onEvent);
  try {
    const t0 = nowMs();
    await cdp.send('Page.navigate', { url });
    const deadline = Date.now() + 30_000;
    const seen = (name: string) => events.find((e) => e.name === name && e.timestamp * 1000 > t0);
    while (!(seen('firstContentfulPaint') && seen('load'))) {
      if (Date.now() > deadline)
        return { ok: false, fcp: NaN, notice: NaN, outerFcp: NaN, failure: `no paint within 30 s at ${page.url()}` };
      await sleep(10);
    }
    const outerFcp = seen('firstContentfulPaint')!.timestamp * 1000 - t0;
    const inPage = await page.evaluate(
      () =>
        new Promise<{ fcp: number; notice: number }>((resolveTimes) => {
          const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN;
          const done = (notice: number) => resolveTimes({ fcp, notice });
          new PerformanceObserver((list) => {
            const e = list
              .getEntries()
              .find((x) => (x as PerformanceEntry & { identifier?: string }).identifier === 'notice') as
              | (PerformanceEntry & { renderTime: number })
              | undefined;
            if (e) done(e.renderTime || e.startTime);
          }).observe({ type: 'element', buffered: true });
          setTimeout(() => done(NaN), 15_000);
        }),
    );
    const ok = expectUrl.test(page.url()) && Number.isFinite(inPage.notice);
    const failure = ok
      ? undefined
      : `${page.url().slice(0, 100)}: ${(await page.evaluate(() => document.body?.innerText ?? '').catch(() => '')).replace(/\s+/g, ' ').slice(0, 160)}`;
    return { ok, fcp: inPage.fcp, notice: inPage.notice, outerFcp, failure };
  } finally {
    cdp.off('Page.lifecycleEvent', onEvent);
  }
}

async function timeToNotice(
  domains: number,
  ext: Side,
  plain: Side,
  control: WorkerControl,
  vendorConnections: () => number,
): Promise<NoticeResult> {
  log(
    `time to notice with the ${domains.toLocaleString('en-US')}-domain policy: ${RUNS.notice} runs per series after ${RUNS.noticeWarmup} warm-up, interleaved`,
  );
  type Key = 'native' | 'extAwake' | 'extAsleep';
  const samples: Record<Key, NoticeSample[]> = { native: [], extAwake: [], extAsleep: [] };
  const connections: Record<Key, number> = { native: 0, extAwake: 0, extAsleep: 0 };
  const blockPage = new RegExp(`^chrome-extension://${EXTENSION_ID}/block\\.html#`);
  const run: Record<Key, (i: number) => Promise<NoticeSample>> = {
    native: (i) =>
      measureNotice(plain, `https://${NATIVE_BLOCK}/n${domains}-${i}`, /^chrome-error:\/\/chromewebdata\//),
    extAwake: async (i) => {
      // Normally a no-op: the previous asleep run ends with the worker woken and its notice shown.
      if (await control.start()) await sleep(3_000);
      return measureNotice(ext, `https://claude.ai/ext/awake-n${domains}-${i}`, blockPage);
    },
    extAsleep: async (i) => {
      await control.stop();
      return measureNotice(ext, `https://claude.ai/ext/asleep-n${domains}-${i}`, blockPage);
    },
  };
  const keys: Key[] = ['native', 'extAwake', 'extAsleep'];
  for (let i = 0; i < RUNS.noticeWarmup + RUNS.notice; i++) {
    // Rotate the order so that no series always runs first (or right after the worker restarts).
    for (let k = 0; k < keys.length; k++) {
      const key = keys[(i + k) % keys.length]!;
      const before = vendorConnections();
      const s = await run[key](i);
      await sleep(100);
      if (i < RUNS.noticeWarmup) continue;
      samples[key].push(s);
      connections[key] += vendorConnections() - before;
    }
  }
  await control.start();
  const series = (key: Key): NoticeSeries => {
    const ok = samples[key].filter((s) => s.ok);
    return {
      fcp: summarize(ok.map((s) => s.fcp)),
      notice: summarize(ok.map((s) => s.notice)),
      outerFcp: summarize(ok.map((s) => s.outerFcp)),
      failures: samples[key].length - ok.length,
      failureReasons: [...new Set(samples[key].flatMap((s) => (s.failure ? [s.failure] : [])))].slice(0, 3),
      vendorConnections: connections[key],
    };
  };
  const native = series('native');
  const extAwake = series('extAwake');
  const extAsleep = series('extAsleep');
  return {
    domains,
    native,
    extAwake,
    extAsleep,
    ratioAwake: {
      fcp: ratio(extAwake.fcp.median, native.fcp.median),
      notice: ratio(extAwake.notice.median, native.notice.median),
    },
    ratioAsleep: {
      fcp: ratio(extAsleep.fcp.median, native.fcp.median),
      notice: ratio(extAsleep.notice.median, native.notice.median),
    },
  };
}

/** Blocked navigations back to back (bench/lib/notice-sequence.ts). */
async function noticeSequence(
  domains: number,
  workerBefore: SequenceResult['worker'],
  ext: Side,
  control: WorkerControl,
): Promise<SequenceResult> {
  log(
    `blocked navigations back to back with the ${domains.toLocaleString('en-US')}-domain policy, worker ${workerBefore} before: ${RUNS.sequencePairs} pairs`,
  );
  const blockPage = new RegExp(`^chrome-extension://${EXTENSION_ID}/block\\.html#`);
  return blockedSequence(
    domains,
    workerBefore,
    RUNS.sequencePairs,
    (url) => measureNotice(ext, url, blockPage),
    (i, second) => `https://claude.ai/ext/seq-${workerBefore}-n${domains}-${i}-${second ? 'b' : 'a'}`,
    async () => {
      if (workerBefore === 'asleep') return control.stop();
      if (await control.start()) await sleep(3_000);
      await sleep(1_000);
    },
  );
}

// ---------------------------------------------------------------------------------------------
// 2. Overhead on ordinary pages

async function loadTime(page: Page, url: string): Promise<number> {
  await page.bringToFront();
  await page.goto('about:blank');
  await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
  return page.evaluate(
    () => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).loadEventEnd,
  );
}

async function overhead(domains: number, ext: Side, plain: Side, siteRequests: string[]): Promise<OverheadResult> {
  const rounds = RUNS.overheadRounds[domains] ?? 5;
  log(
    `overhead on ${ORDINARY_PAGES.length} ordinary pages with the ${domains.toLocaleString('en-US')}-domain policy: ${rounds} rounds after 1 warm-up, interleaved`,
  );
  const withExt: number[][] = ORDINARY_PAGES.map(() => []);
  const without: number[][] = ORDINARY_PAGES.map(() => []);
  const requests: number[] = ORDINARY_PAGES.map(() => 0);
  const pairs: number[] = [];
  for (let r = 0; r <= rounds; r++) {
    for (let p = 0; p < ORDINARY_PAGES.length; p++) {
      const url = ORDINARY_PAGES[p]!.url;
      const order = (r + p) % 2 === 0 ? [ext, plain] : [plain, ext];
      const t: Record<string, number> = {};
      for (const side of order) {
        const before = siteRequests.length;
        t[side.name] = await loadTime(side.loadPage, url);
        if (r === 0 && side === plain) requests[p] = siteRequests.length - before;
      }
      if (r === 0) continue;
      withExt[p]!.push(t.extension!);
      without[p]!.push(t.plain!);
      pairs.push(t.extension! / t.plain!);
    }
  }
  const pages = ORDINARY_PAGES.map((pg, p) => {
    const a = summarize(withExt[p]!);
    const b = summarize(without[p]!);
    return {
      name: pg.name,
      url: pg.url,
      requests: requests[p]!,
      withExtension: a,
      without: b,
      ratio: ratio(a.median, b.median),
    };
  });
  const spread = [...pairs].sort((x, y) => x - y);
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return {
    domains,
    pages,
    ratio: geometricMean(pages.map((p) => p.ratio)),
    pairedRatio: {
      n: spread.length,
      median: r3(quantile(spread, 0.5)),
      p25: r3(quantile(spread, 0.25)),
      p75: r3(quantile(spread, 0.75)),
      min: r3(spread[0] ?? NaN),
      max: r3(spread.at(-1) ?? NaN),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// 3. Leaks

interface LeakCapture {
  requests: string[];
  /** "METHOD path (sec-fetch-dest, sec-purpose)" of every request, for the report. */
  details: string[];
  connections: Connection[];
  prefix: string;
}

interface VendorProbe {
  requests: () => RecordedRequest[];
  connections: () => Connection[];
  reset: () => void;
}

async function leakRun(side: Side, prefix: string, vendor: VendorProbe): Promise<LeakCapture> {
  const { reset } = vendor;
  reset();
  const ctx = side.context;
  const page = await ctx.newPage();
  const report = `http://claude.ai${prefix}/csp-report`;
  const leakUrl = `http://news.example/leak?prefix=${encodeURIComponent(prefix)}&report=${encodeURIComponent(report)}`;
  const settle = async (p: Page) => {
    await p.waitForLoadState('load', { timeout: 5_000 }).catch(() => undefined);
    await sleep(600);
  };
  const openLeak = async () => {
    await page.goto(leakUrl, { waitUntil: 'load', timeout: 20_000 }).catch(() => undefined);
  };
  await openLeak();
  await sleep(2_000); // beacons, pings, CSP reports, media and WebSockets start after load
  // Navigations started by the page, as an employee clicking would.
  const fromPage: Array<[string, (p: Page) => Promise<unknown>]> = [
    ['link', (p) => p.evaluate(() => document.getElementById('link')!.click())],
    ['form', (p) => p.evaluate(() => (document.getElementById('form') as HTMLFormElement).submit())],
    [
      'location',
      (p) =>
        p.evaluate((u) => {
          location.href = u;
        }, `http://claude.ai${prefix}/nav-location`),
    ],
  ];
  for (const [, act] of fromPage) {
    await openLeak();
    await act(page).catch(() => undefined);
    await sleep(300);
    await settle(page);
  }
  await openLeak();
  const popupPromise = ctx.waitForEvent('page', { timeout: 5_000 }).catch(() => null);
  await page.evaluate((u) => void window.open(u), `http://claude.ai${prefix}/nav-window-open`).catch(() => undefined);
  const popup = await popupPromise;
  if (popup) {
    await settle(popup);
    await popup.close();
  }
  // Typed into the address bar.
  for (const u of [
    `http://claude.ai${prefix}/nav-typed`,
    `https://claude.ai${prefix}/nav-typed-tls`,
    `https://www.claude.ai${prefix}/nav-typed-subdomain`,
  ]) {
    await page.goto(u, { timeout: 10_000 }).catch(() => undefined);
    await settle(page);
  }
  await sleep(500);
  await page.close();
  const reqs = vendor.requests();
  return {
    requests: reqs.map((q) => q.path),
    details: reqs.map(
      (q) =>
        `${q.method} ${q.path} (${[q.headers['sec-fetch-dest'], q.headers['sec-purpose']].filter(Boolean).join(', ')})`,
    ),
    // Copies: Chromium may later reuse an idle preconnected socket for another pass's request.
    connections: vendor.connections().map((c) => ({ ...c })),
    prefix,
  };
}

function typesOf(c: LeakCapture): Map<string, number> {
  const m = new Map<string, number>();
  const add = (path: string) => m.set(leakType(path), (m.get(leakType(path)) ?? 0) + 1);
  for (const path of c.requests) if (path.startsWith(`${c.prefix}/`)) add(path);
  // A plain-HTTP connection whose request the HTTP server never handled (cancelled mid-way).
  for (const conn of c.connections) {
    const path = /^[A-Z]+ (\S+) HTTP/.exec(conn.first)?.[1];
    if (path?.startsWith(`${c.prefix}/`) && !c.requests.includes(path)) add(path);
  }
  return m;
}

async function leaks(ext: Side, plain: Side, vendor: VendorProbe): Promise<LeakResult> {
  log(
    'leaks: every resource type and main-frame navigation to the blocked vendor (extension, native URLBlocklist, unblocked control)',
  );
  const extCap = await leakRun(ext, '/ext', vendor);
  const nativeCap = await leakRun(plain, '/native-block', vendor);
  const controlCap = await leakRun(plain, '/control', vendor);
  const [e, n, c] = [typesOf(extCap), typesOf(nativeCap), typesOf(controlCap)];
  const rows: LeakRow[] = LEAK_TYPES.map((type) => ({
    type,
    control: c.get(type) ?? 0,
    extension: e.get(type) ?? 0,
    native: n.get(type) ?? 0,
  }));
  for (const [type] of e)
    if (!rows.some((r) => r.type === type))
      rows.push({ type, control: c.get(type) ?? 0, extension: e.get(type)!, native: n.get(type) ?? 0 });
  const withoutRequest = extCap.connections.filter((x) => x.first === '' || x.first === 'TLS');
  return {
    domains: LARGE,
    rows,
    extension: {
      requests: extCap.requests.length,
      connections: extCap.connections.length,
      connectionsWithoutRequest: withoutRequest.length,
      firstLines: extCap.connections.map((x) => x.first || '(no bytes)'),
      details: extCap.details,
    },
    withoutNetworkPrediction: null,
    native: {
      requests: nativeCap.requests.length,
      connections: nativeCap.connections.length,
      // From the connection log: a request the browser cancelled may never reach the HTTP server's handler.
      navigations: nativeCap.connections.map((x) => x.first).filter((f) => f.includes('/nav-')),
    },
    control: {
      requests: controlCap.requests.length,
      connections: controlCap.connections.length,
      typesNotReached: rows.filter((r) => r.control === 0).map((r) => r.type),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// 4. Policy scale (in the worker) and 5. heap

interface PolicySource {
  set(jws: string): void;
  path: string;
}

async function install(
  ext: Side,
  control: WorkerControl,
  source: PolicySource,
  key: TestKey,
  domains: number,
  serial: number,
): Promise<{ outerMs: number; phases: WorkerPhases; jwsBytes: number; marks: Array<[string, number]> }> {
  const gen = makePolicy(domains, serial);
  const jws = await signPolicy(gen.policy, [key]);
  source.set(jws);
  await control.start();
  const sw = await worker(ext.context);
  await sw.evaluate(installWorkerProbe, source.path);
  const t0 = Date.now();
  await sw.evaluate(() => chrome.alarms.create('policy-refresh', { when: Date.now() }));
  await pollWorker(
    ext.context,
    lastAppliedSerial,
    (s) => s === serial,
    `policy serial ${serial} (${domains} domains) applied`,
    10 * 60_000,
  );
  const outerMs = Date.now() - t0;
  // The refresh goes on after lastApplied (content scripts, alarms): let it finish before reading.
  await sleep(300);
  const marks = await (await worker(ext.context)).evaluate(readWorkerMarks);
  const t0Marks = marks[0]?.[1] ?? 0;
  return {
    outerMs,
    phases: phasesOf(marks),
    jwsBytes: Buffer.byteLength(jws),
    marks: marks.map(([n, t]) => [n, Math.round((t - t0Marks) * 10) / 10]),
  };
}

async function installedRules(ext: Side): Promise<{ rules: number; domains: number; patterns: number; mode: string }> {
  return (await worker(ext.context)).evaluate(async () => {
    const rules = await chrome.declarativeNetRequest.getDynamicRules();
    const scripts = await chrome.scripting.getRegisteredContentScripts();
    const applied = ((await chrome.storage.local.get('lastApplied')) as { lastApplied?: { mode: string } }).lastApplied;
    return {
      rules: rules.length,
      domains: rules.reduce((n, r) => n + (r.condition.requestDomains?.length ?? 0), 0),
      patterns: scripts.reduce((n, s) => n + (s.matches?.length ?? 0), 0),
      mode: applied?.mode ?? 'unknown',
    };
  });
}

async function heapOf(
  ext: Side,
  control: WorkerControl,
  domains: number,
): Promise<FootprintResult['heap'][number] | null> {
  if (!cdpAvailable()) return null;
  await control.start();
  const cdp = await connectToTarget(
    devtoolsPort(ext.userDataDir),
    'service_worker',
    `chrome-extension://${EXTENSION_ID}/`,
  );
  try {
    const before = await cdp.send<{ usedSize: number; totalSize: number }>('Runtime.getHeapUsage');
    await cdp.send('HeapProfiler.collectGarbage');
    const after = await cdp.send<{ usedSize: number; totalSize: number }>('Runtime.getHeapUsage');
    return { domains, usedBytes: before.usedSize, usedAfterGcBytes: after.usedSize, totalBytes: after.totalSize };
  } finally {
    cdp.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Footprint: bundles

/**
 * Every entry bundle at the top of dist/chrome (the build splits shared UI code into chunks/): its
 * own size, and with the chunks it imports, which is what the browser loads for that context.
 */
function bundleSizes(dir: string): FootprintResult['bundles'] {
  const read = (rel: string) => readFileSync(join(dir, rel));
  const importsOf = (rel: string): string[] => {
    const code = read(rel).toString('utf8');
    const base = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/') + 1) : '';
    return [...code.matchAll(/(?:from|import)\s*["']\.\/([^"']+)["']/g)].map((m) =>
      join(base, m[1]!).replace(/\\/g, '/'),
    );
  };
  const closure = (rel: string, seen = new Set<string>()): Set<string> => {
    if (seen.has(rel) || !existsSync(join(dir, rel))) return seen;
    seen.add(rel);
    for (const dep of importsOf(rel)) closure(dep, seen);
    return seen;
  };
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.js') || f.endsWith('.css'))
    .sort((a, b) => (a.endsWith('.css') ? 1 : 0) - (b.endsWith('.css') ? 1 : 0) || a.localeCompare(b));
  return files.map((name) => {
    const own = read(name);
    const all = name.endsWith('.js') ? Buffer.concat([...closure(name)].map(read)) : own;
    return { name, bytes: own.length, withChunks: all.length, gzip: gzipSync(all, { level: 9 }).length };
  });
}

// ---------------------------------------------------------------------------------------------

function median(values: Array<number | null>): number | null {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  return v.length ? Math.round(quantile(v, 0.5) * 10) / 10 : null;
}

/** The one enterprise policy file of the run: the native blocklist and the extension's managed configuration. */
function writePolicyFile(
  policyUrl: string,
  key: TestKey,
  extra: Record<string, unknown> = {},
  managed: Record<string, unknown> = {},
): void {
  mkdirSync(POLICY_DIR, { recursive: true });
  writeFileSync(
    POLICY_FILE,
    JSON.stringify(
      {
        URLBlocklist: [NATIVE_BLOCK],
        ...extra,
        '3rdparty': {
          extensions: {
            [EXTENSION_ID]: {
              office: 'HK',
              policyUrl,
              trustedKeys: [key.publicJwk],
              refreshMinutes: 24 * 60,
              failMode: 'closed',
              ...managed,
            },
          },
        },
      },
      null,
      2,
    ),
  );
}

function otherPolicyFiles(): string[] {
  if (!existsSync(POLICY_DIR)) return [];
  return readdirSync(POLICY_DIR).filter((f) => f.endsWith('.json') && f !== 'ai-geofence-bench.json');
}

async function main(): Promise<void> {
  const started = Date.now();
  if (!existsSync(CHROMIUM))
    throw new Error(`Chromium not found at ${CHROMIUM}; install it (apt-get install chromium) or set CHROMIUM_PATH`);
  const machine = describeMachine(CHROMIUM, ROOT);
  log(`machine: ${machineLine(machine)}`);
  log(QUICK ? 'quick run (--quick): fewer iterations, figures are indicative only' : 'full run');
  const notes: string[] = [];

  log('building the extension (node build.mjs chrome)…');
  execFileSync(process.execPath, [join(ROOT, 'build.mjs'), 'chrome'], { stdio: ['ignore', 'ignore', 'inherit'] });
  // A private copy: other builds in this working tree must not swap files under the running browser.
  const extDir = mkdtempSync(join(tmpdir(), 'ai-geofence-bench-ext-'));
  cpSync(join(ROOT, 'dist/chrome'), extDir, { recursive: true });
  const bundles = bundleSizes(extDir);

  // Servers: the policy, the fake vendor (behind a connection counter), the ordinary sites.
  const key = await makeKey('bench-2026');
  let serial = 1;
  const firstJws = await signPolicy(makePolicy(SMALL, serial).policy, [key]);
  const policyServer = await startPolicyServer(firstJws);
  const vendor = await startServer(vendorPage);
  const vendorFront = await startTcpRecorder(vendor.port);
  const sites = await startSiteServer(ROOT, (prefix) => leakPage('http://claude.ai', 'https://claude.ai', prefix));
  const fastSite = await startFastSite();
  const hostRules = [
    ...VENDOR_HOSTS.flatMap((h) => [
      `MAP ${h} 127.0.0.1:${vendorFront.port}`,
      `MAP *.${h} 127.0.0.1:${vendorFront.port}`,
    ]),
    `MAP *.${FLIP_HOST_SUFFIX} 127.0.0.1:${vendorFront.port}`,
    ...SITE_HOSTS.map((h) => `MAP ${h} 127.0.0.1:${sites.port}`),
    FAST_HOST_RULES(fastSite.port),
  ].join(', ');

  let ext: Side | null = null;
  let plain: Side | null = null;
  const results: Results = {
    date: new Date().toISOString(),
    quick: QUICK,
    machine,
    runs: RUNS,
    notice: [],
    overhead: [],
    fastPages: [],
    leaks: null,
    scale: [],
    footprint: { bundles, heap: [], heapMethod: '' },
    targets: [],
    notes,
    durationSeconds: 0,
  };
  const cleanup = () => {
    rmSync(POLICY_FILE, { force: true });
    releaseBrowserLock();
  };
  const onSignal = () => {
    cleanup();
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  log("taking the machine's browser lock…");
  await acquireBrowserLock(30 * 60_000, () => log('waiting for another browser run on this machine to finish…'));
  try {
    // Under the lock: no other browser run competes for the CPU meanwhile.
    log('decision core in Node (compilePolicy + decide) on the bench policies, 5 trials per size, interleaved…');
    const nodeBySize = nodeCore(runs('scale') ? SIZES : []);
    for (const [n, r] of nodeBySize)
      log(
        `  ${n.toLocaleString('en-US')} domains: ${r.decisionsPerSecond.toLocaleString('en-US')} decisions/s (${r.decisionsRange.join('–')})`,
      );

    const others = otherPolicyFiles();
    if (others.length)
      notes.push(`Other enterprise policy files were present in ${POLICY_DIR} during the run: ${others.join(', ')}.`);
    writePolicyFile(policyServer.url, key);
    log(`wrote ${POLICY_FILE}; launching Chromium with the extension (A) and without (B)…`);
    ext = await launch('extension', extDir, hostRules);
    plain = await launch('plain', null, hostRules);
    const control = new WorkerControl(ext.noticeCdp);
    await control.init();
    await worker(ext.context);
    await pollWorker(
      ext.context,
      () => chrome.storage.managed.get(),
      (v) => (v as { office?: string }).office === 'HK',
      'the managed configuration',
      180_000,
    );
    await pollWorker(ext.context, lastAppliedSerial, (s) => s === 1, 'the first policy', 120_000);
    const firstRules = await installedRules(ext);
    log(`extension enforcing the ${SMALL}-domain policy (${firstRules.rules} DNR rules)`);

    results.footprint.heapMethod = cdpAvailable()
      ? 'CDP Runtime.getHeapUsage on the service worker target (--remote-debugging-port, /json/list), before and after HeapProfiler.collectGarbage'
      : 'unavailable: no global WebSocket (run with node --experimental-websocket, as npm run bench does)';
    const heapSmall = runs('scale') ? await heapOf(ext, control, SMALL) : null;
    if (heapSmall) results.footprint.heap.push(heapSmall);

    if (runs('notice'))
      results.notice.push(await timeToNotice(SMALL, ext, plain, control, () => vendorFront.connections.length));
    if (runs('overhead')) results.overhead.push(await overhead(SMALL, ext, plain, sites.requests));

    // Policy scale, sizes in ascending order. Each size starts with a warm-up install (replacing the
    // previous size is a different job: the reload and storage phases then handle the old document),
    // then installs a new serial of the same size, as a policy update does. The last one is the large policy.
    log(
      `policy scale: ${SIZES.map((n) => n.toLocaleString('en-US')).join(' / ')} domains, 1 warm-up + ${RUNS.scaleReps} install(s) each, in the worker`,
    );
    const installs = new Map<number, ScaleResult['installs']>();
    const jwsBytes = new Map<number, number>();
    const lastMarks = new Map<number, Array<[string, number]>>();
    const ruleInfo = new Map<number, Awaited<ReturnType<typeof installedRules>>>();
    // Without the scale part (--only): one install of the large policy, the one the other parts need.
    const scaleSizes = runs('scale') ? SIZES : [LARGE];
    for (const n of scaleSizes) {
      for (let rep = 0; rep <= (runs('scale') ? RUNS.scaleReps : 0); rep++) {
        serial++;
        const r = await install(ext, control, { set: (j) => policyServer.set(j), path: '/policy.jws' }, key, n, serial);
        log(
          `  ${n.toLocaleString('en-US')} domains${rep === 0 ? ' (warm-up)' : ''}: verify → enforced ${r.phases.verifyToEnforcedMs ?? '?'} ms (DNR compile ${r.phases.compileDnrMs ?? '?'} ms, install ${r.phases.dnrInstallMs ?? '?'} ms); trigger → applied ${r.outerMs} ms`,
        );
        if (rep === 0) continue;
        installs.set(n, [...(installs.get(n) ?? []), { serial, outerMs: r.outerMs, phases: r.phases }]);
        jwsBytes.set(n, r.jwsBytes);
        lastMarks.set(n, r.marks);
      }
      ruleInfo.set(n, await installedRules(ext));
    }
    for (const n of runs('scale') ? SIZES : []) {
      const list = installs.get(n)!;
      const gen = makePolicy(n, 1);
      const keysOfPhases = Object.keys(list[0]!.phases) as Array<keyof WorkerPhases>;
      const info = ruleInfo.get(n)!;
      if (info.mode !== 'enforcing')
        notes.push(`After installing the ${n}-domain policy the extension reported mode "${info.mode}".`);
      results.scale.push({
        domains: gen.domains,
        tools: gen.tools,
        rules: gen.rules,
        jwsBytes: jwsBytes.get(n)!,
        installs: list,
        lastInstallMarks: lastMarks.get(n) ?? [],
        phases: Object.fromEntries(
          keysOfPhases.map((k) => [k, median(list.map((i) => i.phases[k]))]),
        ) as ScaleResult['phases'],
        dnrRules: info.rules,
        dnrRequestDomains: info.domains,
        contentScriptPatterns: info.patterns,
        node: nodeBySize.get(n)!,
      });
    }
    const heapLarge = runs('scale') ? await heapOf(ext, control, LARGE) : null;
    if (heapLarge) results.footprint.heap.push(heapLarge);

    if (runs('notice'))
      results.notice.push(await timeToNotice(LARGE, ext, plain, control, () => vendorFront.connections.length));
    if (runs('sequence'))
      results.sequence = [
        await noticeSequence(LARGE, 'awake', ext, control),
        await noticeSequence(LARGE, 'asleep', ext, control),
      ];
    if (runs('overhead')) results.overhead.push(await overhead(LARGE, ext, plain, sites.requests));
    if (runs('flip')) {
      log(
        `flip the ${LARGE.toLocaleString('en-US')}-domain policy, wait for the popup, navigate at once: ${RUNS.flipRounds} rounds`,
      );
      const side = ext;
      results.flip = await flipAndNavigate(LARGE, RUNS.flipRounds, serial + 1, {
        popup: await side.context.newPage(),
        page: side.loadPage,
        popupUrl: `chrome-extension://${EXTENSION_ID}/popup.html`,
        blockPagePrefix: `chrome-extension://${EXTENSION_ID}/block.html#`,
        publish: async (policy) => policyServer.set(await signPolicy(policy, [key])),
        trigger: async () =>
          void (await (
            await worker(side.context)
          ).evaluate(() => chrome.alarms.create('policy-refresh', { when: Date.now() }))),
        requests: () => vendor.requests,
      });
      serial += RUNS.flipRounds;
      log(
        `  requests after the popup named the serial: ${results.flip.requestsAfterPopup}; controls reached: ${results.flip.controlsReached}/${RUNS.flipRounds}`,
      );
    }
    const fastSeries = async (condition: string) => {
      const fastSides: FastSides = {
        ext: ext!.loadPage,
        plain: plain!.loadPage,
        extProfile: ext!.userDataDir,
        plainProfile: plain!.userDataDir,
      };
      for (const series of ['same host again', 'new host each time'] as const) {
        results.fastPages!.push(
          await runFastSeries(fastSides, series, condition, LARGE, RUNS.fastPairs, RUNS.fastWarmups, log),
        );
      }
    };
    if (runs('fast-pages')) await fastSeries('discovery on');
    const probe: VendorProbe = {
      requests: () => [...vendor.requests],
      connections: () => vendorFront.connections,
      reset: () => {
        vendor.requests.splice(0);
        vendorFront.reset();
      },
    };
    /** Relaunch A with the same profile and another enterprise policy file; wait for the large policy. */
    const relaunch = async (extra: Record<string, unknown>, managed: Record<string, unknown> = {}) => {
      await ext!.context.close();
      writePolicyFile(policyServer.url, key, extra, managed);
      ext = await launch('extension', extDir, hostRules, ext!.userDataDir);
      await worker(ext.context);
      await pollWorker(
        ext.context,
        () => chrome.storage.managed.get(),
        (v) =>
          (v as { office?: string }).office === 'HK' &&
          Object.entries(managed).every(([k, x]) => (v as Record<string, unknown>)[k] === x),
        'the managed configuration after relaunch',
        180_000,
      );
      await pollWorker(ext.context, lastAppliedSerial, (s) => s === serial, 'the large policy after relaunch', 120_000);
    };
    if (runs('leaks')) {
      results.leaks = await leaks(ext, plain, probe);
      // The connections above come from Chromium's preconnect machinery, which DNR never sees. The
      // enterprise policy NetworkPredictionOptions: 2 turns it off: relaunch A with it and look again.
      log(
        'leaks again with the enterprise policy NetworkPredictionOptions: 2 (browser A relaunched with the same profile)…',
      );
      await relaunch({ NetworkPredictionOptions: 2 });
      const npo = await leakRun(ext, '/ext', probe);
      results.leaks.withoutNetworkPrediction = {
        requests: npo.requests.length,
        connections: npo.connections.length,
        firstLines: npo.connections.map((x) => x.first || '(no bytes)'),
      };
    }
    if (runs('fast-pages')) {
      // The control: the same series with the detector of unlisted AI tools turned off by IT.
      log('fast page again with the managed key discovery: false (browser A relaunched with the same profile)…');
      await relaunch({}, { discovery: false });
      await fastSeries('discovery off (managed discovery: false)');
    }
  } finally {
    await ext?.context.close().catch(() => undefined);
    await plain?.context.close().catch(() => undefined);
    cleanup();
    for (const d of [ext?.userDataDir, plain?.userDataDir, extDir]) if (d) rmSync(d, { recursive: true, force: true });
    await policyServer.close();
    await vendorFront.close();
    await vendor.close();
    await sites.close();
    await fastSite.close();
  }

  finishMachine(machine);
  results.durationSeconds = Math.round((Date.now() - started) / 1000);
  results.targets = evaluateTargets(results);
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  const md = renderAll(results);
  console.log(`\n${md}\n`);
  if (WRITE_DOCS) updateDocs(DOCS, md);
  log(`wrote ${RESULTS}${WRITE_DOCS ? ` and the generated section of ${DOCS}` : ''} in ${results.durationSeconds} s`);
  const missed = results.targets.filter((t) => !t.met);
  if (missed.length)
    log(`targets missed: ${missed.map((t) => `${t.name} (${t.value}, target ${t.target})`).join('; ')}`);
}

export function evaluateTargets(r: Results): Results['targets'] {
  const t: Results['targets'] = [];
  for (const n of r.notice) {
    const d = n.domains.toLocaleString('en-US');
    t.push({
      name: `time to notice, worker awake, ${d} domains (ratio to native)`,
      target: `≤ ${TARGETS.noticeRatio}`,
      value: String(n.ratioAwake.notice),
      met: n.ratioAwake.notice <= TARGETS.noticeRatio,
    });
    t.push({
      name: `time to notice, worker asleep, ${d} domains (ratio to native)`,
      target: `≤ ${TARGETS.noticeRatio}`,
      value: String(n.ratioAsleep.notice),
      met: n.ratioAsleep.notice <= TARGETS.noticeRatio,
    });
  }
  for (const o of r.overhead) {
    t.push({
      name: `ordinary page load with / without the extension (${o.domains.toLocaleString('en-US')} domains)`,
      target: `≤ ${TARGETS.overheadRatio}`,
      value: String(o.ratio),
      met: o.ratio <= TARGETS.overheadRatio,
    });
  }
  for (const f of r.fastPages ?? []) {
    // Only the discovery-on series carry the target; the discovery-off control shows the floor.
    if (f.condition !== 'discovery on') continue;
    t.push({
      name: `fast page load, ${f.series}, with / without the extension (${f.domains.toLocaleString('en-US')} domains, discovery on)`,
      target: `≤ ${TARGETS.overheadRatio}`,
      value: `${f.ratio} (90 % ${f.interval[0]}–${f.interval[1]})`,
      met: f.ratio <= TARGETS.overheadRatio,
    });
  }
  if (r.leaks) {
    t.push({
      name: 'requests reaching the blocked vendor',
      target: String(TARGETS.leaks),
      value: String(r.leaks.extension.requests),
      met: r.leaks.extension.requests === TARGETS.leaks,
    });
    t.push({
      name: 'connections reaching the blocked vendor',
      target: String(TARGETS.leaks),
      value: String(r.leaks.extension.connections),
      met: r.leaks.extension.connections === TARGETS.leaks,
    });
  }
  for (const q of r.sequence ?? []) {
    t.push({
      name: `blocked navigations back to back, worker ${q.worker} before (slowest ÷ median)`,
      target: `≤ ${SEQUENCE_TARGET}`,
      value: String(q.slowestRatio),
      met: q.slowestRatio !== null && q.slowestRatio <= SEQUENCE_TARGET,
    });
  }
  if (r.flip) {
    t.push({
      name: 'requests reaching a newly blocked vendor after the popup named the serial',
      target: '0',
      value: `${r.flip.requestsAfterPopup} (controls ${r.flip.controlsReached}/${r.flip.rounds.length})`,
      met: r.flip.requestsAfterPopup === 0 && r.flip.controlsReached === r.flip.rounds.length,
    });
  }
  const large = r.scale.find((s) => s.domains >= LARGE);
  if (large) {
    const ms = large.phases.verifyToEnforcedMs;
    t.push({
      name: '100,000 domains: verify + validate + compile + install',
      target: `≤ ${TARGETS.installMs} ms`,
      value: ms === null ? 'not measured' : `${ms} ms`,
      met: ms !== null && ms <= TARGETS.installMs,
    });
    t.push({
      name: '100,000 domains: DNR rules',
      target: `≤ ${TARGETS.dnrRules}`,
      value: String(large.dnrRules),
      met: large.dnrRules <= TARGETS.dnrRules,
    });
  }
  return t;
}

/** The generated section: the report's tables, then the series kept in their own files. */
function renderAll(results: Results): string {
  return [renderMarkdown(results), renderSequence(results.sequence ?? []), renderFlip(results.flip ?? null)]
    .filter(Boolean)
    .join('\n\n');
}

/** --report: re-render the last results without running anything. */
function reportOnly(): void {
  const results = JSON.parse(readFileSync(RESULTS, 'utf8')) as Results;
  const md = renderAll(results);
  console.log(md);
  if (WRITE_DOCS) updateDocs(DOCS, md);
}

await (argv.includes('--report') ? Promise.resolve().then(reportOnly) : main()).catch((e: unknown) => {
  console.error(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exitCode = 1;
});
