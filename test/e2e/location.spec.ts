/**
 * A real geofence, end to end: the reference location service on loopback tells the browser where
 * it is, and rules with `locations` follow the browser, not only the office. Forged and replayed
 * answers are refused; a service that is down leaves the policy's `unknownLocation` in charge.
 */
import { expect, test, type BrowserContext } from '@playwright/test';
import { CompactSign, exportJWK } from 'jose';
import { importLocationSigner } from '../../src/core/location/location-answer.ts';
import { parseNetworks } from '../../src/core/location/networks.ts';
import { startLocationService, type LocationService } from '../../scripts/location-server.ts';
import {
  blockPageUrl,
  launchBrowser,
  makeKey,
  popupUrl,
  samplePolicy,
  signPolicy,
  startPolicyServer,
  startServer,
  trackForCleanup,
  vendorPage,
  waitForManagedConfig,
  waitForPolicy,
  waitInWorker,
  writeManagedConfig,
  type TestKey,
  type TestServer,
} from './harness.ts';

test.describe.configure({ mode: 'serial' });

const tracked = trackForCleanup();
const services: LocationService[] = [];
test.afterEach(async () => {
  for (const s of services.splice(0)) await s.close();
});

/** The seed case, as a place: Claude may not be used from Greater China, whoever the employee is. */
function locationPolicy(unknownLocation?: 'office' | 'closed') {
  return samplePolicy({
    ...(unknownLocation ? { unknownLocation } : {}),
    rules: [
      {
        id: 'USED-FROM-GREATER-CHINA',
        tools: ['claude'],
        locations: ['HK', 'CN', 'MO'],
        action: 'block',
        notice: {
          title: 'Do not use Claude here',
          reason: "The vendor's licence terms restrict use from Greater China.",
          reference: 'Compliance memo CT-2026-014',
          alternatives: ['firm-llm'],
        },
      },
    ],
  });
}

const table = (country: string, zone?: string) =>
  parseNetworks([
    { cidr: '127.0.0.0/8', country, ...(zone ? { zone } : {}) },
    { cidr: '::1/128', country, ...(zone ? { zone } : {}) },
  ]);

async function locationKey(kid = 'location-1'): Promise<{ key: TestKey; privateJwk: Record<string, unknown> }> {
  const key = await makeKey(kid);
  return { key, privateJwk: { ...(await exportJWK(key.privateKey)), kid } };
}

interface SetUp {
  office: string;
  unknownLocation?: 'office' | 'closed';
  /** The managed locationUrl, with the keys that may sign for it. */
  locationUrl: string;
  locationKeys: TestKey[];
}

async function setUp(opts: SetUp) {
  const vendor = await startServer(vendorPage);
  tracked.servers.push(vendor);
  const trusted = await makeKey('compliance-2026');
  const policy = await startPolicyServer(await signPolicy(locationPolicy(opts.unknownLocation), [trusted]));
  tracked.servers.push(policy);
  writeManagedConfig({
    office: opts.office,
    policyUrl: policy.url,
    trustedKeys: [trusted.publicJwk],
    locationUrl: opts.locationUrl,
    locationKeys: opts.locationKeys.map((k) => k.publicJwk),
  });
  const browser = await launchBrowser({ vendorPort: vendor.port });
  tracked.browsers.push(browser);
  await waitForManagedConfig(browser.context, opts.office);
  await waitForPolicy(browser.context, 42);
  return { vendor, context: browser.context };
}

async function startService(country: string, zone?: string) {
  const { key, privateJwk } = await locationKey();
  const service = await startLocationService({
    signer: await importLocationSigner(privateJwk),
    table: table(country, zone),
    port: 0,
    log: false,
  });
  services.push(service);
  return { service, key, url: `${service.url}where` };
}

type Checked = {
  location: { country: string; zone?: string; since: string } | null;
  fetch: { at: string; ok: boolean; message: string } | null;
  appliedAt: string | null;
};

/**
 * Wait until a location check finished (`ok` says which outcome) and, when it established a
 * location, the rules were applied since the browser has been there.
 */
