/**
 * What the discovery detector of unlisted AI tools (docs/beyond-domains.md) costs ordinary pages, in real Chromium.
 *
 *   npm run bench:discovery      (node scripts/run-ts.mjs bench/discovery-bench.ts [--rounds N])
 *
 * 1. Page load with and without the detector, side by side in one run: two Chromiums, each with a
 *    private copy of the built extension, configured through one real enterprise policy file. B's
 *    copy lacks discovery.js, so the worker's injection fails at once and nothing runs in the page;
 *    everything else (DNR rules, the worker waking for each navigation) is the same. Pages and order
 *    alternate; the figure is the ratio of the median `loadEventEnd` with / without, per page and as
 *    a geometric mean. Target: ≤ 1.02, the product's page-load overhead target. An A/A control (the
 *    same comparison with two copies *with* the detector) runs first and is reported beside it: the
 *    noise floor of the method on this machine.
 * 2. One detector pass (src/content/discovery-signals.ts, bundled as the build bundles it) timed
 *    inside each page: on the five ordinary pages of the browser benchmark, a heavy page (20,000
 *    elements, 40 text areas, 600 buttons) and a fake AI assistant (the worst case: every signal is
 *    looked for). The detector makes at most 8 passes per page (usually 3).
 *
 * Writes bench/discovery-results.json and the "Discovery detector" section of docs/benchmarks.md.
 * Takes the machine's browser lock so that an e2e run does not share the two cores meanwhile.
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from '@playwright/test';
import { acquireBrowserLock, releaseBrowserLock } from '../scripts/lib/browser-lock.ts';
import {
  launchBrowser,
  makeKey,
  removeManagedConfig,
  samplePolicy,
  serviceWorker,
  signPolicy,
  startPolicyServer,
  startServer,
  waitForManagedConfig,
  waitForPolicy,
  writeManagedConfig,
  type Launched,
} from '../test/e2e/harness.ts';
import { ORDINARY_PAGES, SITE_HOSTS, startSiteServer } from './lib/sites.ts';
import { geometricMean, ratio, summarize } from './lib/stats.ts';

const ROOT = resolve(import.meta.dirname, '..');
const RESULTS = join(ROOT, 'bench/discovery-results.json');
const DOCS = join(ROOT, 'docs/benchmarks.md');
const BEGIN = '<!-- discovery-bench:begin -->';
const END = '<!-- discovery-bench:end -->';
const args = process.argv.slice(2);
const ROUNDS = Number(args[args.indexOf('--rounds') + 1]) || 10;
const PASS_SAMPLES = 20;
const PASS_BATCH = 25;
const TARGET_RATIO = 1.02;

const log = (m: string) => console.log(`[bench:discovery] ${m}`);

/** A page far heavier than most: 20,000 elements, 40 unlabelled text areas, 600 buttons, 50 selects. */
const HEAVY = `<!doctype html><html><head><title>Quarterly operations report</title><meta name="description" content="Operations"></head><body>
${Array.from({ length: 2000 }, (_, i) => `<div class="r"><span>row ${i}</span><a href="#${i}">link</a><em>${i}</em><b>x</b><i>y</i><p>cell</p><small>s</small><u>u</u><s>t</s></div>`).join('')}
${Array.from({ length: 40 }, (_, i) => `<textarea name="note${i}" placeholder="Notes for item ${i}"></textarea>`).join('')}
${Array.from({ length: 600 }, (_, i) => `<button>Action ${i}</button>`).join('')}
${Array.from({ length: 50 }, (_, i) => `<select><option>Option ${i}</option></select>`).join('')}
</body></html>`;

/** A fake assistant: every signal present, so a pass reads buttons and pickers too. */
const ASSISTANT = `<!doctype html><html><head><title>NovaChat — AI assistant</title></head><body>
${Array.from({ length: 300 }, (_, i) => `<div class="msg"><p>message ${i}</p><button>Copy</button></div>`).join('')}
<button aria-haspopup="menu">NovaChat o3-mini</button><textarea placeholder="Ask NovaChat anything"></textarea><button aria-label="Send message">➤</button></body></html>`;

