/**
 * Enforcement that never leaks, proven in real Chromium with the built extension: every request
 * type from another site, warn and its acknowledgement's end, monitor, single-page-app routes and
 * the back/forward cache, tabs already open when the policy changes, rule windows that open with
 * no network, conditional fetches, a restart with the policy server down, and fail-open.
 *
 * Each test launches one browser and walks through the phases of one story, so a launch is paid
 * once per story; each phase checks its own prerequisite (a positive control) before the claim.
 */
import { expect, test, type Page } from '@playwright/test';
import { CATALOGUE } from '../../src/core/catalogue/catalogue.ts';
import { ENCODED_PATH_FILTER, MAX_FILTER_PREFIX, prefixFilter } from '../../src/core/dnr/dnr.ts';
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
  storedState,
  triggerRefresh,
  vendorPage,
  waitForManagedConfig,
  waitForPolicy,
  waitInWorker,
  warnPageUrl,
  writeManagedConfig,
  EXTENSION_ID,
  type Launched,
  type RecordedRequest,
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

type PolicyServer = Awaited<ReturnType<typeof startPolicyServer>>;

interface Setup {
  office: string;
  policy: Record<string, unknown>;
  failMode?: 'closed' | 'open';
  signWith?: 'trusted' | 'untrusted';
}

/** Policy server, enterprise policy file, browser; waits until the extension has its configuration. */
async function setUp(s: Setup): Promise<{ b: Launched; policyServer: PolicyServer; key: TestKey }> {
  const key = await makeKey('compliance-2026');
  const signer = s.signWith === 'untrusted' ? await makeKey('attacker') : key;
  const policyServer = await startPolicyServer(await signPolicy(s.policy, [signer]));
  servers.push(policyServer);
  writeManagedConfig({
    office: s.office,
    policyUrl: policyServer.url,
    trustedKeys: [key.publicJwk],
    failMode: s.failMode ?? 'closed',
  });
  const b = await launchBrowser({ vendorPort: vendor.port });
  browsers.push(b);
  await waitForManagedConfig(b.context, s.office);
  return { b, policyServer, key };
}

/** Navigate; a DNR redirect aborts the original navigation, which is expected. */
async function visit(page: Page, url: string): Promise<void> {
  await page.goto(url).catch(() => undefined);
}

/** Requests the vendor server saw for these hosts (and subdomains), trailing dots ignored. */
function seen(...domains: string[]): RecordedRequest[] {
  return vendor.requests.filter((q) => {
    const host = q.host.replace(/\.+$/, '');
    return domains.some((d) => host === d || host.endsWith(`.${d}`));
  });
}

interface AuditEvent {
  type: string;
  tool: string | null;
  rule: string | null;
  url: string | null;
  detail?: Record<string, unknown>;
}

async function auditEvents(b: Launched): Promise<AuditEvent[]> {
  const got = await (await serviceWorker(b.context)).evaluate(() => chrome.storage.local.get('auditQueue'));
  return (got as { auditQueue?: { events: AuditEvent[] } }).auditQueue?.events ?? [];
}

function withRule(base: Record<string, unknown>, id: string, change: Record<string, unknown>): Record<string, unknown> {
  return {
    ...base,
    rules: (base.rules as Array<Record<string, unknown>>).map((r) => (r.id === id ? { ...r, ...change } : r)),
  };
}

// ---------------------------------------------------------------------------------------------

