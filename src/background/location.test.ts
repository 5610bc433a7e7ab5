/**
 * The worker's location checks against the shared fake browser and fakes of the update queue and the network:
 * when a failed check keeps or drops the location, what a refusal records, and that the rules are
 * applied again exactly when the location in force changes. Real Chromium proves the rest
 * (test/e2e/location.spec.ts).
 */
import { CompactSign, exportJWK, generateKeyPair, type JWK } from 'jose';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ManagedConfig } from '../core/config/managed-config.ts';
import type { Runtime } from './runtime.ts';
import { fake, resetFakeBrowser } from '../../test/fakes/browser.ts';

const audit: Array<{ type: string; detail?: Record<string, unknown> }> = [];
let applies = 0;
let runtime: Runtime;

vi.mock('../platform/browser.ts', async () => ({
  browser: (await import('../../test/fakes/browser.ts')).fake.browser,
}));
vi.mock('./audit.ts', () => ({
  recordAudit: async (e: { type: string; detail?: Record<string, unknown> }) => void audit.push(e),
  setAuditLocationSource: () => undefined,
}));
// The update queue: the task runs against the fake runtime; true means "apply the rules again".
vi.mock('./enforcement.ts', () => ({
  runtimeIfReady: () => runtime,
  updateRuntime: async (task: (r: Runtime) => Promise<boolean>) => {
    if (await task(runtime)) applies += 1;
  },
}));

let key: { kid: string; privateKey: CryptoKey; publicJwk: JWK & { kid: string } };
beforeAll(async () => {
  const pair = await generateKeyPair('EdDSA', { extractable: true });
  key = {
    kid: 'location-1',
    privateKey: pair.privateKey,
    publicJwk: { ...(await exportJWK(pair.publicKey)), kid: 'location-1' },
  };
});

const URL_ = 'https://where.bank.example/v1';
type Answer = { country: string; zone?: string; replay?: boolean } | { status: number } | Error;
let answers: Answer[] = [];
let lastNonce = '';

vi.stubGlobal('fetch', async (url: string) => {
  const nonce = new URL(url).searchParams.get('nonce')!;
  const next = answers.shift();
  if (!next) throw new Error('no answer scripted');
  if (next instanceof Error) throw next;
  if ('status' in next) return new Response('{}', { status: next.status });
  const payload = {
    type: 'ai-geofence-location',
    version: 1,
    nonce: next.replay ? lastNonce : nonce,
    issued: new Date(Date.now() - 1000).toISOString(),
    expires: new Date(Date.now() + 30 * 60_000).toISOString(),
    country: next.country,
    ...(next.zone ? { zone: next.zone } : {}),
  };
  lastNonce = nonce;
  const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'ai-geofence-location+jws' })
    .sign(key.privateKey);
  return new Response(jws, { status: 200 });
});

beforeEach(() => {
  resetFakeBrowser();
  audit.length = 0;
  applies = 0;
  answers = [];
  const config = {
    office: 'NY',
    locationUrl: URL_,
    locationKeys: [key.publicJwk],
    locationMinutes: 15,
  } as unknown as ManagedConfig;
  runtime = { config, state: { location: null, locationFetch: null } } as unknown as Runtime;
});

const where = () =>
  runtime.state.location ? `${runtime.state.location.country}/${runtime.state.location.zone ?? ''}` : null;

async function load() {
  vi.resetModules();
  return import('./location.ts');
}

describe('location checks', () => {
  it('stores a verified location, applies the rules when it changes and not when it stays', async () => {
    const l = await load();
    answers = [{ country: 'HK', zone: 'HK-OFFICE' }, { country: 'HK', zone: 'HK-OFFICE' }, { country: 'US' }];
    await l.refreshLocation('start');
    expect([where(), applies]).toEqual(['HK/HK-OFFICE', 1]);
    const since = runtime.state.location!.since;
    await l.refreshLocation('timer');
    expect([where(), applies, runtime.state.location!.since]).toEqual(['HK/HK-OFFICE', 1, since]);
    await l.refreshLocation('timer');
    expect([where(), applies]).toEqual(['US/', 2]);
    expect(audit.filter((e) => e.type === 'location-changed').map((e) => e.detail)).toEqual([
      { from: null, to: { country: 'HK', zone: 'HK-OFFICE' } },
      { from: { country: 'HK', zone: 'HK-OFFICE' }, to: { country: 'US' } },
    ]);
    expect(fake.alarms.get(l.LOCATION_ALARM)).toEqual({ delayInMinutes: 15, periodInMinutes: 15 });
    expect(fake.alarms.get(l.LOCATION_EXPIRY_ALARM)?.when).toBe(Date.parse(runtime.state.location!.expires) + 500);
    expect(fake.local.locationFetch).toMatchObject({
      ok: true,
      message: 'verified: US',
      ms: expect.any(Number),
      totalMs: expect.any(Number),
    });
  });

  it('keeps the location through a failed timer check, but drops it when a check on waking fails', async () => {
    const l = await load();
    answers = [{ country: 'US' }, { status: 503 }, new TypeError('Failed to fetch')];
    await l.refreshLocation('start');
    await l.refreshLocation('timer');
    expect([where(), applies]).toEqual(['US/', 1]);
    expect(runtime.state.locationFetch).toMatchObject({ ok: false, message: 'the location service answered HTTP 503' });
    await l.refreshLocation('wake');
    expect([where(), applies]).toEqual([null, 2]);
    expect(runtime.state.locationFetch!.message).toMatch(/cannot reach the location service/);
  });

  it('drops the location on a refused (replayed) answer, and records the refusal', async () => {
    const l = await load();
    answers = [{ country: 'US' }, { country: 'US', replay: true }];
    await l.refreshLocation('start');
    await l.refreshLocation('timer');
    expect([where(), applies]).toEqual([null, 2]);
    expect(audit.find((e) => e.type === 'location-refused')?.detail).toMatchObject({ code: 'wrong-nonce' });
  });

  it('asks nothing and forgets the location once IT removes locationUrl', async () => {
    const l = await load();
    answers = [{ country: 'HK' }];
    await l.refreshLocation('start');
    runtime.config = { ...runtime.config!, locationUrl: undefined };
    await l.refreshLocation('config');
    expect([where(), applies, runtime.state.locationFetch, fake.alarms.has(l.LOCATION_ALARM)]).toEqual([
      null,
      2,
      null,
      false,
    ]);
  });

  it('drops a lapsed location when its expiry alarm fires, and only then', async () => {
    const l = await load();
    answers = [{ country: 'HK' }];
    await l.refreshLocation('start');
    await l.expireLocation();
    expect([where(), applies]).toEqual(['HK/', 1]);
    runtime.state.location = { ...runtime.state.location!, expires: new Date(Date.now() - 1).toISOString() };
    await l.expireLocation();
    expect([where(), applies]).toEqual([null, 2]);
    expect(audit.at(-1)).toMatchObject({ type: 'location-changed', detail: { to: null, reason: 'expired' } });
  });

  it('runs a trigger that arrives during a check once after it', async () => {
    const l = await load();
    answers = [{ country: 'HK' }, { country: 'US' }];
    const first = l.refreshLocation('start');
    void l.refreshLocation('config');
    await first;
    await vi.waitFor(() => expect(where()).toBe('US/'));
  });
});
