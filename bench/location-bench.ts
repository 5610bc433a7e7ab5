/**
 * What establishing the browser's location costs (docs/location.md), measured:
 *
 *   npm run bench:location      (node scripts/run-ts.mjs bench/location-bench.ts [--checks N])
 *
 * 1. In real Chromium, configured through a real enterprise policy file, with the reference service
 *    on loopback: N checks where the place stays the same (the common case: fetch and verify, no
 *    re-apply) and N where it changes (the rules, open tabs and notice snapshot follow). Per check:
 *    the worker's own fetch-and-verify time (it records it) and the time from the alarm to the
 *    check being stored (same place) or to the rules being applied (changed place).
 * 2. In Node: verifying one answer (what the worker's CPU does per check) and answering one request
 *    (what the service's CPU does per request, signing included), and the bytes on the wire.
 *
 * Writes bench/location-results.json and the "Location checks" section of docs/benchmarks.md.
 * Run it through the isolation wrapper (it writes an enterprise policy file).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { exportJWK } from 'jose';
import { acquireBrowserLock, releaseBrowserLock } from '../scripts/lib/browser-lock.ts';
import { startLocationService } from '../scripts/location-server.ts';
import { answerLocationRequest, importLocationSigner } from '../src/core/location/location-answer.ts';
import { makeNonce, verifyLocation } from '../src/core/location/location.ts';
import { parseNetworks } from '../src/core/location/networks.ts';
import {
  launchBrowser,
  makeKey,
  removeManagedConfig,
  samplePolicy,
  serviceWorker,
  signPolicy,
  startPolicyServer,
  startServer,
  vendorPage,
  waitForManagedConfig,
  waitForPolicy,
  waitInWorker,
  writeManagedConfig,
} from '../test/e2e/harness.ts';
import { summarize, type Summary } from './lib/stats.ts';

const ROOT = resolve(import.meta.dirname, '..');
/** The figures, and the part of docs/benchmarks.md between the markers, are rewritten by each run. */
const OUT = { results: join(ROOT, 'bench/location-results.json'), docs: join(ROOT, 'docs/benchmarks.md') };
const [BEGIN, END] = ['begin', 'end'].map((m) => `<!-- location-bench:${m} -->`) as [string, string];
const CHECKS = Number(process.argv[process.argv.indexOf('--checks') + 1]) || 20;

const table = (country: string) => parseNetworks([{ cidr: '127.0.0.0/8', country, zone: `${country}-OFFICE` }]);

type Stored = {
  fetch: { at: string; ms?: number; totalMs?: number; ok: boolean } | null;
  appliedAt: string | null;
  since: string | null;
};

async function browserFigures() {
  const key = await makeKey('location-1');
  const signer = await importLocationSigner({ ...(await exportJWK(key.privateKey)), kid: 'location-1' });
  const service = await startLocationService({ signer, table: table('HK'), port: 0, log: false });
  const vendor = await startServer(vendorPage);
  const trusted = await makeKey('compliance-2026');
  const policy = await startPolicyServer(
    await signPolicy(
      samplePolicy({
        rules: [
          {
            id: 'USED-FROM-HK',
            tools: ['claude'],
            locations: ['HK'],
            action: 'block',
            notice: { title: 'Not from here' },
          },
        ],
      }),
      [trusted],
    ),
  );
  writeManagedConfig({
    office: 'NY',
    policyUrl: policy.url,
    trustedKeys: [trusted.publicJwk],
    locationUrl: `${service.url}where`,
    locationKeys: [key.publicJwk],
  });
  const browser = await launchBrowser({ vendorPort: vendor.port });
  try {
    await waitForManagedConfig(browser.context, 'NY');
    await waitForPolicy(browser.context, 42);
    // An open tab of the tool, so a change has a tab to move (as it would in real use).
    const page = await browser.context.newPage();
    await page.goto('https://claude.ai/').catch(() => undefined);
    const read = () =>
      waitInWorker(
        browser.context,
        async () => {
          const s = (await chrome.storage.local.get(['locationFetch', 'lastApplied', 'location'])) as Record<
            string,
            { at?: string; since?: string } | null | undefined
          >;
          return {
            fetch: (s.locationFetch as Stored['fetch']) ?? null,
            appliedAt: s.lastApplied?.at ?? null,
            since: s.location?.since ?? null,
          };
        },
        (v) => !!v.fetch,
        'a location check',
      );
    await waitInWorker(
      browser.context,
      async () =>
        ((await chrome.storage.local.get('location')) as { location?: { country: string } }).location?.country ?? '',
      (c) => c === 'HK',
      'HK',
    );
    const run = async (change: boolean) => {
      const worker: number[] = [];
      const total: number[] = [];
      const wall: number[] = [];
      let country = 'HK';
      for (let i = 0; i < CHECKS; i++) {
        if (change) {
          country = country === 'HK' ? 'US' : 'HK';
          service.setNetworks(table(country));
        }
        const before = await read();
        const t0 = performance.now();
        await (await serviceWorker(browser.context)).evaluate(() =>
          chrome.alarms.create('location-refresh', { when: Date.now() }),
        );
        const after = await waitInWorker(
          browser.context,
          async () => {
            const s = (await chrome.storage.local.get(['locationFetch', 'lastApplied', 'location'])) as Record<
              string,
              { at?: string; since?: string } | null | undefined
            >;
            return {
              fetch: (s.locationFetch as Stored['fetch']) ?? null,
              appliedAt: s.lastApplied?.at ?? null,
              since: s.location?.since ?? null,
            };
          },
          (v) =>
            !!v.fetch &&
            v.fetch.at > before.fetch!.at &&
            (!change || (!!v.appliedAt && !!v.since && v.appliedAt >= v.since)),
          'the check',
          20_000,
        );
        wall.push(performance.now() - t0);
        worker.push(after.fetch!.ms ?? NaN);
        total.push(after.fetch!.totalMs ?? NaN);
      }
      return { worker: summarize(worker), total: summarize(total), wall: summarize(wall) };
    };
    const same = await run(false);
    const changed = await run(true);
    return { same, changed };
  } finally {
    await browser.close();
    removeManagedConfig();
    for (const s of [service, vendor, policy]) await s.close();
  }
}