async function waitForLocationCheck(
  context: BrowserContext,
  ok: (c: Checked) => boolean,
  what: string,
): Promise<Checked> {
  return waitInWorker(
    context,
    async () => {
      const s = (await chrome.storage.local.get(['location', 'locationFetch', 'lastApplied'])) as Record<
        string,
        { at?: string } | null | undefined
      >;
      return {
        location: (s.location as Checked['location']) ?? null,
        fetch: (s.locationFetch as Checked['fetch']) ?? null,
        appliedAt: s.lastApplied?.at ?? null,
      };
    },
    (c) => !!c.fetch && !!c.appliedAt && (!c.location || c.appliedAt >= c.location.since) && ok(c),
    what,
  );
}

/** Ask the worker to establish its location now, as its alarm would, and wait for the outcome. */
async function checkLocationNow(
  context: BrowserContext,
  after: string,
  ok: (c: Checked) => boolean,
  what: string,
): Promise<Checked> {
  await waitInWorker(
    context,
    () => chrome.alarms.create('location-refresh', { when: Date.now() }).then(() => true),
    (v) => v,
    'location alarm',
  );
  return waitForLocationCheck(context, (c) => c.fetch!.at > after && ok(c), what);
}

/** claude.ai ends on the block page, no request reached the vendor, and page and popup say why. */
async function expectBlockedSayingWhy(
  context: BrowserContext,
  vendor: TestServer,
  says: { notice: string; popup: string },
): Promise<void> {
  const page = await context.newPage();
  await page.goto('https://claude.ai/').catch(() => undefined);
  await expect(page).toHaveURL(`${blockPageUrl}#https://claude.ai/`);
  await expect(page.getByTestId('notice-location')).toHaveText(says.notice);
  expect(vendor.requestsFor('claude.ai', 'anthropic.com')).toEqual([]);
  const popup = await context.newPage();
  await popup.goto(popupUrl);
  await expect(popup.getByTestId('location')).toHaveText(says.popup);
}

test('a New York employee whose location service says Hong Kong is blocked on Claude, and allowed once in the US', async () => {
  const svc = await startService('HK', 'HK-OFFICE');
  const { vendor, context } = await setUp({ office: 'NY', locationUrl: svc.url, locationKeys: [svc.key] });
  const first = await waitForLocationCheck(context, (c) => c.location?.country === 'HK', 'location HK verified');
  expect(first.location).toMatchObject({ country: 'HK', zone: 'HK-OFFICE' });

  const page = await context.newPage();
  await page.goto('https://claude.ai/new').catch(() => undefined);
  await expect(page).toHaveURL(`${blockPageUrl}#https://claude.ai/new`);
  await expect(page.getByTestId('notice-title')).toHaveText('Do not use Claude here');
  await expect(page.getByTestId('notice-location')).toHaveText(
    'This applies because this browser is being used from Hong Kong (network HK-OFFICE).',
  );
  expect(vendor.requestsFor('claude.ai', 'anthropic.com')).toEqual([]);

  const popup = await context.newPage();
  await popup.goto(popupUrl);
  await expect(popup.getByTestId('office-name')).toContainText('New York');
  await expect(popup.getByTestId('location')).toContainText(
    "Hong Kong (network HK-OFFICE) · verified by your company's location service · since",
  );

  // The same laptop, now in New York: the open block page goes back to the site at once.
  svc.service.setNetworks(table('US', 'NY-OFFICE'));
  await checkLocationNow(context, first.fetch!.at, (c) => c.location?.country === 'US', 'location US verified');
  await expect(page).toHaveURL('https://claude.ai/new');
  expect(vendor.requestsFor('claude.ai').length).toBeGreaterThan(0);
  await popup.reload();
  await expect(popup.getByTestId('location')).toContainText('United States (network NY-OFFICE)');
  // Audit events carry the place, never the address.
  type Ev = { type: string; location?: { country: string; zone?: string } };
  const events = await waitInWorker(
    context,
    async () =>
      ((await chrome.storage.local.get('auditQueue')) as { auditQueue?: { events: Ev[] } }).auditQueue?.events ?? [],
    (list) => list.some((e) => e.type === 'location-changed' && e.location?.country === 'US'),
    'location-changed event located in the US',
  );
  expect(events.find((e) => e.type === 'block')?.location).toEqual({ country: 'HK', zone: 'HK-OFFICE' });
  expect(JSON.stringify(events)).not.toMatch(/127\.0\.0\.1/);
});

