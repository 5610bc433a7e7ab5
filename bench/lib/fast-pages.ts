/**
 * Fast pages for the page-overhead part of `npm run bench`: a small intranet-like page of 25
 * same-host sub-resources that loads in about 100 ms, where a fixed cost per page (an injected
 * script, a listener, a storage write) shows; the five ordinary pages of bench/lib/sites.ts take
 * 400–700 ms and hide it.
 *
 * Series, each paired and alternated A (extension) / B (no extension), order flipping every pair:
 * - "same host again": the same URL, loaded again and again, as people reload intranet and SaaS
 *   pages all day;
 * - "new host each time": the same page under a host never seen before in the run
 *   (`p<n>.fast.example`), so no per-host memory of the extension can help: the first-visit cost.
 * Pages are loaded back to back (each navigation starts when the previous page's load event has
 * fired), so work an extension leaves for after the load event falls on the next load and counts.
 * Ratio: median(with) ÷ median(without), with a 90 % bootstrap interval over the pairs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { Page } from '@playwright/test';
import { prng } from './prng.mjs';
import { fmt, quantile, summarize, type Summary } from './stats.ts';

/** Every host under this suffix is mapped to the fast site (`MAP *.fast.example`). */
export const FAST_DOMAIN = 'fast.example';
export const FAST_HOST_RULES = (port: number) =>
  `MAP ${FAST_DOMAIN} 127.0.0.1:${port}, MAP *.${FAST_DOMAIN} 127.0.0.1:${port}`;
const SUBRESOURCES = { css: 6, js: 6, img: 13 };
/** Server think time per response: with 6 connections per host, 25 sub-resources ≈ 100 ms in all. */
const DELAY_MS = 6;

export interface FastSite {
  port: number;
  requests: number;
  close(): Promise<void>;
}

const PNG_1X1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

function fastPageHtml(): string {
  const css = Array.from(
    { length: SUBRESOURCES.css },
    (_, i) => `<link rel="stylesheet" href="/s/style${i}.css">`,
  ).join('\n');
  const js = Array.from({ length: SUBRESOURCES.js }, (_, i) => `<script src="/s/app${i}.js" defer></script>`).join(
    '\n',
  );
  const img = Array.from(
    { length: SUBRESOURCES.img },
    (_, i) => `<img src="/s/icon${i}.png" width="16" height="16" alt="">`,
  ).join('\n');
  const rows = Array.from(
    { length: 40 },
    (_, i) => `<tr><td>Item ${i}</td><td>Team ${i % 7}</td><td><a href="/item/${i}">open</a></td></tr>`,
  ).join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Team dashboard — Intranet</title>
<meta name="description" content="Weekly figures for the team">
${css}
</head><body><header><h1>Team dashboard</h1><nav><a href="/">Home</a> <a href="/reports">Reports</a></nav>
<form action="/search"><input type="search" name="q" placeholder="Search the intranet"><button>Search</button></form></header>
<main>${img}<table>${rows}</table><p><textarea name="comment" placeholder="Leave a comment for the team"></textarea></p></main>
${js}
</body></html>`;
}

/** One plain-HTTP server answering for every `*.fast.example` host. */
export async function startFastSite(): Promise<FastSite> {
  const html = fastPageHtml();
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    const path = (req.url ?? '/').split('?')[0]!;
    const send = (type: string, body: string | Buffer) => {
      setTimeout(() => {
        res.writeHead(200, {
          'content-type': type,
          'cache-control': 'no-store',
          'content-length': Buffer.byteLength(body),
        });
        res.end(body);
      }, DELAY_MS);
    };
    if (path.endsWith('.css')) send('text/css', `.c${path.length}{color:#123}\nbody{font-family:sans-serif}\n`);
    else if (path.endsWith('.js')) send('text/javascript', `window.__n=(window.__n||0)+1;\n`);
    else if (path.endsWith('.png')) send('image/png', PNG_1X1);
    else if (path === '/favicon.ico') {
      res.writeHead(404);
      res.end();
    } else send('text/html; charset=utf-8', html);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  server.keepAliveTimeout = 60_000;
  const port = (server.address() as { port: number }).port;
  return {
    port,
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export type FastSeriesName = 'same host again' | 'new host each time';

export interface FastSeriesResult {
  series: FastSeriesName;
  /** What the extension side ran with ("discovery on", "discovery off (managed discovery: false)"). */
  condition: string;
  domains: number;
  pairs: number;
  withExtension: Summary;
  without: Summary;
  /** median(with) ÷ median(without) */
  ratio: number;
  /** 90 % bootstrap interval of that ratio (2,000 resamples of the pairs). */
  interval: [number, number];
  /** Median of the per-pair ratios, with its 90 % bootstrap interval. */
  paired: { ratio: number; interval: [number, number] };
  /**
   * CPU time of each browser (all its processes) over the measured pairs, per page load, ms — loads
   * and what happens between them (post-load work counts); null where /proc is missing.
   */
  cpuPerLoad: {
    withExtension: number | null;
    without: number | null;
    byKind?: { withExtension: Record<string, number>; without: Record<string, number> };
  };
}

async function loadOnce(page: Page, url: string): Promise<number> {
  await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
  return page.evaluate(
    () => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).loadEventEnd,
  );
}

const mapValues = (o: Record<string, number>, f: (v: number, k: string) => number) =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v, k)]));
const r3 = (x: number) => Math.round(x * 1000) / 1000;

