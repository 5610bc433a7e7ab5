/**
 * Compliance evidence (docs/compliance.md) wired into the real extension: a signed
 * exception that lifts a block for one employee (and a forged one that does not), a stale policy
 * in an office that fails closed, and the audit trail that proves it (ledger links, policy hash,
 * heartbeat). That an office without `failMode: "closed"` is unaffected by the same staleness is
 * proven in src/background/enforcement.test.ts (one browser holds one office).
 */
import { expect, test, type Page } from '@playwright/test';
import { CompactSign } from 'jose';
import {
  blockPageUrl,
  launchBrowser,
  makeKey,
  popupUrl,
  samplePolicy,
  serviceWorker,
  signPolicy,
  startPolicyServer,
  startServer,
  triggerRefresh,
  vendorPage,
  waitForManagedConfig,
  waitForPolicy,
  warnPageUrl,
  writeManagedConfig,
  type Launched,
  type TestKey,
  type TestServer,
  trackForCleanup,
} from './harness.ts';

let vendor: TestServer;
const { browsers, servers } = trackForCleanup();

test.beforeEach(async () => {
  vendor = await startServer(vendorPage);
  servers.push(vendor);
});

interface StoredEvent {
  type: string;
  seq?: number;
  prev?: string | null;
  source?: string;
  policySerial: number | null;
  policyHash?: string | null;
  detail?: Record<string, unknown>;
}

async function auditEvents(b: Launched): Promise<StoredEvent[]> {
  const got = await (await serviceWorker(b.context)).evaluate(() => chrome.storage.local.get('auditQueue'));
  return (got as { auditQueue?: { events: StoredEvent[] } }).auditQueue?.events ?? [];
}

/** Navigate; a DNR redirect aborts the original navigation, which is expected. */
async function visit(page: Page, url: string): Promise<void> {
  await page.goto(url).catch(() => undefined);
}