async function bundleCollector(): Promise<string> {
  const out = await build({
    stdin: {
      contents: `import { collectSignals } from './src/content/discovery-signals.ts'; globalThis.__aigCollect = collectSignals;`,
      resolveDir: ROOT,
      loader: 'ts',
    },
    bundle: true,
    write: false,
    format: 'iife',
    minify: true,
    target: 'chrome120',
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}

/**
 * Median and 90th-percentile µs of one detector pass in `page`, and the signals it found. The page's
 * clock is coarse (100 µs without cross-origin isolation), so each sample times a batch of passes.
 */
async function passCost(
  page: Page,
  collector: string,
): Promise<{ medianUs: number; p90Us: number; signals: string[] }> {
  await page.addScriptTag({ content: collector });
  return page.evaluate(
    ({ samples, batch }) => {
      const collect = (globalThis as unknown as { __aigCollect: (d: Document, r: string[]) => Set<string> })
        .__aigCollect;
      for (let i = 0; i < 10; i++) collect(document, []);
      const t: number[] = [];
      for (let s = 0; s < samples; s++) {
        const t0 = performance.now();
        for (let i = 0; i < batch; i++) collect(document, []);
        t.push(((performance.now() - t0) * 1000) / batch);
      }
      t.sort((a, b) => a - b);
      const r1 = (x: number) => Math.round(x * 10) / 10;
      return {
        medianUs: r1(t[samples >> 1]!),
        p90Us: r1(t[Math.floor(samples * 0.9)]!),
        signals: [...collect(document, [])],
      };
    },
    { samples: PASS_SAMPLES, batch: PASS_BATCH },
  );
}

async function loadTime(page: Page, url: string): Promise<number> {
  await page.goto('about:blank');
  await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
  return page.evaluate(
    () => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).loadEventEnd,
  );
}

function chromiumVersion(): string {
  try {
    return execFileSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** Whether the extension in `x` reports the fake assistant at `url` as discovered. */
async function detectsAssistant(x: Launched, url: string): Promise<boolean> {
  const page = await x.context.newPage();
  await page.goto(url, { waitUntil: 'load' });
  const host = new URL(url).hostname;
  const deadline = Date.now() + 6000;
  try {
    while (Date.now() < deadline) {
      const got = (await (await serviceWorker(x.context)).evaluate(() => chrome.storage.local.get('discovered'))) as {
        discovered?: Record<string, unknown>;
      };
      if (got.discovered && host in got.discovered) return true;
      await page.waitForTimeout(250);
    }
    return false;
  } finally {
    await page.close();
  }
}

/** A private copy of dist/chrome, with or without the detector's file. */
function copyExtension(withDetector: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), `ai-geofence-bench-${withDetector ? 'with' : 'without'}-`));
  cpSync(join(ROOT, 'dist/chrome'), dir, { recursive: true });
  if (!withDetector) rmSync(join(dir, 'discovery.js'));
  return dir;
}

interface PageRatio {
  name: string;
  withDetector: number;
  without: number;
  ratio: number;
}

/** Median loadEventEnd of the ordinary pages in two browsers (extension copies a and b), alternating. */
async function compareLoads(
  aDir: string,
  bDir: string,
  sitePort: number,
  label: string,
  probeUrl: string,
): Promise<{ pages: PageRatio[]; ratio: number; detects: [boolean, boolean] }> {
  const a = await launchBrowser({ vendorPort: sitePort, vendorHosts: SITE_HOSTS, extensionDir: aDir });
  const z = await launchBrowser({ vendorPort: sitePort, vendorHosts: SITE_HOSTS, extensionDir: bDir });
  try {
    for (const x of [a, z]) {
      await waitForManagedConfig(x.context, 'HK');
      await waitForPolicy(x.context, 42);
    }
    const pa = await a.context.newPage();
    const pz = await z.context.newPage();
    log(`page load, ${label}: ${ORDINARY_PAGES.length} pages × ${ROUNDS} rounds after 1 warm-up, alternating`);
    const on: number[][] = ORDINARY_PAGES.map(() => []);
    const off: number[][] = ORDINARY_PAGES.map(() => []);
    for (let r = 0; r <= ROUNDS; r++) {
      for (let p = 0; p < ORDINARY_PAGES.length; p++) {
        for (const side of (r + p) % 2 === 0 ? [true, false] : [false, true]) {
          const t = await loadTime(side ? pa : pz, ORDINARY_PAGES[p]!.url);
          if (r > 0) (side ? on : off)[p]!.push(t);
        }
      }
    }
    const pages = ORDINARY_PAGES.map((pg, p) => {
      const x = summarize(on[p]!);
      const y = summarize(off[p]!);
      return { name: pg.name, withDetector: x.median, without: y.median, ratio: ratio(x.median, y.median) };
    });
    const overall = geometricMean(pages.map((p) => p.ratio));
    for (const p of pages) log(`  ${p.name}: ${p.withDetector} / ${p.without} ms → ${p.ratio}`);
    log(`  geometric mean ${overall}`);
    // After the timed loads: does each side really run the detector? (the fake assistant is reported)
    const detects: [boolean, boolean] = [await detectsAssistant(a, probeUrl), await detectsAssistant(z, probeUrl)];
    log(`  detector ran: A ${detects[0]}, B ${detects[1]}`);
    return { pages, ratio: overall, detects };
  } finally {
    await a.close();
    await z.close();
  }
}