const med = (v: number[]) =>
  quantile(
    v.sort((x, y) => x - y),
    0.5,
  );

/** A statistic of the pairs with its 90 % interval: seeded percentile bootstrap, resampling whole pairs. */
function bootstrap(
  a: readonly number[],
  b: readonly number[],
  stat: (a: number[], b: number[]) => number,
  resamples = 2000,
  seed = 21,
): { value: number; interval: [number, number] } {
  const rnd = prng(seed);
  const out: number[] = [];
  for (let k = 0; k < resamples; k++) {
    const ra: number[] = [];
    const rb: number[] = [];
    for (let i = 0; i < a.length; i++) {
      const j = Math.floor(rnd() * a.length);
      ra.push(a[j]!);
      rb.push(b[j]!);
    }
    out.push(stat(ra, rb));
  }
  out.sort((x, y) => x - y);
  return { value: r3(stat([...a], [...b])), interval: [r3(quantile(out, 0.05)), r3(quantile(out, 0.95))] };
}

/** median(a) ÷ median(b), with its 90 % bootstrap interval over the pairs. */
export function ratioWithInterval(
  a: readonly number[],
  b: readonly number[],
): { ratio: number; interval: [number, number] } {
  const r = bootstrap(a, b, (x, y) => med(x) / med(y));
  return { ratio: r.value, interval: r.interval };
}

/** Median of the per-pair ratios a[i] ÷ b[i] (load on the machine cancels within a pair), with its 90 % interval. */
export function pairedRatioWithInterval(
  a: readonly number[],
  b: readonly number[],
): { ratio: number; interval: [number, number] } {
  const r = bootstrap(a, b, (x, y) => med(x.map((v, i) => v / y[i]!)));
  return { ratio: r.value, interval: r.interval };
}

export interface FastSides {
  ext: Page;
  plain: Page;
  /** Each browser's profile directory: it names the browser's processes (for their CPU time). */
  extProfile: string;
  plainProfile: string;
}

const CLOCK_TICK_MS = 10; // USER_HZ is 100 on Linux

/**
 * CPU time (user + system) spent so far by one Chromium and all its processes, in ms, from
 * /proc (Linux only; null elsewhere). Exited children (renderers of pages left) count through their
 * parent's cutime/cstime. CPU time barely moves with the load other processes put on the machine,
 * unlike wall-clock load times: it says what the extension itself costs per page.
 */
