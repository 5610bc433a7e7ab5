/**
 * What the popup says is in force is in force. A new verified policy is stored before its network
 * rules are installed, and with a large policy installing them takes measurable time: the popup
 * must name the new serial only once the browser has its rules. Proven the way an employee would
 * meet it: flip the policy, watch the popup until it names the new serial, navigate to the vendor
 * the new serial blocks at once, and count the requests the vendor received. Several rounds, each
 * with a vendor host newly blocked.
 */
import { expect, test, type Page } from '@playwright/test';
import {
  blockPageUrl,
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
  DEFAULT_VENDOR_HOSTS,
  trackWithVendor,
} from './harness.ts';

const { browsers, servers, vendor } = trackWithVendor();

const ROUNDS = 6;
const FIRST_SERIAL = 42;
/** Large enough that installing the rules takes measurable time (the case that leaked). */
const BULK_DOMAINS = 20_000;
const roundHost = (i: number) => `vendor-${i}.example`;

/**
 * Serial `serial`: the sample policy, one blocked tool with BULK_DOMAINS generated domains, and a
 * blocked tool for each round's vendor host up to `blockedRounds` (the hosts after it are allowed).
 */
function policyFor(serial: number, blockedRounds: number): Record<string, unknown> {
  const base = samplePolicy({ serial });
  const bulk = Array.from({ length: BULK_DOMAINS }, (_, i) => `ai-${i}.bulk-tools.example`);
  const roundTools = Object.fromEntries(
    Array.from({ length: blockedRounds }, (_, i) => [
      `vendor-${i}`,
      { name: `Vendor ${i}`, vendor: `Vendor ${i} Ltd`, domains: [roundHost(i)] },
    ]),
  );
  const roundRules = Array.from({ length: blockedRounds }, (_, i) => ({
    id: `HK-VENDOR-${i}`,
    tools: [`vendor-${i}`],
    offices: ['HK'],
    action: 'block',
  }));
  return {
    ...base,
    tools: {
      ...(base.tools as Record<string, unknown>),
      bulk: { name: 'Bulk AI tools', vendor: 'Many', domains: bulk },
      ...roundTools,
    },
    rules: [
      ...(base.rules as unknown[]),
      { id: 'HK-BULK', tools: ['bulk'], offices: ['HK'], action: 'block' },
      ...roundRules,
    ],
  };
}

/** Reload the popup until it names `serial` in force; returns how many reloads that took. */
async function waitForPopupSerial(popup: Page, serial: number): Promise<{ reloads: number; sawApplying: boolean }> {
  let reloads = 0;
  let sawApplying = false;
  const serialText = popup.getByTestId('policy-serial');
  await expect
    .poll(
      async () => {
        reloads += 1;
        await popup.reload();
        const status = (await popup.getByTestId('policy-status').textContent()) ?? '';
        if (status.includes(`Policy ${serial} verified; applying`)) sawApplying = true;
        return serialText.textContent();
      },
      { timeout: 60_000, intervals: [0] },
    )
    .toBe(String(serial));
  return { reloads, sawApplying };
}

/** Policy server, enterprise policy file for Hong Kong, browser; resolves once `serial` is in force. */
async function setUp(policy: Record<string, unknown>, serial: number, vendorHosts = DEFAULT_VENDOR_HOSTS) {
  const key = await makeKey('compliance-2026');
  const policyServer = await startPolicyServer(await signPolicy(policy, [key]));
  servers.push(policyServer);
  writeManagedConfig({ office: 'HK', policyUrl: policyServer.url, trustedKeys: [key.publicJwk], failMode: 'closed' });
  const b = await launchBrowser({ vendorPort: vendor().port, vendorHosts });
  browsers.push(b);
  await waitForManagedConfig(b.context, 'HK');
  await waitForPolicy(b.context, serial);
  return { b, key, policyServer };
}