async function main(): Promise<void> {
  log('building the extension…');
  execFileSync(process.execPath, [join(ROOT, 'build.mjs'), 'chrome'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const collector = await bundleCollector();
  const script = readFileSync(join(ROOT, 'dist/chrome/discovery.js'));
  log(`discovery.js as built: ${script.length} bytes; one pass bundled alone: ${collector.length} bytes`);
  log("taking the machine's browser lock…");
  await acquireBrowserLock(30 * 60_000, () => log('waiting for another browser run on this machine to finish…'));
  const sites = await startSiteServer(ROOT, () => '<!doctype html><title>x</title>');
  const extra = await startServer((_req, url) =>
    url.pathname === '/heavy' ? { body: HEAVY } : url.pathname === '/assistant' ? { body: ASSISTANT } : undefined,
  );
  const key = await makeKey('bench-2026');
  const policy = await startPolicyServer(await signPolicy(samplePolicy({ unlistedAiAction: 'warn' }), [key]));
  let b: Launched | null = null;
  const dirs: string[] = [];
  const started = Date.now();
  try {
    writeManagedConfig({ office: 'HK', policyUrl: policy.url, trustedKeys: [key.publicJwk] });
    // Private copies, so a build in this working tree cannot swap files under the running browsers.
    const withDir = copyExtension(true);
    const withoutDir = copyExtension(false);
    const controlDir = copyExtension(true);
    dirs.push(withDir, withoutDir, controlDir);

    const probe = `http://127.0.0.1:${extra.port}/assistant`;
    const control = await compareLoads(
      controlDir,
      withDir,
      sites.port,
      'A/A control: two copies with the detector',
      probe,
    );
    const main = await compareLoads(withDir, withoutDir, sites.port, 'with (A) / without (B) the detector', probe);
    if (!main.detects[0] || main.detects[1] || !control.detects[0] || !control.detects[1]) {
      throw new Error(
        `the detector did not run where it should (A/A: ${control.detects.join('/')}, A/B: ${main.detects.join('/')}): the comparison is void`,
      );
    }
    const pages = main.pages;
    const overall = main.ratio;

    // The per-pass cost, in a browser whose extension injects nothing (B's copy).
    b = await launchBrowser({ vendorPort: sites.port, vendorHosts: SITE_HOSTS, extensionDir: withoutDir });
    const page2 = await b.context.newPage();

    log(`one detector pass: ${PASS_SAMPLES} samples of ${PASS_BATCH} passes each`);
    const passes: Array<{ name: string; medianUs: number; p90Us: number; signals: string[]; elements: number }> = [];
    const targets = [
      ...ORDINARY_PAGES.map((p) => ({ name: p.name, url: p.url })),
      { name: 'heavy page (20,000 elements)', url: `http://127.0.0.1:${extra.port}/heavy` },
      { name: 'fake AI assistant (worst case)', url: `http://127.0.0.1:${extra.port}/assistant` },
    ];
    for (const t of targets) {
      await page2.goto(t.url, { waitUntil: 'load' });
      const cost = await passCost(page2, collector);
      const elements = await page2.evaluate(() => document.getElementsByTagName('*').length);
      passes.push({ name: t.name, elements, ...cost });
      log(
        `  ${t.name} (${elements} elements): ${cost.medianUs} µs (p90 ${cost.p90Us} µs) → signals [${cost.signals.join(', ')}]`,
      );
    }

    const results = {
      date: new Date().toISOString(),
      machine: {
        cpu: os.cpus()[0]?.model ?? 'unknown',
        cores: os.cpus().length,
        node: process.version,
        chromium: chromiumVersion(),
        loadAverage1m: Math.round(os.loadavg()[0]! * 100) / 100,
      },
      rounds: ROUNDS,
      scriptBytes: script.length,
      pageLoad: {
        pages,
        ratio: overall,
        target: TARGET_RATIO,
        met: overall <= TARGET_RATIO,
        control: { pages: control.pages, ratio: control.ratio },
      },
      pass: passes,
      durationSeconds: Math.round((Date.now() - started) / 1000),
    };
    writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
    writeDocs(results);
    log(`wrote ${RESULTS} and the "Discovery detector" section of docs/benchmarks.md`);
  } finally {
    await b?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    removeManagedConfig();
    await Promise.all([sites.close(), extra.close(), policy.close()]);
    releaseBrowserLock();
  }
}

function writeDocs(r: {
  date: string;
  machine: Record<string, unknown>;
  rounds: number;
  scriptBytes: number;
  pageLoad: {
    pages: PageRatio[];
    ratio: number;
    target: number;
    met: boolean;
    control: { pages: PageRatio[]; ratio: number };
  };
  pass: Array<{ name: string; medianUs: number; p90Us: number; signals: string[]; elements: number }>;
}): void {
  const m = r.machine;
  const lines = [
    BEGIN,
    `Measured ${r.date.slice(0, 16).replace('T', ' ')} UTC by \`npm run bench:discovery\` on ${m.cpu} × ${m.cores}, Node ${m.node}, ${m.chromium}, load ${m.loadAverage1m}. `,
    `\`discovery.js\` as built: ${(r.scriptBytes / 1024).toFixed(1)} KiB.`,
    '',
    `**Page load with / without the detector** (two browsers, each with its own copy of the extension; B's copy lacks \`discovery.js\`; ${r.rounds} alternating rounds, median \`loadEventEnd\`). The A/A column repeats the method with the detector on both sides: the noise floor.`,
    '',
    '| page | with (ms) | without (ms) | ratio | A/A control |',
    '| --- | --- | --- | --- | --- |',
    ...r.pageLoad.pages.map(
      (p, i) =>
        `| ${p.name} | ${p.withDetector} | ${p.without} | ${p.ratio} | ${r.pageLoad.control.pages[i]?.ratio ?? ''} |`,
    ),
    `| **geometric mean** | | | **${r.pageLoad.ratio}** (target ≤ ${r.pageLoad.target}: ${r.pageLoad.met ? 'met' : 'missed'}) | ${r.pageLoad.control.ratio} |`,
    '',
    `**One detector pass** (${PASS_SAMPLES} samples of ${PASS_BATCH} passes, in the page; median and 90th percentile; at most 8 passes per page, usually 3):`,
    '',
    '| page | elements | median (µs) | p90 (µs) | signals found |',
    '| --- | --- | --- | --- | --- |',
    ...r.pass.map(
      (p) =>
        `| ${p.name} | ${p.elements.toLocaleString('en-US')} | ${p.medianUs} | ${p.p90Us} | ${p.signals.join(', ') || '—'} |`,
    ),
    END,
  ];
  let doc = readFileSync(DOCS, 'utf8');
  const block = lines.join('\n');
  if (doc.includes(BEGIN)) doc = doc.replace(new RegExp(`${BEGIN}[\\s\\S]*?${END}`), block);
  else
    doc += `\n## Discovery detector\n\nWhat the detector of unlisted AI tools costs ordinary pages; see bench/discovery-bench.ts.\n\n${block}\n`;
  writeFileSync(DOCS, doc);
}

await main();
