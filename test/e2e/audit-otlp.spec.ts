/**
 * Delivery to a real pipeline's front door: the built extension in Chromium posts its audit events
 * as OpenTelemetry logs (OTLP/HTTP JSON, gzip) with a bearer token from the managed auditHeaders,
 * to a loopback receiver shaped like an OpenTelemetry Collector's /v1/logs. A wrong token is
 * refused with 401, which the popup's help-desk details say plainly, and no event is lost: once IT fixes the header,
 * everything recorded meanwhile arrives, and its ledger verifies.
 */
import { expect, test } from '@playwright/test';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { parseEventLines, verifyLedger } from '../../src/core/audit/ledger.ts';
import {
  blockPageUrl,
  launchBrowser,
  makeKey,
  popupUrl,
  removeManagedConfig,
  samplePolicy,
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

const TOKEN = 'otlp-e2e-token-0123456789abcdef';
interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  raw: Buffer;
  status: number;
}

const servers: TestServer[] = [];
let browser: Launched | null = null;
let receiver: Server | null = null;

test.afterEach(async () => {
  await browser?.close();
  browser = null;
  removeManagedConfig();
  for (const s of servers.splice(0)) await s.close();
  await new Promise((r) => (receiver ? receiver.close(r) : r(undefined)));
  receiver = null;
});

/** An OTLP/HTTP logs receiver on loopback: 401 without the bearer token, 200 with it. */
async function startReceiver(received: Received[]): Promise<string> {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = req.method === 'OPTIONS' ? 204 : req.headers.authorization === `Bearer ${TOKEN}` ? 200 : 401;
      if (req.method === 'POST')
        received.push({ path: req.url ?? '', headers: req.headers, raw: Buffer.concat(chunks), status });
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(status === 401 ? '{"code":16,"message":"missing or invalid bearer token"}' : '{}');
    });
  });
  await new Promise<void>((r) => receiver!.listen(0, '127.0.0.1', () => r()));
  const address = receiver.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/v1/logs`;
}

async function visitBlocked(b: Launched, url: string): Promise<void> {
  const page = await b.context.newPage();
  await page.goto(url).catch(() => undefined); // the redirect to the block page aborts the navigation
  await expect(page).toHaveURL(`${blockPageUrl}#${url}`);
  await page.close();
}

test('delivers OTLP logs, gzip, with the managed bearer header; a 401 is said plainly and loses nothing', async () => {
  test.setTimeout(4 * 60_000);
  const received: Received[] = [];
  const auditUrl = await startReceiver(received);
  const vendor = await startServer(vendorPage);
  servers.push(vendor);
  const key = await makeKey('compliance-2026');
  const policy = await startPolicyServer(await signPolicy(samplePolicy(), [key]));
  servers.push(policy);
  const base = { office: 'HK', policyUrl: policy.url, trustedKeys: [key.publicJwk], auditUrl, auditFormat: 'otlp' };
  writeManagedConfig({ ...base, auditHeaders: { Authorization: 'Bearer not-the-token' } });

  browser = await launchBrowser({ vendorPort: vendor.port });
  await waitForManagedConfig(browser.context, 'HK');
  await waitForPolicy(browser.context, 42);
  for (let i = 1; i <= 6; i++) await visitBlocked(browser, `https://claude.ai/otlp-${i}`);

  // 1. Refused: the employee reads that sending failed and nothing is lost; the help-desk details say
  // why in words IT can act on (configuration words stay out of the employee's view).
  await expect.poll(() => received.filter((r) => r.status === 401).length, { timeout: 60_000 }).toBeGreaterThan(0);
  const popup = await browser.context.newPage();
  await popup.goto(popupUrl);
  const audit = popup.getByRole('region', { name: 'Audit trail' });
  await expect(audit).toContainText('the events are kept on this computer');
  await expect(audit).not.toContainText('auditHeaders');
  const details = popup.getByTestId('help-desk-details').locator('pre');
  await expect
    .poll(async () => (await details.textContent()) ?? '', { timeout: 15_000 })
    .toContain('the collector requires credentials (HTTP 401 Unauthorized');
  const text = (await details.textContent()) ?? '';
  expect(text).toContain('check the managed key auditHeaders');
  expect(text).not.toContain('not-the-token');

  // 2. IT fixes the header: the backoff earned by the wrong one does not apply, and the queue drains.
  writeManagedConfig({ ...base, auditHeaders: { Authorization: `Bearer ${TOKEN}` } });
  await waitInWorker(
    browser.context,
    () => chrome.storage.local.get('auditQueue'),
    (v) => ((v as { auditQueue?: { events: unknown[] } }).auditQueue?.events.length ?? 1) === 0,
    'the audit queue to drain to the receiver',
    120_000,
  );

  const accepted = received.filter((r) => r.status === 200);
  expect(accepted.length).toBeGreaterThan(0);
  const events: string[] = [];
  for (const r of accepted) {
    expect(r.path).toBe('/v1/logs');
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);
    const text = r.headers['content-encoding'] === 'gzip' ? gunzipSync(r.raw).toString('utf8') : r.raw.toString('utf8');
    if (r.raw.length >= 1024) expect(r.headers['content-encoding']).toBe('gzip');
    const doc = JSON.parse(text) as {
      resourceLogs: Array<{
        scopeLogs: Array<{
          logRecords: Array<{ eventName: string; timeUnixNano: string; body: { stringValue: string } }>;
        }>;
      }>;
    };
    for (const record of doc.resourceLogs.flatMap((x) => x.scopeLogs.flatMap((s) => s.logRecords))) {
      expect(record.eventName).toMatch(/^ai_geofence\./);
      expect(record.timeUnixNano).toMatch(/^\d{19}$/);
      events.push(record.body.stringValue);
    }
  }
  expect(accepted.some((r) => r.headers['content-encoding'] === 'gzip')).toBe(true);
  const blocks = events.map((e) => JSON.parse(e) as { type: string; url: string }).filter((e) => e.type === 'block');
  expect(blocks.map((e) => e.url).sort()).toEqual([1, 2, 3, 4, 5, 6].map((i) => `https://claude.ai/otlp-${i}`));
  const report = await verifyLedger(parseEventLines(events.join('\n')).events);
  expect(report.problems).toEqual([]);
});