test('a stale policy blocks what Hong Kong was only warned about; the audit trail carries the chain, the policy hash and a heartbeat', async () => {
  // Hong Kong fails closed after 24 hours without a successful fetch; ChatGPT is only warned there.
  const policy = samplePolicy({
    maxStalenessHours: 24,
    offices: {
      HK: { name: 'Hong Kong', jurisdiction: 'HK', regions: ['greater-china', 'apac'], failMode: 'closed' },
      LDN: { name: 'London', jurisdiction: 'GB', regions: ['emea'] },
    },
    rules: [
      ...(samplePolicy().rules as unknown[]),
      {
        id: 'HK-CHATGPT-CHECK',
        tools: ['chatgpt'],
        offices: ['HK'],
        action: 'warn',
        notice: { title: 'Check before use', reason: 'No client data.' },
      },
    ],
  });
  const key = await makeKey('compliance-2026');
  const policyServer = await startPolicyServer(await signPolicy(policy, [key]));
  servers.push(policyServer);
  writeManagedConfig({ office: 'HK', policyUrl: policyServer.url, trustedKeys: [key.publicJwk], failMode: 'closed' });
  const b = await launchBrowser({ vendorPort: vendor.port });
  browsers.push(b);
  await waitForManagedConfig(b.context, 'HK');
  await waitForPolicy(b.context, 42);

  // Positive control: fresh, ChatGPT gets the warning, not the block.
  const page = await b.context.newPage();
  await visit(page, 'https://chatgpt.com/');
  await expect(page).toHaveURL(`${warnPageUrl}#https://chatgpt.com/`);

  // Three days since the server last confirmed the policy (as a browser offline that long finds
  // it); the rules alarm fires as it would at the stale instant.
  const sw = await serviceWorker(b.context);
  await sw.evaluate(async () => {
    await chrome.storage.local.set({ lastConfirmedAt: new Date(Date.now() - 72 * 3_600_000).toISOString() });
    await chrome.alarms.create('rules-window', { when: Date.now() });
  });
  await expect
    .poll(async () => (await auditEvents(b)).some((e) => e.type === 'stale-closed-entered'), { timeout: 20_000 })
    .toBe(true);
  const entered = (await auditEvents(b)).find((e) => e.type === 'stale-closed-entered')!;
  expect(entered.detail).toMatchObject({ maxStalenessHours: 24, since: expect.any(String) });

  await visit(page, 'https://chatgpt.com/again');
  await expect(page).toHaveURL(`${blockPageUrl}#https://chatgpt.com/again`);
  await expect(page.getByTestId('notice-title')).toContainText('Check before use');
  expect(
    vendor.requests.filter((q) => q.host.replace(/\.+$/, '').endsWith('chatgpt.com') && q.path === '/again'),
  ).toEqual([]);
  // An approved tool keeps working while stale.
  await visit(page, 'https://llm.bank.example/');
  await expect(page).toHaveURL('https://llm.bank.example/');

  // The audit trail: a chain (seq 0 has no prev, every later event links to one), the policy hash
  // of the document in force on every event recorded after it was applied, and a heartbeat.
  const payloadHash = await sw.evaluate(
    async () =>
      ((await chrome.storage.local.get('policyRecord')) as { policyRecord: { payloadHash: string } }).policyRecord
        .payloadHash,
  );
  await expect
    .poll(async () =>
      (await auditEvents(b)).some((e) => e.type === 'heartbeat' && e.detail?.policyHash === payloadHash),
    )
    .toBe(true);
  const events = await auditEvents(b);
  const applied = events.findIndex((e) => e.type === 'policy-applied');
  expect(applied).toBeGreaterThanOrEqual(0);
  for (const e of events) {
    expect(typeof e.source).toBe('string');
    if (e.seq === 0) expect(e.prev).toBeNull();
    else expect(e.prev).toMatch(/^[0-9a-f]{64}$/);
  }
  for (const e of events.slice(applied)) expect(e.policyHash, `${e.type} carries the policy hash`).toBe(payloadHash);
  const heartbeat = events.find((e) => e.type === 'heartbeat' && e.detail?.policySerial === 42)!;
  expect(heartbeat.detail).toMatchObject({
    office: 'HK',
    policyHash: payloadHash,
    extensionVersion: expect.any(String),
    rulesInstalled: expect.any(Number),
  });
  // After going stale-closed the mode changed: that makes a new heartbeat due at once.
  expect(events.some((e) => e.type === 'heartbeat' && e.detail?.mode === 'stale-closed')).toBe(true);
});

/** Sign an exceptions document as `sign-exception` does (its own typ, so it can never pass as a policy). */
function signExceptions(doc: unknown, key: TestKey): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(doc)))
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'ai-geofence-exceptions+jws' })
    .sign(key.privateKey);
}