/** Every way a page loads something (path on the host, markup); `HOST` is the host under test. */
const LEAK_KINDS: Record<string, [path: string, html: string]> = {
  stylesheet: ['/leak/style.css', '<link rel="stylesheet" href="https://HOST/leak/style.css">'],
  font: [
    '/leak/font.woff2',
    '<style>@font-face{font-family:"F-HOST";src:url(https://HOST/leak/font.woff2)}</style><p style="font-family:\'F-HOST\'">font</p>',
  ],
  script: ['/leak/script.js', '<script src="https://HOST/leak/script.js"></script>'],
  image: ['/leak/image.png', '<img src="https://HOST/leak/image.png" alt="">'],
  frame: ['/leak/frame', '<iframe src="https://HOST/leak/frame" title="embedded HOST"></iframe>'],
  prefetch: ['/leak/prefetch', '<link rel="prefetch" href="https://HOST/leak/prefetch">'],
  media: ['/leak/video.mp4', '<video src="https://HOST/leak/video.mp4" preload="auto" muted></video>'],
  object: ['/leak/object', '<object data="https://HOST/leak/object" type="text/html"></object>'],
  fetch: ['/leak/fetch', '<script>fetch("https://HOST/leak/fetch", { mode: "no-cors" }).catch(() => {})</script>'],
  xhr: [
    '/leak/xhr',
    '<script>{ const x = new XMLHttpRequest(); x.open("GET", "https://HOST/leak/xhr"); x.onerror = () => {}; x.send(); }</script>',
  ],
  websocket: ['/leak/ws', '<script>{ const w = new WebSocket("wss://HOST/leak/ws"); w.onerror = () => {}; }</script>'],
  beacon: ['/leak/beacon', '<script>navigator.sendBeacon("https://HOST/leak/beacon", "x")</script>'],
};

function leakPage(hosts: string[]): string {
  return `<!doctype html><title>leak test</title>${hosts.flatMap((h) => Object.values(LEAK_KINDS).map(([, html]) => html.replaceAll('HOST', h))).join('\n')}`;
}

test('no request of any type reaches a blocked vendor from another site; its frame becomes a notice', async () => {
  const { b } = await setUp({ office: 'HK', policy: samplePolicy() });
  await waitForPolicy(b.context, 42);
  // The same page loads everything from an allowed host too: the positive control that each kind
  // of request really leaves this page, so zero requests for claude.ai means blocked, not "never sent".
  vendor.route((_req, url) =>
    url.hostname === 'other.example' && url.pathname === '/leak'
      ? { body: leakPage(['claude.ai', 'cdn.other.example']) }
      : undefined,
  );
  const page = await b.context.newPage();
  await page.goto('https://other.example/leak');

  const missing = () =>
    Object.entries(LEAK_KINDS)
      .filter(([, [path]]) => !seen('cdn.other.example').some((q) => q.path === path))
      .map(([kind]) => kind);
  // The page asks for claude.ai first and the control of each kind after it, so once every control
  // has arrived, a request of that kind that got through to claude.ai would have arrived as well.
  await expect.poll(missing, { timeout: 20_000 }).toEqual([]);
  expect(seen('claude.ai', 'anthropic.com')).toEqual([]);

  // The embedded vendor frame shows a small notice from the extension instead.
  const frame = page.frameLocator('iframe[title="embedded claude.ai"]');
  await expect(frame.getByTestId('embedded-notice')).toContainText('Do not use: Anthropic Claude');
  expect(page.frames().map((f) => f.url())).toContain(
    `chrome-extension://${EXTENSION_ID}/embedded-block.html#https://claude.ai/leak/frame`,
  );
  await expect
    .poll(async () => (await auditEvents(b)).some((e) => e.type === 'block' && e.detail?.frame === 'embedded'))
    .toBe(true);

  // A typed address with a trailing dot is the same host.
  await visit(page, 'http://claude.ai./x');
  await expect(page).toHaveURL(`${blockPageUrl}#http://claude.ai./x`);
  expect(seen('claude.ai')).toEqual([]);
});