export function browserCpuMs(profile: string): CpuSample | null {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  const stat = new Map<string, { ppid: string; ticks: number }>();
  let root: string | null = null;
  for (const pid of pids) {
    try {
      const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      // Fields after the command: state ppid … utime(12) stime(13) cutime(14) cstime(15), 0-based from state.
      stat.set(pid, { ppid: f[1]!, ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) });
      if (root === null) {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (cmd.includes(`--user-data-dir=${profile}`) && !cmd.includes('--type=')) root = pid;
      }
    } catch {
      // exited meanwhile
    }
  }
  if (root === null) return null;
  const inTree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, { ppid }] of stat) if (!inTree.has(pid) && inTree.has(ppid)) grew = !!inTree.add(pid);
  }
  const sample: CpuSample = { total: 0, byKind: {} };
  for (const pid of inTree) {
    const ms = stat.get(pid)!.ticks * CLOCK_TICK_MS;
    let kind = 'browser';
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      kind = cmd.includes('--extension-process') ? 'extension' : (/--type=([\w-]+)/.exec(cmd)?.[1] ?? 'browser');
      if (kind === 'utility') kind = /--utility-sub-type=([\w.-]+)/.exec(cmd)?.[1]?.split('.').at(-2) ?? kind;
    } catch {
      // exited meanwhile
    }
    sample.total += ms;
    sample.byKind[kind] = (sample.byKind[kind] ?? 0) + ms;
  }
  return sample;
}

export interface CpuSample {
  total: number;
  /** By process kind: browser, renderer, extension (the extension's own process), gpu-process, zygote, network… */
  byKind: Record<string, number>;
}

/**
 * Wait until the extension's own process (its service worker) is quiet: under 20 ms of CPU in a
 * second, for at most a minute. A relaunched browser's worker first re-verifies and recompiles the
 * 100,000-domain policy in force (seconds on a loaded machine) although the installed serial is
 * already there to see; measured meanwhile, that start-up would count as a cost per page.
 */
export async function waitForQuietExtension(profile: string, log: (s: string) => void): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const a = browserCpuMs(profile)?.byKind.extension;
    await new Promise((r) => setTimeout(r, 1000));
    const b = browserCpuMs(profile)?.byKind.extension;
    if (a === undefined || b === undefined || b - a < 20) return;
    if (Date.now() > deadline)
      return log(
        `  the extension process was still busy after a minute (${b - a} ms of CPU in the last second); measuring anyway`,
      );
  }
}

/**
 * One series: `warmups` unmeasured pairs, then `pairs` measured pairs, alternating which side goes
 * first. `urlFor(i, side)` gives the URL of pair i (the same for both sides, so each side sees a new
 * host as often as the other).
 */