async function nodeFigures() {
  const key = await makeKey('location-1');
  const signer = await importLocationSigner({ ...(await exportJWK(key.privateKey)), kid: 'location-1' });
  const networks = parseNetworks(JSON.parse(readFileSync(join(ROOT, 'examples/networks.json'), 'utf8')));
  const answer = () =>
    answerLocationRequest(
      { nonce: makeNonce(), address: '203.0.113.17', headerCountry: null },
      { table: networks, signer, now: Date.now() },
    );
  const sample = await answer();
  const nonce = makeNonce();
  const signed = await answerLocationRequest(
    { nonce, address: '203.0.113.17', headerCountry: null },
    { table: networks, signer, now: Date.now() },
  );
  const time = async (fn: () => Promise<unknown>, n = 2000): Promise<Summary> => {
    for (let i = 0; i < 200; i++) await fn();
    const xs: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await fn();
      xs.push((performance.now() - t0) * 1000);
    }
    return summarize(xs);
  };
  const verify = await time(() => verifyLocation(signed.body, { keys: [key.publicJwk], nonce, now: Date.now() }));
  const serve = await time(answer);
  const requestBytes = `GET /where?nonce=${nonce} HTTP/1.1`.length;
  return { verifyMicros: verify, answerMicros: serve, answerBytes: sample.body.length, requestLineBytes: requestBytes };
}

const f1 = (x: number) => (Math.round(x * 10) / 10).toFixed(1);

function section(r: {
  at: string;
  browser: Awaited<ReturnType<typeof browserFigures>>;
  node: Awaited<ReturnType<typeof nodeFigures>>;
}): string {
  const { same, changed } = r.browser;
  const perHour = (minutes: number) => 60 / minutes;
  return [
    BEGIN,
    `Measured ${r.at} by \`npm run bench:location\` on ${os.cpus()[0]?.model.trim() ?? 'unknown CPU'} × ${os.cpus().length}, Node ${process.version}, load ${os.loadavg()[0]!.toFixed(2)}; ${CHECKS} checks each, median and 75th percentile.`,
    '',
    '| | median | p75 |',
    '| --- | --- | --- |',
    `| worker: fetch and verify one answer (service on loopback) | ${f1(same.worker.median)} ms | ${f1(same.worker.p75)} ms |`,
    `| worker: whole check, same place (nothing re-applied) | ${f1(same.total.median)} ms | ${f1(same.total.p75)} ms |`,
    `| worker: whole check, new place (network rules, open tabs re-applied) | ${f1(changed.total.median)} ms | ${f1(changed.total.p75)} ms |`,
    `| alarm set → check stored, as seen from outside (Chromium's alarm granularity dominates) | ${f1(same.wall.median)} ms | ${f1(same.wall.p75)} ms |`,
    `| CPU to verify one answer (Node, Ed25519) | ${f1(r.node.verifyMicros.median)} µs | ${f1(r.node.verifyMicros.p75)} µs |`,
    `| service CPU to answer one request, signing included (Node) | ${f1(r.node.answerMicros.median)} µs | ${f1(r.node.answerMicros.p75)} µs |`,
    '',
    `Requests per browser: ${perHour(15)} an hour at the default \`locationMinutes\` 15 (${perHour(5)} at 5, 1 at 60), plus one at browser start and one each time the machine comes back from idle or a locked screen. Each is one GET of about ${r.node.requestLineBytes} bytes (request line) answered with ${r.node.answerBytes} bytes; nothing is sent when no \`locationUrl\` is configured.`,
    END,
  ].join('\n');
}

async function main() {
  await acquireBrowserLock();
  try {
    const browser = await browserFigures();
    const node = await nodeFigures();
    const result = {
      at: `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
      checks: CHECKS,
      browser,
      node,
    };
    writeFileSync(OUT.results, `${JSON.stringify(result, null, 2)}\n`);
    const docs = readFileSync(OUT.docs, 'utf8');
    const text = section(result);
    const a = docs.indexOf(BEGIN);
    const b = docs.indexOf(END);
    writeFileSync(
      OUT.docs,
      a >= 0 && b > a ? docs.slice(0, a) + text + docs.slice(b + END.length) : `${docs.trimEnd()}\n\n${text}\n`,
    );
    console.log(text);
  } finally {
    releaseBrowserLock();
  }
}

await main();