test('warn: the notice, a justification, the time-limited pass, and the warning again when it ends', async () => {
  const policy = withRule(samplePolicy(), 'NON-US-ANTHROPIC', { allowForMinutes: 1, requireJustification: true });
  const { b } = await setUp({ office: 'LDN', policy });
  await waitForPolicy(b.context, 42);
  const page = await b.context.newPage();

  await visit(page, 'https://claude.ai/chat/1');
  await expect(page).toHaveURL(`${warnPageUrl}#https://claude.ai/chat/1`);
  await expect(page.getByTestId('notice-title')).toHaveText('Check before use');

  await test.step('no proceeding without a justification: neither from the page nor by asking the worker directly', async () => {
    await page.getByTestId('proceed').click();
    await expect(page.locator('#ack-error')).toContainText('short reason');
    await expect(page).toHaveURL(`${warnPageUrl}#https://claude.ai/chat/1`);
    const direct = await page.evaluate(() =>
      chrome.runtime.sendMessage({ type: 'proceed', url: 'https://claude.ai/chat/1' }),
    );
    expect(direct).toEqual({ value: { ok: false, error: expect.stringContaining('justification') } });
    expect((await storedState(b.context)).acknowledged).toEqual({});
    expect(seen('claude.ai')).toEqual([]);
  });

  await test.step('proceed with a justification: the vendor page, its banner, and a pass for one minute', async () => {
    await page.locator('#justification').fill('Public research for a client memo');
    await page.getByTestId('proceed').click();
    await expect(page).toHaveURL('https://claude.ai/chat/1');
    await expect(page.locator('#vendor')).toHaveText('Vendor page claude.ai/chat/1');
    await expect(page.locator('[data-ai-geofence="banner"]')).toHaveCount(1);
    const { acknowledged } = (await storedState(b.context)) as { acknowledged: Record<string, number> };
    expect(acknowledged.claude! - Date.now()).toBeGreaterThan(50_000);
    expect(acknowledged.claude! - Date.now()).toBeLessThanOrEqual(60_000);
    const other = await b.context.newPage();
    await other.goto('https://claude.ai/other');
    await expect(other.locator('#vendor')).toHaveText('Vendor page claude.ai/other');
    await other.close();
    expect((await auditEvents(b)).find((e) => e.type === 'warn-proceeded')?.detail).toMatchObject({
      justification: 'Public research for a client memo',
    });
  });

  await test.step('the minute is over (stored time moved back) and the rules alarm fires: warned again, open tab included', async () => {
    await (await serviceWorker(b.context)).evaluate(async () => {
      await chrome.storage.local.set({ acknowledged: { claude: Date.now() - 1000 } });
      await chrome.alarms.create('rules-window', { when: Date.now() });
    });
    await expect(page).toHaveURL(`${warnPageUrl}#https://claude.ai/chat/1`, { timeout: 20_000 });
    const again = await b.context.newPage();
    const before = seen('claude.ai').length;
    await visit(again, 'https://claude.ai/later');
    await expect(again).toHaveURL(`${warnPageUrl}#https://claude.ai/later`);
    expect(seen('claude.ai')).toHaveLength(before);
  });
});