test('the popup names a new serial only once its rules are in force: zero requests reach the vendor it blocks', async () => {
  test.setTimeout(300_000);
  const hosts = Array.from({ length: ROUNDS }, (_, i) => roundHost(i));
  const { b, key, policyServer } = await setUp(policyFor(FIRST_SERIAL, 0), FIRST_SERIAL, [
    ...DEFAULT_VENDOR_HOSTS,
    ...hosts,
  ]);

  const popup = await b.context.newPage();
  await popup.goto(popupUrl);
  await expect(popup.getByTestId('policy-serial')).toHaveText(String(FIRST_SERIAL));
  const page = await b.context.newPage();
  const rounds: Array<{ serial: number; reloads: number; sawApplying: boolean; leaked: number }> = [];

  for (let i = 0; i < ROUNDS; i++) {
    const host = roundHost(i);
    const serial = FIRST_SERIAL + 1 + i;
    // Positive control: before the flip this host is allowed and its requests reach the vendor.
    await page.goto(`https://${host}/control`);
    expect(
      vendor()
        .requestsFor(host)
        .map((q) => q.path),
    ).toContain('/control');

    policyServer.set(await signPolicy(policyFor(serial, i + 1), [key]));
    await triggerRefresh(b.context);
    const seen = await waitForPopupSerial(popup, serial);
    // At once, as an employee who just read the popup would.
    await page.goto(`https://${host}/after-popup`).catch(() => undefined);
    await expect(page).toHaveURL(`${blockPageUrl}#https://${host}/after-popup`);
    const leaked = vendor()
      .requestsFor(host)
      .filter((q) => q.path.startsWith('/after-popup'))
      .map((q) => q.path);
    rounds.push({ serial, ...seen, leaked: leaked.length });
  }
  console.log(`[status-in-force] ${BULK_DOMAINS} domains; rounds: ${JSON.stringify(rounds)}`);
  expect(rounds.map((r) => r.leaked)).toEqual(Array.from({ length: ROUNDS }, () => 0));
});

test('a policy whose rules the browser refuses is named as not applied, and the serial before stays in force', async () => {
  test.setTimeout(180_000);
  const { b, key, policyServer } = await setUp(samplePolicy(), 42);

  // Valid and verified, but each path-scoped block is its own regex rule: more than the browser's
  // limit of 1,000 regex rules (chrome.declarativeNetRequest.MAX_NUMBER_OF_REGEX_RULES).
  const base = samplePolicy({ serial: 43 });
  const many = 1_100;
  const tools = Object.fromEntries(
    Array.from({ length: many }, (_, i) => [
      `path-${i}`,
      { name: `Path tool ${i}`, domains: ['chatgpt.com'], paths: [`/tool-${i}`] },
    ]),
  );
  policyServer.set(
    await signPolicy(
      {
        ...base,
        tools: { ...(base.tools as Record<string, unknown>), ...tools },
        rules: [
          ...(base.rules as unknown[]),
          { id: 'HK-PATHS', tools: Object.keys(tools), offices: ['HK'], action: 'block' },
        ],
      },
      [key],
    ),
  );
  await triggerRefresh(b.context);
  const applied = await waitInWorker(
    b.context,
    async () =>
      ((await chrome.storage.local.get('lastApplied')) as { lastApplied?: { serial: number | null; error?: string } })
        .lastApplied ?? null,
    (v) => !!v?.error,
    'the browser to refuse the rules of serial 43',
  );
  expect(applied?.serial).toBe(42);

  const popup = await b.context.newPage();
  await popup.goto(popupUrl);
  await expect(popup.getByTestId('policy-serial')).toHaveText('42');
  await expect(popup.getByTestId('policy-status')).toContainText('Policy 43 verified, but could not be applied');
  await expect(popup.getByTestId('policy-status')).toContainText('The verified policy with serial 42 stays in force.');
  // And it is: serial 42's block of claude.ai is still installed.
  const page = await b.context.newPage();
  await page.goto('https://claude.ai/after-refusal').catch(() => undefined);
  await expect(page).toHaveURL(`${blockPageUrl}#https://claude.ai/after-refusal`);
  expect(vendor().requestsFor('claude.ai')).toEqual([]);
});
