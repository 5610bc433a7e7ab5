/**
 * Rules by attribute, proven in real Chromium: one rule `toolsWhere: {vendorCountry: ["CN"]}` blocks
 * every tool of the built-in catalogue whose vendor is based in mainland China, for the office it
 * targets, before a single request reaches any of them (page loads, requests from other sites and
 * the Google Translate proxy forms of their hosts and sub-hosts alike), and the block page says which attribute
 * decided. Then the same rule retargeted to another office lets them through (positive control).
 */
import { expect, test } from '@playwright/test';
import { CATALOGUE } from '../../src/core/catalogue/catalogue.ts';
import { encodeTranslateHost } from '../../src/core/catalogue/proxies.ts';
import {
  blockPageUrl,
  launchBrowser,
  makeKey,
  samplePolicy,
  signPolicy,
  startPolicyServer,
  startServer,
  triggerRefresh,
  vendorPage,
  waitForManagedConfig,
  waitForPolicy,
  writeManagedConfig,
  trackForCleanup,
} from './harness.ts';

const { browsers, servers } = trackForCleanup();

const CHINESE = Object.entries(CATALOGUE).filter(([, t]) => t.vendorCountry === 'CN');
const CN_DOMAINS = [...new Set(CHINESE.flatMap(([, t]) => t.domains))];

function cnPolicy(serial: number, offices: string[]): Record<string, unknown> {
  const base = samplePolicy({ serial });
  return {
    ...base,
    rules: [
      {
        id: 'CN-VENDORS',
        toolsWhere: { vendorCountry: ['CN'] },
        offices,
        action: 'block',
        notice: {
          title: 'Do not use: AI tools of vendors based in mainland China',
          reason: "Data may be held where our clients' confidentiality cannot be assured.",
        },
      },
    ],
  };
}

test("toolsWhere vendorCountry CN blocks every Chinese vendor's tool for Hong Kong with zero requests", async () => {
  expect(CHINESE.length, 'the catalogue names Chinese vendors').toBeGreaterThanOrEqual(30);
  const vendor = await startServer(vendorPage);
  servers.push(vendor);
  const key = await makeKey('compliance-2026');
  const policyServer = await startPolicyServer(await signPolicy(cnPolicy(42, ['HK']), [key]));
  servers.push(policyServer);
  writeManagedConfig({ office: 'HK', policyUrl: policyServer.url, trustedKeys: [key.publicJwk] });
  const b = await launchBrowser({
    vendorPort: vendor.port,
    vendorHosts: [...CN_DOMAINS, 'other.example', 'translate.goog'],
  });
  browsers.push(b);
  await waitForManagedConfig(b.context, 'HK');
  await waitForPolicy(b.context, 42);
  const page = await b.context.newPage();

  // Positive control: a site no rule names loads from the same fake server.
  await page.goto('https://other.example/');
  expect(vendor.requestsFor('other.example').length).toBeGreaterThan(0);

  // Every tool's page: the block page, naming the attribute; nothing reaches the vendor.
  for (const [id, tool] of CHINESE) {
    const url = `https://${tool.domains[0]}/chat`;
    await page.goto(url);
    expect(page.url(), id).toBe(`${blockPageUrl}#${url}`);
  }
  await expect(page.getByTestId('notice-selected-by')).toContainText('the vendor is based in China (CN)');

  // Every domain of every such tool, fetched by another site's page: refused in the browser.
  await page.goto('https://other.example/');
  const outcomes = await page.evaluate(
    async (domains) =>
      Promise.all(
        domains.map(async (d) => {
          try {
            await fetch(`https://${d}/api`, { mode: 'no-cors' });
            return `${d}: reached`;
          } catch {
            return null;
          }
        }),
      ),
    CN_DOMAINS,
  );
  expect(outcomes.filter(Boolean)).toEqual([]);

  // The Google Translate proxy form relays the vendor: blocked the same way.
  const proxied = `https://${encodeTranslateHost(CATALOGUE.kimi!.domains[0]!)}/?_x_tr_sl=auto&_x_tr_tl=en`;
  await page.goto(proxied);
  expect(page.url()).toBe(`${blockPageUrl}#${proxied}`);
  await expect(page.getByTestId('notice-proxied')).toContainText(CATALOGUE.kimi!.domains[0]!);

  // A sub-host's proxy form (no tool lists www.deepseek.com): refused by the browser itself.
  const subhost = `https://${encodeTranslateHost(`www.${CATALOGUE.deepseek!.domains[0]!}`)}/`;
  expect(
    await page.goto(subhost).then(
      () => 'loaded',
      (e: Error) => e.message,
    ),
  ).toContain('ERR_BLOCKED_BY_CLIENT');

  expect(vendor.requestsFor(...CN_DOMAINS, 'translate.goog')).toEqual([]);

  // The same rule for New York only: Hong Kong may use them again, and the vendor is reached.
  policyServer.set(await signPolicy(cnPolicy(43, ['NY']), [key]));
  await triggerRefresh(b.context);
  await waitForPolicy(b.context, 43);
  const kimi = `https://${CATALOGUE.kimi!.domains[0]}/chat`;
  // In a new tab: the open one follows the change by itself (its block page returns to the site it
  // stood for), and that navigation would interrupt this one.
  const fresh = await b.context.newPage();
  await fresh.goto(kimi);
  expect(fresh.url()).toBe(kimi);
  expect(vendor.requestsFor(CATALOGUE.kimi!.domains[0]!).length).toBeGreaterThan(0);
});
