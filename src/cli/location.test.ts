import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, makeTempDir, runInProcess } from './test-helpers.ts';

const AT = '2026-12-01T00:00:00Z';
const tmp = makeTempDir('location');
afterAll(() => tmp.cleanup());
const NETWORKS = join(REPO_ROOT, 'examples', 'networks.json');

function policyFile(extra: Record<string, unknown> = {}, rules?: unknown[]): string {
  const file = join(tmp.dir, `policy-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      type: 'ai-geofence-policy',
      version: 1,
      serial: 3,
      issued: '2026-11-20T00:00:00Z',
      expires: '2026-12-20T00:00:00Z',
      offices: { HK: { name: 'Hong Kong', jurisdiction: 'HK' }, NY: { name: 'New York', jurisdiction: 'US' } },
      rules: rules ?? [
        {
          id: 'USED-FROM-HK',
          tools: ['claude'],
          locations: ['HK', 'CN', 'MO'],
          action: 'block',
          notice: { title: 'Do not use Claude from Greater China' },
        },
        {
          id: 'OFF-NETWORK-CHATGPT',
          tools: ['chatgpt'],
          exceptLocations: ['NY-OFFICE', 'HK-OFFICE'],
          action: 'warn',
          notice: { title: 'Only from an office network' },
        },
      ],
      ...extra,
    }),
  );
  return file;
}

async function explainJson(policy: string, office: string, ...extra: string[]) {
  const r = await runInProcess([
    'explain',
    '--policy',
    policy,
    '--office',
    office,
    '--at',
    AT,
    '--json',
    ...extra,
    'https://claude.ai/',
    'https://chatgpt.com/',
  ]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as Array<{ action: string; rule: string | null }>).map((x) => `${x.action}:${x.rule}`);
}

describe('explain --location', () => {
  it('asks "what if this employee were elsewhere"; the default is at the office', async () => {
    const p = policyFile();
    expect(await explainJson(p, 'HK')).toEqual(['block:USED-FROM-HK', 'warn:OFF-NETWORK-CHATGPT']);
    expect(await explainJson(p, 'HK', '--location', 'US')).toEqual(['allow:null', 'warn:OFF-NETWORK-CHATGPT']);
    expect(await explainJson(p, 'NY', '--location', 'HK/HK-OFFICE')).toEqual(['block:USED-FROM-HK', 'allow:null']);
    expect(await explainJson(p, 'NY')).toEqual(['allow:null', 'warn:OFF-NETWORK-CHATGPT']);
    expect(await explainJson(p, 'NY', '--location', 'unverified')).toEqual(['allow:null', 'warn:OFF-NETWORK-CHATGPT']);
    expect(await explainJson(policyFile({ unknownLocation: 'closed' }), 'NY', '--location', 'unverified')).toEqual([
      'block:USED-FROM-HK',
      'warn:OFF-NETWORK-CHATGPT',
    ]);
  });

  it('says where the browser was assumed to be, and refuses a location that is no country', async () => {
    const p = policyFile();
    const text = await runInProcess([
      'explain',
      '--policy',
      p,
      '--office',
      'NY',
      '--location',
      'HK',
      '--at',
      AT,
      'https://claude.ai/',
    ]);
    expect(text.stdout).toMatch(/office NY \(New York\) · located in HK/);
    expect(text.stdout).toMatch(/claude\.ai\/ → block \(claude, USED-FROM-HK\)/);
    const bad = await runInProcess([
      'explain',
      '--policy',
      p,
      '--office',
      'NY',
      '--location',
      'UK',
      'https://claude.ai/',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"UK" is not an ISO 3166-1 alpha-2/);
  });

  it('--matrix adds a row per country the rules name (and unverified when closed)', async () => {
    const r = await runInProcess([
      'explain',
      '--policy',
      policyFile({ unknownLocation: 'closed' }),
      '--matrix',
      '--at',
      AT,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout) as {
      locations: string[];
      rows: Array<{ office: string; location: string | null; cells: Record<string, { action: string }> }>;
    };
    expect(m.locations).toEqual(['CN', 'HK', 'MO', 'unverified']);
    const cell = (office: string, location: string | null) =>
      m.rows.find((x) => x.office === office && x.location === location)!.cells.claude!.action;
    expect([cell('NY', null), cell('NY', 'HK'), cell('HK', null), cell('NY', 'unverified')]).toEqual([
      'allow',
      'block',
      'block',
      'block',
    ]);
    const zones = await runInProcess([
      'explain',
      '--policy',
      policyFile(),
      '--matrix',
      '--at',
      AT,
      '--locations',
      'US/NY-OFFICE',
    ]);
    expect(zones.stdout).toMatch(/^office\s+group\s+location\s+/m);
    expect(zones.stdout).toMatch(/^NY\s+\(none\)\s+US\/NY-OFFICE\s+.*allow/m);
  });
});

describe('lint --networks', () => {
  it('names a zone the networks table does not define, with path and rule id', async () => {
    const p = policyFile({}, [
      { id: 'OFF-NETWORK', tools: ['chatgpt'], exceptLocations: ['NY-OFICE'], action: 'warn' },
    ]);
    expect((await runInProcess(['lint', p, '--at', AT])).code).toBe(0);
    const r = await runInProcess(['lint', p, '--at', AT, '--networks', NETWORKS]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /error \$\.rules\[0\]\.exceptLocations\[0\] \(rule "OFF-NETWORK"\): unknown zone "NY-OFICE"/,
    );
  });
});