test('monitor, single-page-app routes, tool paths and the back/forward cache', async () => {
  const base = samplePolicy();
  const policy = {
    ...base,
    tools: {
      ...(base.tools as object),
      studio: { name: 'Studio', vendor: 'Example Cloud', domains: ['studio.other.example'], paths: ['/blocked-area'] },
    },
    rules: [
      ...(base.rules as object[]),
      { id: 'STUDIO-BLOCKED', tools: ['studio'], action: 'block', notice: { title: 'Do not use: Studio' } },
      {
        id: 'FIRM-LLM-MONITORED',
        tools: ['firm-llm'],
        action: 'monitor',
        notice: { title: 'Use of Firm LLM is recorded' },
      },
    ],
  };
  const { b } = await setUp({ office: 'LDN', policy });
  await waitForPolicy(b.context, 42);
  const page = await b.context.newPage();

  await test.step('content scripts only on warned and monitored tools', async () => {
    const registered = await (await serviceWorker(b.context)).evaluate(() =>
      chrome.scripting.getRegisteredContentScripts({ ids: ['ai-geofence-content'] }),
    );
    // Claude's domains (the policy's and the catalogue's it keeps) and Firm LLM's.
    const hosts = [...new Set([...CATALOGUE.claude!.domains, 'claude.ai', 'anthropic.com', 'llm.bank.example'])];
    expect([...(registered[0]?.matches ?? [])].sort()).toEqual(
      hosts.flatMap((d) => [`*://${d}/*`, `*://*.${d}/*`]).sort(),
    );
  });

  await test.step('monitor: allowed, with the banner and a monitor-visit audit event', async () => {
    await page.goto('https://llm.bank.example/workspace');
    await expect(page.locator('#vendor')).toHaveText('Vendor page llm.bank.example/workspace');
    await expect(page.locator('[data-ai-geofence="banner"]')).toHaveCount(1);
    await expect
      .poll(async () => (await auditEvents(b)).filter((e) => e.type === 'monitor-visit').map((e) => [e.tool, e.rule]))
      .toEqual([['firm-llm', 'FIRM-LLM-MONITORED']]);
  });

  await test.step('paths: the blocked area only, however the path is spelt', async () => {
    await page.goto('https://studio.other.example/ok');
    await expect(page.locator('#vendor')).toHaveText('Vendor page studio.other.example/ok');
    for (const path of ['/blocked-area', '/Blocked-Area/y', '//blocked-area/z', '/%62locked-area/w']) {
      await visit(page, `https://studio.other.example${path}`);
      await expect(page).toHaveURL(`${blockPageUrl}#https://studio.other.example${path}`);
    }
    expect(
      seen('studio.other.example')
        .map((q) => q.path)
        .filter((p) => p !== '/favicon.ico'),
    ).toEqual(['/ok']);
    // The longest and the most segmented prefix the compiler puts into a filter, and the encoded-path
    // filter, fit Chromium's RE2 budget (one that does not makes the browser refuse the whole update).
    const longest = [
      prefixFilter(`/${'a'.repeat(MAX_FILTER_PREFIX - 1)}`),
      prefixFilter('/a'.repeat(MAX_FILTER_PREFIX / 2)),
      ENCODED_PATH_FILTER,
    ];
    const supported = await (await serviceWorker(b.context)).evaluate(
      (regexes) =>
        Promise.all(
          regexes.map((regex) => chrome.declarativeNetRequest.isRegexSupported({ regex, isCaseSensitive: false })),
        ),
      longest,
    );
    expect(supported).toEqual(longest.map(() => ({ isSupported: true })));
  });

  await test.step('a history.pushState route into the blocked area moves the tab to the block page', async () => {
    await page.goto('https://studio.other.example/ok');
    await page.evaluate(() => history.pushState({}, '', '/blocked-area/x'));
    await expect(page).toHaveURL(`${blockPageUrl}#https://studio.other.example/blocked-area/x`);
    await expect(page.getByTestId('notice-title')).toHaveText('Do not use: Studio');
  });

  await test.step('Back restores the blocked route from the back/forward cache: moved again, nothing sent', async () => {
    await page.goBack().catch(() => undefined);
    await expect(page).toHaveURL(`${blockPageUrl}#https://studio.other.example/blocked-area/x`);
    expect(seen('studio.other.example').filter((q) => q.path.toLowerCase().includes('locked-area'))).toEqual([]);
  });
});