test('a signed exception lifts the Hong Kong block of Claude for its employee; a forged one is refused and the block stays', async () => {
  const day = 24 * 3_600_000;
  const until = new Date(Date.now() + 7 * day).toISOString();
  const doc = {
    type: 'ai-geofence-exceptions',
    version: 1,
    serial: 3,
    issued: new Date(Date.now() - day).toISOString(),
    expires: new Date(Date.now() + 14 * day).toISOString(),
    exceptions: [
      {
        id: 'EXC-2026-031',
        user: 'u-123',
        tool: 'claude',
        offices: ['HK'],
        until,
        ticket: 'CHG-88412',
        approver: 'Head of Compliance APAC',
      },
    ],
  };
  const key = await makeKey('compliance-2026');
  // The forger knows the kid, not the key.
  const forger = await makeKey('compliance-2026');
  let exceptions = await signExceptions(doc, forger);
  // The Hong Kong block also asks the employee to confirm reading its notice (version 2).
  const base = samplePolicy();
  const rules = (base.rules as Array<Record<string, unknown>>).map((r) =>
    r.id === 'HK-ANTHROPIC-2026-11'
      ? { ...r, requireAcknowledgement: true, notice: { ...(r.notice as object), version: 2 } }
      : r,
  );
  const policyServer = await startPolicyServer(await signPolicy({ ...base, rules }, [key]));
  const exceptionServer = await startServer((_req, url) =>
    url.pathname === '/exceptions.jws' ? { body: exceptions, type: 'application/jose' } : undefined,
  );
  servers.push(policyServer, exceptionServer);
  writeManagedConfig({
    office: 'HK',
    policyUrl: policyServer.url,
    trustedKeys: [key.publicJwk],
    failMode: 'closed',
    userId: 'u-123',
    exceptionsUrl: `http://127.0.0.1:${exceptionServer.port}/exceptions.jws`,
  });
  const b = await launchBrowser({ vendorPort: vendor.port });
  browsers.push(b);
  await waitForManagedConfig(b.context, 'HK');
  await waitForPolicy(b.context, 42);

  // Forged: refused, recorded, and Claude stays blocked.
  await expect
    .poll(async () => (await auditEvents(b)).some((e) => e.type === 'exceptions-refused'), { timeout: 30_000 })
    .toBe(true);
  const page = await b.context.newPage();
  await visit(page, 'https://claude.ai/forged');
  await expect(page).toHaveURL(`${blockPageUrl}#https://claude.ai/forged`);
  expect(vendor.requests.filter((q) => q.path === '/forged')).toEqual([]);

  // "I have read this notice": recorded once, with the versioned evidence; the tool stays blocked.
  await page.getByTestId('acknowledge').click();
  await expect(page.getByTestId('acknowledged')).toBeVisible();
  await expect
    .poll(async () => (await auditEvents(b)).find((e) => e.type === 'notice-acknowledged')?.detail ?? null)
    .toEqual({ version: 2, serial: 42, evidence: 'read notice HK-ANTHROPIC-2026-11 v2 of policy serial 42' });
  await page.reload();
  await expect(page.getByTestId('acknowledged')).toBeVisible();
  await expect(page.getByTestId('acknowledge')).toHaveCount(0);
  await expect(page).toHaveURL(`${blockPageUrl}#https://claude.ai/forged`);

  // Genuine: applied, and the employee reaches the vendor.
  exceptions = await signExceptions(doc, key);
  await triggerRefresh(b.context);
  await expect
    .poll(async () => (await auditEvents(b)).find((e) => e.type === 'exceptions-applied')?.detail ?? null, {
      timeout: 30_000,
    })
    .toMatchObject({ serial: 3, count: 1, signers: ['compliance-2026'] });
  await expect
    .poll(
      async () => {
        await visit(page, 'https://claude.ai/granted');
        return page.url();
      },
      { timeout: 20_000 },
    )
    .toBe('https://claude.ai/granted');
  expect(vendor.requests.some((q) => q.host.replace(/\.+$/, '') === 'claude.ai' && q.path === '/granted')).toBe(true);

  // The notice page for that address says why it is open now: the exception, its end, ticket, approver.
  await page.goto(`${blockPageUrl}#https://claude.ai/granted`).catch(() => undefined);
  await expect(page.getByTestId('notice-exception')).toContainText('CHG-88412');
  await expect(page.getByTestId('notice-exception')).toContainText('Head of Compliance APAC');

  // The popup says it too, and names the exceptions document in force.
  const popup = await b.context.newPage();
  await popup.goto(`${popupUrl}?tabUrl=${encodeURIComponent('https://claude.ai/granted')}`);
  await expect(popup.getByTestId('site-status')).toBeVisible();
  await expect(popup.getByText(/You have an exception until .*CHG-88412.*Head of Compliance APAC/)).toBeVisible();
  await expect(popup.getByTestId('exceptions-status')).toContainText('Serial 3');
  await expect(popup.getByTestId('exceptions-status')).toContainText('1 for you');

  // The exceptions server goes down: the popup says the update failed; the exception stays in force.
  await exceptionServer.close();
  await triggerRefresh(b.context);
  await expect
    .poll(
      async () => {
        await popup.reload();
        return popup.getByTestId('exceptions-status').textContent();
      },
      { timeout: 30_000 },
    )
    .toMatch(/The last update failed .*The exceptions in force stay until they expire/);
  await expect
    .poll(async () => {
      await visit(page, 'https://claude.ai/still-granted');
      return page.url();
    })
    .toBe('https://claude.ai/still-granted');
});