export async function runFastSeries(
  sides: FastSides,
  series: FastSeriesName,
  condition: string,
  domains: number,
  pairs: number,
  warmups: number,
  log: (s: string) => void,
): Promise<FastSeriesResult> {
  log(
    `fast page, ${series} (${condition}, ${domains.toLocaleString('en-US')}-domain policy): ${pairs} pairs after ${warmups} warm-up, alternated`,
  );
  await waitForQuietExtension(sides.extProfile, log);
  const a: number[] = [];
  const b: number[] = [];
  const urlFor = (i: number) =>
    series === 'same host again'
      ? `http://intranet.${FAST_DOMAIN}/dashboard`
      : `http://p${i}-${condition.replace(/\W+/g, '')}-${Date.now().toString(36)}.${FAST_DOMAIN}/dashboard`;
  // CPU over the whole measured part of the series, not per load: work a browser does after a load
  // event (an injected script, the worker's answer to the tab's events) counts, wherever it falls.
  const profiles = { ext: sides.extProfile, plain: sides.plainProfile };
  let cpuStart: Record<'ext' | 'plain', CpuSample | null> | null = null;
  for (let i = 0; i < warmups + pairs; i++) {
    if (i === warmups) cpuStart = { ext: browserCpuMs(profiles.ext), plain: browserCpuMs(profiles.plain) };
    const url = urlFor(i);
    const order: Array<'ext' | 'plain'> = i % 2 === 0 ? ['ext', 'plain'] : ['plain', 'ext'];
    const t: Record<string, number> = {};
    for (const s of order) t[s] = await loadOnce(sides[s], url);
    if (i < warmups) continue;
    a.push(t.ext!);
    b.push(t.plain!);
  }
  const cpuEnd = { ext: browserCpuMs(profiles.ext), plain: browserCpuMs(profiles.plain) };
  const { ratio, interval } = ratioWithInterval(a, b);
  const paired = pairedRatioWithInterval(a, b);
  const perLoad = (x: number) => Math.round((x / pairs) * 10) / 10;
  const used = (side: 'ext' | 'plain') => {
    const x = cpuStart?.[side];
    const y = cpuEnd[side];
    if (!x || !y) return null;
    return {
      total: perLoad(y.total - x.total),
      byKind: mapValues(y.byKind, (v, k) => perLoad(v - (x.byKind[k] ?? 0))),
    };
  };
  const withExt = used('ext');
  const without = used('plain');
  const cpuPerLoad =
    withExt && without
      ? {
          withExtension: withExt.total,
          without: without.total,
          byKind: { withExtension: withExt.byKind, without: without.byKind },
        }
      : { withExtension: null, without: null };
  const res: FastSeriesResult = {
    series,
    condition,
    domains,
    pairs,
    withExtension: summarize(a),
    without: summarize(b),
    ratio,
    interval,
    paired,
    cpuPerLoad,
  };
  log(
    `  with ${res.withExtension.median} ms, without ${res.without.median} ms: ratio ${ratio} (90 % interval ${interval[0]}–${interval[1]}); per pair ${paired.ratio} (${paired.interval[0]}–${paired.interval[1]}); CPU per load ${cpuPerLoad.withExtension} / ${cpuPerLoad.without} ms ${JSON.stringify(cpuPerLoad.byKind ?? {})}`,
  );
  return res;
}

/** The markdown table of the fast-page series (a self-contained part of the generated docs section). */
export function renderFastPages(results: readonly FastSeriesResult[], target: number): string {
  if (!results.length) return '';
  const out = [
    `#### 2b. Fast page (${SUBRESOURCES.css + SUBRESOURCES.js + SUBRESOURCES.img} same-host sub-resources, about 100 ms), loaded back to back`,
    '',
    'Median `loadEventEnd`, p25–p75 in brackets; ratio of the medians, and median of the per-pair ratios, each with its',
    '90 % bootstrap interval over the pairs.',
    '',
    "CPU per load: CPU time of all the browser's processes (from /proc) over the measured pairs, divided by the loads —",
    'post-load work included; hardly affected by other load on the machine, it shows what the extension itself adds.',
    '',
    '| Series | Extension side | Pairs | With the extension | Without any extension | Ratio of medians (90 %) | Per pair (90 %) | CPU per load, with / without | Target | Result |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const ms = (s: Summary) => `${fmt(s.median)} ms (${fmt(s.p25)}–${fmt(s.p75)})`;
  const cpu = (x: number | null | undefined) => (x == null ? '–' : `${fmt(x)} ms`);
  for (const r of results) {
    const met = r.interval[1] <= target ? 'met' : r.ratio <= target ? 'met (interval reaches above)' : '**missed**';
    out.push(
      `| ${r.series} | ${r.condition}, ${r.domains.toLocaleString('en-US')} domains | ${r.pairs} | ${ms(r.withExtension)} | ${ms(r.without)} | ${r.ratio} (${r.interval[0]}–${r.interval[1]}) | ${r.paired.ratio} (${r.paired.interval[0]}–${r.paired.interval[1]}) | ${cpu(r.cpuPerLoad.withExtension)} / ${cpu(r.cpuPerLoad.without)} | ≤ ${target} | ${met} |`,
    );
  }
  return out.join('\n');
}
