/**
 * The audit trail end to end: real Chromium, the built extension, the reference collector. The
 * collector fails, then answers too late (after storing: the extension must resend with the same
 * ids), and the browser is restarted on the same profile while the extension is backing off.
 * Every event generated reaches the collector's file exactly once after de-duplication by id.
 */
import { expect, test } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCollector, type Collector } from '../../scripts/collector-server.mjs';
import {
  blockPageUrl,
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
  type Launched,
  type TestServer,
} from './harness.ts';

interface StoredEvent {
  id: string;
  type: string;
  office: string | null;
  tool: string | null;
  rule: string | null;
  policySerial: number | null;
  extensionVersion: string;
  url: string | null;
}
interface StoredQueue {
  events: StoredEvent[];
  lastDelivery: { ok: boolean; message: string } | null;
}

const servers: TestServer[] = [];
let browser: Launched | null = null;
let collector: Collector | null = null;
let dir: string;

test.beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aig-audit-'));
});

test.afterEach(async () => {
  await browser?.close();
  browser = null;
  removeManagedConfig();
  for (const s of servers.splice(0)) await s.close();
  await collector?.close();
  collector = null;
  rmSync(dir, { recursive: true, force: true });
});

/** The extension's queue as stored (what survives the worker and the browser). */
async function storedQueue(b: Launched): Promise<StoredQueue> {
  const got = await (await serviceWorker(b.context)).evaluate(() => chrome.storage.local.get('auditQueue'));
  return (got as { auditQueue?: StoredQueue }).auditQueue ?? { events: [], lastDelivery: null };
}

function collected(c: Collector): StoredEvent[] {
  return c.events() as unknown as StoredEvent[];
}

async function visitBlocked(b: Launched, url: string): Promise<void> {
  const page = await b.context.newPage();
  await page.goto(url).catch(() => undefined); // the redirect to the block page aborts the navigation
  await expect(page).toHaveURL(`${blockPageUrl}#${url}`);
  await expect(page.getByTestId('notice-title')).toBeVisible();
  await page.close();
}