test('a forged answer is refused: the office decides (a Hong Kong employee stays blocked though it says US)', async () => {
  const genuine = await locationKey();
  const forger = await locationKey(); // same kid, another key
  const forge = async (url: URL) => {
    const payload = {
      type: 'ai-geofence-location',
      version: 1,
      nonce: url.searchParams.get('nonce'),
      issued: new Date(Date.now() - 1000).toISOString(),
      expires: new Date(Date.now() + 30 * 60_000).toISOString(),
      country: 'US',
    };
    const body = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'EdDSA', kid: 'location-1', typ: 'ai-geofence-location+jws' })
      .sign(forger.key.privateKey);
    return { body, type: 'application/jose' };
  };
  const forgingServer: TestServer = await startServer((_req, url) =>
    url.pathname === '/where' ? forge(url) : undefined,
  );
  tracked.servers.push(forgingServer);
  const { vendor, context } = await setUp({
    office: 'HK',
    locationUrl: `http://127.0.0.1:${forgingServer.port}/where`,
    locationKeys: [genuine.key],
  });
  const checked = await waitForLocationCheck(context, (c) => c.fetch!.ok === false, 'the forged answer refused');
  expect(checked.location).toBeNull();
  expect(checked.fetch!.message).toMatch(/refused: .*does not verify/);

  await expectBlockedSayingWhy(context, vendor, {
    notice:
      "This applies because this browser's location could not be verified, so your office's location (Hong Kong) is assumed.",
    popup: "Not verified — your office's location (Hong Kong) is assumed",
  });
  await waitInWorker(
    context,
    async () => JSON.stringify(await chrome.storage.local.get(null)),
    (s) => s.includes('location-refused'),
    'location-refused audit event',
  );
});

test('a replayed answer is refused; with unknownLocation "closed" a New York employee is blocked', async () => {
  const svc = await startService('US', 'NY-OFFICE');
  // A genuine answer saying New York, recorded once and played back to every later request.
  const recorded = await (await fetch(`${svc.service.url}?nonce=${'r'.repeat(22)}`)).text();
  const replayer = await startServer((_req, url) =>
    url.pathname === '/where' ? { body: recorded, type: 'application/jose' } : undefined,
  );
  tracked.servers.push(replayer);
  const { vendor, context } = await setUp({
    office: 'NY',
    unknownLocation: 'closed',
    locationUrl: `http://127.0.0.1:${replayer.port}/where`,
    locationKeys: [svc.key],
  });
  const checked = await waitForLocationCheck(context, (c) => c.fetch!.ok === false, 'the replayed answer refused');
  expect(checked.fetch!.message).toMatch(/wrong nonce/);
  await expectBlockedSayingWhy(context, vendor, {
    notice: "This applies because this browser's location could not be verified.",
    popup: 'Not verified — the rules for restricted places apply until your location is verified',
  });
});

test('the service being down follows unknownLocation: the office (New York) allows', async () => {
  const svc = await startService('HK');
  svc.service.setFailure(503);
  const { vendor, context } = await setUp({ office: 'NY', locationUrl: svc.url, locationKeys: [svc.key] });
  const checked = await waitForLocationCheck(context, (c) => c.fetch!.ok === false, 'the failed location check');
  expect(checked.fetch!.message).toMatch(/HTTP 503/);
  const page = await context.newPage();
  await page.goto('https://claude.ai/');
  await expect(page).toHaveURL('https://claude.ai/');
  expect(vendor.requestsFor('claude.ai').length).toBeGreaterThan(0);
  // Back up, and the service places this browser in Hong Kong: blocked at once.
  svc.service.setFailure(null);
  await checkLocationNow(context, checked.fetch!.at, (c) => c.location?.country === 'HK', 'location HK verified');
  await expect(page).toHaveURL(`${blockPageUrl}#https://claude.ai/`);
});
