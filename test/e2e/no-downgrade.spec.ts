/**
 * Honest mistakes that must never open a hole, in real Chromium with the built extension: two tools
 * claiming one host and path (a single-page-app route onto it included), the spellings a server
 * reads as a blocked tool path, and an office code the policy does not define. Each phase first
 * shows its positive control (the vendor answers where it may), then that nothing reached it.
 */
import { expect, test, type Page } from '@playwright/test';
import {
  blockPageUrl,
  DEFAULT_VENDOR_HOSTS,
  launchBrowser,
  makeKey,
  popupUrl,
  samplePolicy,
  signPolicy,
  startPolicyServer,
  triggerRefresh,
  waitForManagedConfig,
  waitForPolicy,
  waitInWorker,
  writeManagedConfig,
  type Launched,
  type RecordedRequest,
  trackWithVendor,
} from './harness.ts';

const { browsers, servers, vendor } = trackWithVendor();

/** Policy server, enterprise policy file, browser (claude.com mapped too); waits for the configuration. */
async function setUp(office: string, policy: Record<string, unknown>): Promise<Launched> {
  const key = await makeKey('compliance-2026');
  const policyServer = await startPolicyServer(await signPolicy(policy, [key]));
  servers.push(policyServer);
  writeManagedConfig({ office, policyUrl: policyServer.url, trustedKeys: [key.publicJwk], failMode: 'closed' });
  const b = await launchBrowser({ vendorPort: vendor().port, vendorHosts: [...DEFAULT_VENDOR_HOSTS, 'claude.com'] });
  browsers.push(b);
  await waitForManagedConfig(b.context, office);
  return b;
}

/** Navigate; a DNR redirect aborts the original navigation, which is expected. */
async function visit(page: Page, url: string): Promise<void> {
  await page.goto(url).catch(() => undefined);
}

function seen(host: string): RecordedRequest[] {
  return vendor().requests.filter((q) => q.host.replace(/\.+$/, '') === host && q.path !== '/favicon.ico');
}

test('two tools on one host and path: the block on either holds, for a navigation and a single-page-app route', async () => {
  const base = samplePolicy();
  const policy = {
    ...base,
    tools: {
      ...(base.tools as object),
      // Listed first and allowed: before, it alone decided its path and hid the block on the other.
      m365chat: { name: 'M365 Chat', vendor: 'Example Office', domains: ['office.other.example'], paths: ['/chat'] },
      'office-copilot': {
        name: 'Office Copilot',
        vendor: 'Example Office',
        domains: ['office.other.example'],
        paths: ['/chat'],
      },
    },
    rules: [
      ...(base.rules as object[]),
      {
        id: 'HK-OFFICE-COPILOT',
        tools: ['office-copilot'],
        offices: ['HK'],
        action: 'block',
        notice: { title: 'Do not use: Office Copilot' },
      },
      { id: 'M365-CHAT-OK', tools: ['m365chat'], action: 'allow' },
    ],
  };
  const b = await setUp('HK', policy);
  await waitForPolicy(b.context, 42);
  const page = await b.context.newPage();

  await test.step('a navigation onto the shared path is blocked, naming the rule and its tool', async () => {
    await page.goto('https://office.other.example/home');
    await expect(page.locator('#vendor')).toHaveText('Vendor page office.other.example/home');
    await visit(page, 'https://office.other.example/chat/1');
    await expect(page).toHaveURL(`${blockPageUrl}#https://office.other.example/chat/1`);
    await expect(page.getByTestId('notice-title')).toHaveText('Do not use: Office Copilot');
  });

  await test.step('a history.pushState route onto it moves the tab to the block page', async () => {
    await page.goto('https://office.other.example/home');
    await expect(page.locator('#vendor')).toHaveText('Vendor page office.other.example/home');
    await page.evaluate(() => history.pushState({}, '', '/chat/spa'));
    await expect(page).toHaveURL(`${blockPageUrl}#https://office.other.example/chat/spa`);
    await expect(page.getByTestId('notice-title')).toHaveText('Do not use: Office Copilot');
  });

  expect(seen('office.other.example').map((q) => q.path)).toEqual(['/home', '/home']);
});

test('a path-scoped block covers every spelling a server reads as that path, with zero vendor requests', async () => {
  const base = samplePolicy();
  const policy = {
    ...base,
    tools: {
      ...(base.tools as object),
      studio: { name: 'Studio', vendor: 'Example Cloud', domains: ['studio.other.example'], paths: ['/chat'] },
    },
    rules: [
      ...(base.rules as object[]),
      { id: 'STUDIO-CHAT', tools: ['studio'], action: 'block', notice: { title: 'Do not use: Studio chat' } },
    ],
  };
  const b = await setUp('LDN', policy);
  await waitForPolicy(b.context, 42);
  const page = await b.context.newPage();
  // The positive control: the rest of the host loads, and the vendor records each path it is sent.
  await page.goto('https://studio.other.example/ok');
  await expect(page.locator('#vendor')).toHaveText('Vendor page studio.other.example/ok');

  const forms = [
    '/chat;x',
    '/chat%2Fx',
    '/%2Fchat',
    '/chat.',
    '/chat%20',
    '/chat%09',
    '/chat%3Bx',
    '/chat%23x',
    '/Chat',
    '/%63hat',
    '//chat',
    '/./chat',
  ];
  for (const form of forms) {
    await visit(page, `https://studio.other.example${form}`);
    await expect(page, form).toHaveURL((u) => u.href.startsWith(`${blockPageUrl}#https://studio.other.example/`));
  }
  expect(seen('studio.other.example').map((q) => q.path)).toEqual(['/ok']);
});