test('tabs already open follow a new policy at once, and a rule window opens on time with no network', async () => {
  const base = samplePolicy();
  const { b, policyServer, key } = await setUp({ office: 'HK', policy: { ...base, rules: [] } });
  await waitForPolicy(b.context, 42);
  const claudeTab = await b.context.newPage();
  await claudeTab.goto('https://claude.ai/chat/open');
  await expect(claudeTab.locator('#vendor')).toHaveText('Vendor page claude.ai/chat/open');
  const llmTab = await b.context.newPage();
  await llmTab.goto('https://llm.bank.example/open');
  await expect(llmTab.locator('#vendor')).toHaveText('Vendor page llm.bank.example/open');

  // Serial 43 blocks Claude now, and the Firm LLM Suite from an instant a few seconds ahead.
  const from = Date.now() + 12_000;
  const windowRule = {
    id: 'HK-FIRM-LLM-FREEZE',
    tools: ['firm-llm'],
    offices: ['HK'],
    action: 'block',
    from: new Date(from).toISOString(),
  };
  policyServer.set(await signPolicy({ ...base, serial: 43, rules: [...(base.rules as object[]), windowRule] }, [key]));
  await triggerRefresh(b.context);
  await waitForPolicy(b.context, 43);

  await test.step('the open Claude tab moves to the block page without any action', async () => {
    await expect(claudeTab).toHaveURL(`${blockPageUrl}#https://claude.ai/chat/open`);
    await expect(claudeTab.getByTestId('notice-title')).toHaveText('Do not use: Anthropic Claude');
    const before = seen('claude.ai').length;
    await claudeTab.goBack().catch(() => undefined);
    await expect(claudeTab).toHaveURL(`${blockPageUrl}#https://claude.ai/chat/open`);
    expect(seen('claude.ai')).toHaveLength(before);
  });

  // From here on the policy server is gone: the window must open from what the extension holds.
  await policyServer.close();
  servers.splice(servers.indexOf(policyServer), 1);

  await test.step('before the window: the Firm LLM Suite is reachable', async () => {
    expect(Date.now()).toBeLessThan(from - 2000);
    const probe = await b.context.newPage();
    await probe.goto('https://llm.bank.example/before');
    await expect(probe.locator('#vendor')).toHaveText('Vendor page llm.bank.example/before');
    await probe.close();
  });

  await test.step('at the window: the open tab moves, a new visit is blocked, and nothing more reaches the vendor', async () => {
    await expect(llmTab).toHaveURL(`${blockPageUrl}#https://llm.bank.example/open`, { timeout: 30_000 });
    const lateBy = Date.now() - from;
    expect(lateBy).toBeGreaterThanOrEqual(0);
    const before = seen('llm.bank.example').length;
    const probe = await b.context.newPage();
    await visit(probe, 'https://llm.bank.example/after');
    await expect(probe).toHaveURL(`${blockPageUrl}#https://llm.bank.example/after`);
    expect(seen('llm.bank.example')).toHaveLength(before);
    test.info().annotations.push({ type: 'window opened late by', description: `${lateBy} ms` });
  });
});