test('events survive a failing and slow collector and a browser restart, and arrive exactly once', async () => {
  // Real backoff: at most 30 s + 15 s (timeout) + 60 s between attempts, plus two launches.
  test.setTimeout(8 * 60_000);
  const out = join(dir, 'audit-events.sqlite');
  // The first POST fails; the next ones are stored and answered after 20 s, too late for the
  // extension's 15 s timeout, until the collector is "fixed" during the restart.
  collector = await startCollector({ port: 0, out, log: false, failFirst: 1, failStatus: 503, delayMs: 20_000 });
  const vendor = await startServer(vendorPage);
  servers.push(vendor);
  const key = await makeKey('compliance-2026');
  const policy = await startPolicyServer(await signPolicy(samplePolicy(), [key]));
  servers.push(policy);
  writeManagedConfig({ office: 'HK', policyUrl: policy.url, trustedKeys: [key.publicJwk], auditUrl: collector.url });

  const userDataDir = join(dir, 'profile');
  const seen = new Map<string, StoredEvent>();
  const snapshot = async (b: Launched) => {
    for (const e of (await storedQueue(b)).events) seen.set(e.id, e);
  };

  // 1. Events while the collector answers 503: kept, and the popup's status says why.
  browser = await launchBrowser({ vendorPort: vendor.port, userDataDir });
  await waitForManagedConfig(browser.context, 'HK');
  await waitForPolicy(browser.context, 42);
  await visitBlocked(browser, 'https://claude.ai/audit-1?client=secret#frag');
  await visitBlocked(browser, 'https://claude.ai/audit-2');
  await snapshot(browser);
  await expect.poll(() => collector!.stats.failed, { timeout: 30_000 }).toBe(1);
  await snapshot(browser);
  const afterFailure = await storedQueue(browser);
  expect(afterFailure.lastDelivery).toMatchObject({ ok: false, message: expect.stringContaining('HTTP 503') });
  expect(afterFailure.events.length).toBeGreaterThanOrEqual(2);

  // 2. The collector stores the next batch but answers after the extension's 15 s timeout.
  await visitBlocked(browser, 'https://claude.ai/audit-3');
  await snapshot(browser);
  await waitInWorker(
    browser.context,
    () => chrome.storage.local.get('auditQueue'),
    (v) =>
      /did not answer within 15 s/.test((v as { auditQueue?: StoredQueue }).auditQueue?.lastDelivery?.message ?? ''),
    'a delivery attempt to time out',
    120_000,
  );
  await snapshot(browser);
  expect(collector.stats.accepted).toBeGreaterThan(0); // stored, though the extension never heard so

  // 3. Restart the browser on the same profile while the extension is backing off.
  expect((await storedQueue(browser)).events.length).toBeGreaterThan(0);
  await browser.close();
  browser = null;
  collector.setDelayMs(0);
  browser = await launchBrowser({ vendorPort: vendor.port, userDataDir });
  await waitForManagedConfig(browser.context, 'HK');
  await snapshot(browser);
  expect(seen.size).toBeGreaterThan(0);
  await waitForPolicy(browser.context, 42);
  await visitBlocked(browser, 'https://claude.ai/audit-4');
  await snapshot(browser);

  // 4. Everything drains: nothing left on the device, everything in the collector's file.
  await waitInWorker(
    browser.context,
    () => chrome.storage.local.get('auditQueue'),
    (v) => ((v as { auditQueue?: StoredQueue }).auditQueue?.events.length ?? 1) === 0,
    'the audit queue to drain',
    4 * 60_000,
  );
  const events = collected(collector);
  const ids = events.map((e) => e.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (const id of seen.keys())
    expect(ids, `event ${JSON.stringify(seen.get(id))} was queued but never delivered`).toContain(id);
  // The timed-out batch came again with the same ids, and the collector recognised it.
  expect(collector.stats.duplicates).toBeGreaterThan(0);

  // One block event per visit, with the URL reduced and the context filled in.
  const blocks = events.filter((e) => e.type === 'block');
  expect(blocks.map((e) => e.url).sort()).toEqual([
    'https://claude.ai/audit-1',
    'https://claude.ai/audit-2',
    'https://claude.ai/audit-3',
    'https://claude.ai/audit-4',
  ]);
  for (const e of blocks) {
    expect(e).toMatchObject({ office: 'HK', tool: 'claude', rule: 'HK-ANTHROPIC-2026-11', policySerial: 42 });
    expect(e.extensionVersion).toMatch(/^\d+\.\d+\.\d+/);
  }
  expect(events.some((e) => e.type === 'policy-applied')).toBe(true);
  expect(JSON.stringify(events)).not.toContain('secret');

  const status = await storedQueue(browser);
  expect(status.lastDelivery).toMatchObject({ ok: true, message: expect.stringMatching(/^delivered \d+ event\(s\)/) });
});

test('a block page left the moment its notice shows still records its block event', async () => {
  test.setTimeout(3 * 60_000);
  // The page paints the notice from the stored snapshot and asks the worker (which records the
  // event) only after that paint; an employee who goes on at once must not take the event away.
  const vendor = await startServer(vendorPage);
  servers.push(vendor);
  const key = await makeKey('compliance-2026');
  const policy = await startPolicyServer(await signPolicy(samplePolicy(), [key]));
  servers.push(policy);
  writeManagedConfig({ office: 'HK', policyUrl: policy.url, trustedKeys: [key.publicJwk] });
  browser = await launchBrowser({ vendorPort: vendor.port });
  await waitForManagedConfig(browser.context, 'HK');
  await waitForPolicy(browser.context, 42);
  // The snapshot is written beside the update queue: wait for it, so the pages paint from it.
  await waitInWorker(
    browser.context,
    () => chrome.storage.local.get('noticeSnapshot'),
    (v) => !!(v as { noticeSnapshot?: unknown }).noticeSnapshot,
    'the notice snapshot',
  );
  const page = await browser.context.newPage();
  const urls = Array.from({ length: 6 }, (_, i) => `https://claude.ai/left-at-once-${i}`);
  // In the page itself, the moment the notice's title is in the document (before it is even
  // painted): on to the next address, as fast as a page can go.
  await page.addInitScript((list: string[]) => {
    const at = list.findIndex((u) => location.hash === `#${u}`);
    if (at < 0) return;
    new MutationObserver((_, observer) => {
      if (!document.querySelector('[data-testid="notice-title"]')) return;
      observer.disconnect();
      location.href = list[at + 1] ?? 'about:blank#done';
    }).observe(document, { childList: true, subtree: true });
  }, urls);
  await page.goto(urls[0]!).catch(() => undefined);
  await expect(page).toHaveURL('about:blank#done');
  await expect
    .poll(
      async () =>
        (await storedQueue(browser!)).events
          .filter((e) => e.type === 'block')
          .map((e) => e.url)
          .sort(),
      { timeout: 30_000 },
    )
    .toEqual([...urls].sort());
});