test('an office code the policy does not define keeps Claude blocked and the popup names the problem', async () => {
  const b = await setUp('HONGKONG', samplePolicy());
  // The policy arrived and was verified: fail-closed here is the office check, not a missing policy.
  await waitInWorker(
    b.context,
    async () =>
      (await chrome.storage.local.get(['policyRecord', 'lastApplied'])) as {
        policyRecord?: { serial: number };
        lastApplied?: { mode: string };
      },
    (s) => s.policyRecord?.serial === 42 && s.lastApplied?.mode === 'fail-closed',
    'policy 42 stored and fail-closed applied',
  );
  const page = await b.context.newPage();
  await page.goto('https://other.example/');
  await expect(page.locator('#vendor')).toHaveText('Vendor page other.example/');
  for (const url of ['https://claude.ai/new', 'https://claude.com/']) {
    await visit(page, url);
    // Blocked, not the "no office" reading of the rules (which would have warned).
    await expect(page).toHaveURL(`${blockPageUrl}#${url}`);
  }
  expect([...seen('claude.ai'), ...seen('claude.com')]).toEqual([]);

  const popup = await b.context.newPage();
  await popup.goto(`${popupUrl}?tabUrl=${encodeURIComponent('https://claude.ai/new')}`);
  await expect(popup.getByTestId('site-status')).toHaveText('Blocked: no valid policy');
  await expect(popup.getByTestId('policy-status')).toContainText(
    'Your office code "HONGKONG" is not one of the offices in the policy (HK, NY, LDN).',
  );
  await expect(popup.getByTestId('policy-status')).toContainText('Did you mean "HK"?');

  const events = await waitInWorker(
    b.context,
    async () =>
      (
        (await chrome.storage.local.get('auditQueue')) as {
          auditQueue?: { events: Array<{ type: string; detail?: Record<string, unknown> }> };
        }
      ).auditQueue?.events ?? [],
    (list) => list.some((e) => e.type === 'config-invalid'),
    'a config-invalid audit event',
  );
  expect(events.find((e) => e.type === 'config-invalid')?.detail).toMatchObject({
    office: 'HONGKONG',
    validOffices: ['HK', 'NY', 'LDN'],
    suggestion: 'HK',
  });
});

test('a misspelt rule condition is refused, not ignored: the last good policy stays and the popup names the field', async () => {
  const key = await makeKey('compliance-2026');
  const policyServer = await startPolicyServer(await signPolicy(samplePolicy(), [key]));
  servers.push(policyServer);
  writeManagedConfig({ office: 'NY', policyUrl: policyServer.url, trustedKeys: [key.publicJwk], failMode: 'closed' });
  const b = await launchBrowser({ vendorPort: vendor().port });
  browsers.push(b);
  await waitForManagedConfig(b.context, 'NY');
  await waitForPolicy(b.context, 42);

  // Serial 43 misspells exceptJurisdictions. Ignored, the non-US warning would reach New York too.
  const typo = samplePolicy({ serial: 43 });
  const rules = typo.rules as Array<Record<string, unknown>>;
  delete rules[1]!.exceptJurisdictions;
  rules[1]!.exceptJurisdiction = ['US'];
  policyServer.set(await signPolicy(typo, [key]));
  await triggerRefresh(b.context);
  const refusal = await waitInWorker(
    b.context,
    async () =>
      ((await chrome.storage.local.get('lastRefusal')) as { lastRefusal?: { message: string } }).lastRefusal?.message ??
      '',
    (m) => m.includes('exceptJurisdiction'),
    'the refusal of serial 43',
  );
  expect(refusal).toContain('$.rules[1].exceptJurisdiction');
  await waitForPolicy(b.context, 42);

  // Still policy 42: New York reaches Claude without the warning.
  const page = await b.context.newPage();
  await page.goto('https://claude.ai/new');
  await expect(page.locator('#vendor')).toHaveText('Vendor page claude.ai/new');

  const popup = await b.context.newPage();
  await popup.goto(popupUrl);
  await expect(popup.getByTestId('policy-serial')).toHaveText('42');
  await expect(popup.locator('body')).toContainText('$.rules[1].exceptJurisdiction');
});