test('conditional fetch, then a restart with the policy server failing: the last good policy is enforced before any answer', async () => {
  const key = await makeKey('compliance-2026');
  const jws = await signPolicy(samplePolicy(), [key]);
  const etag = '"policy-42"';
  let answer: 'normal' | 'held-500' | '500' = 'normal';
  /** Answers the server holds back until the test has seen what it needs. */
  const held: Array<() => void> = [];
  const policyServer = await startPolicyServer(jws);
  servers.push(policyServer);
  policyServer.route((req, url) => {
    if (url.pathname !== '/policy.jws') return undefined;
    // Failing, and no answer at all until the block was seen: enforcement must not wait for it.
    const fail = { status: 500, body: 'down for maintenance' };
    if (answer === 'held-500') return new Promise((resolve) => held.push(() => resolve(fail)));
    if (answer === '500') return fail;
    if (req.headers['if-none-match'] === etag) return { status: 304, body: '', headers: { etag } };
    return { body: jws, type: 'application/jose', headers: { etag } };
  });
  writeManagedConfig({ office: 'HK', policyUrl: policyServer.url, trustedKeys: [key.publicJwk] });
  const first = await launchBrowser({ vendorPort: vendor.port });
  browsers.push(first);
  await waitForManagedConfig(first.context, 'HK');
  await waitForPolicy(first.context, 42);

  await test.step('the second fetch sends If-None-Match, the server answers 304, the policy stays', async () => {
    // Install and startup may both have fetched already: wait for the fetch this refresh makes.
    const lastAt = ((await storedState(first.context)).lastFetch as { at: string }).at;
    const fetchesBefore = policyServer.requests.length;
    await triggerRefresh(first.context);
    const after = await waitInWorker(
      first.context,
      () => chrome.storage.local.get('lastFetch'),
      (v) => (v as { lastFetch: { at: string } }).lastFetch.at !== lastAt,
      'the triggered fetch',
    );
    expect((after as { lastFetch: { ok: boolean; message: string } }).lastFetch).toMatchObject({
      ok: true,
      message: expect.stringContaining('not modified'),
    });
    const conditional = policyServer.requests.slice(fetchesBefore);
    expect(conditional.map((q) => q.headers['if-none-match'])).toEqual([etag]);
    const state = await storedState(first.context);
    expect(state.lastApplied).toMatchObject({ serial: 42, mode: 'enforcing' });
    expect((state.policyRecord as { etag: string }).etag).toBe(etag);
  });

  await first.close();
  browsers.splice(browsers.indexOf(first), 1);
  answer = 'held-500';
  const fetchesBeforeRestart = policyServer.requests.length;

  await test.step('same profile, relaunched: claude.ai is blocked while the policy server has not answered', async () => {
    const again = await launchBrowser({ vendorPort: vendor.port, userDataDir: first.userDataDir });
    browsers.push(again);
    const page = await again.context.newPage();
    await visit(page, 'https://claude.ai/after-restart');
    await expect(page).toHaveURL(`${blockPageUrl}#https://claude.ai/after-restart`);
    expect(seen('claude.ai')).toEqual([]); // and the policy server has answered nothing yet: it holds every answer

    // Then the refresh on start (or on the late managed configuration) fails, and the popup says so.
    answer = '500';
    for (const release of held.splice(0)) release();
    await waitInWorker(
      again.context,
      () => chrome.storage.local.get('lastFetch'),
      (v) => /HTTP 500/.test(JSON.stringify(v)),
      'the failed fetch to be recorded',
      60_000,
    );
    expect(policyServer.requests.length).toBeGreaterThan(fetchesBeforeRestart);
    const popup = await again.context.newPage();
    await popup.goto(popupUrl);
    await expect(popup.getByTestId('policy-serial')).toHaveText('42');
    await expect(popup.getByTestId('policy-status')).toContainText('The last check for an update failed');
    // What failed, for the help desk (not in the employee's words).
    await expect(popup.getByTestId('help-desk-details')).toContainText('HTTP 500');
    await visit(page, 'https://claude.ai/still');
    await expect(page).toHaveURL(`${blockPageUrl}#https://claude.ai/still`);
    expect(seen('claude.ai')).toEqual([]);
  });
});

test('fail-open: with no valid policy and failMode open, the vendor is reachable and the popup says why', async () => {
  const { b } = await setUp({ office: 'HK', policy: samplePolicy(), failMode: 'open', signWith: 'untrusted' });
  await waitInWorker(
    b.context,
    () => chrome.storage.local.get('lastApplied'),
    (v) => JSON.stringify(v).includes('"fail-open"'),
    'fail-open to be applied',
  );
  const state = await storedState(b.context);
  expect((state.lastRefusal as { code: string }).code).toBe('untrusted-key');
  const page = await b.context.newPage();
  await page.goto('https://claude.ai/');
  await expect(page.locator('#vendor')).toHaveText('Vendor page claude.ai/');
  const popup = await b.context.newPage();
  await popup.goto(popupUrl);
  await expect(popup.getByTestId('policy-status')).toContainText('AI tools are not restricted for now');
  await expect(popup.getByTestId('policy-status')).toContainText('The latest policy update failed its check');
  // The refusal itself (the unknown signing key) is in the help-desk details.
  await expect(popup.getByTestId('help-desk-details')).toContainText('mode fail-open');
  await expect(popup.getByTestId('help-desk-details')).toContainText('attacker');
});
