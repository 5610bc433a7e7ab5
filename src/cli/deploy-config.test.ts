import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXTENSION_ID, GECKO_ID } from '../core/config/identity.ts';
import { EXAMPLE_TRUSTED, parsePlist, parseReg, runCli, runInProcess, SUBPROCESS_TIMEOUT } from './test-helpers.ts';

const TRUSTED = JSON.parse(readFileSync(EXAMPLE_TRUSTED, 'utf8')) as unknown[];
// An "&" and a quote-free query make sure XML and .reg escaping are exercised.
const POLICY_URL = 'https://policy.bank.example/ai/policy.jws?tenant=bank&v=2';
const UPDATE_URL = 'https://ext.bank.example/updates.xml';
const INPUT = {
  office: 'HK',
  policyUrl: POLICY_URL,
  trustedKeys: TRUSTED,
  signatureThreshold: 1,
  groups: ['traders', 'research'],
  refreshMinutes: 30,
  auditUrl: 'https://audit.bank.example/events',
  failMode: 'open',
  auditFormat: 'splunk-hec',
  auditUrlDetail: 'origin',
  auditHeaders: { Authorization: 'Splunk 0123-abcd', 'X-Fleet': 'bank' },
  auditCompression: 'none',
  exceptionsUrl: 'https://policy.bank.example/ai/exceptions.jws',
  discovery: false,
};
const FLAGS = [
  '--office',
  'HK',
  '--policy-url',
  POLICY_URL,
  '--keys',
  EXAMPLE_TRUSTED,
  '--groups',
  'traders,research',
  '--threshold',
  '1',
  '--refresh-minutes',
  '30',
  '--audit-url',
  'https://audit.bank.example/events',
  '--fail-mode',
  'open',
  '--update-url',
  UPDATE_URL,
  '--audit-format',
  'splunk-hec',
  '--audit-url-detail',
  'origin',
  '--audit-header',
  'Authorization: Splunk 0123-abcd',
  '--audit-header',
  'X-Fleet:bank',
  '--audit-compression',
  'none',
  '--exceptions-url',
  'https://policy.bank.example/ai/exceptions.jws',
  '--discovery',
  'off',
];
/** The extension's managed schema: how Chrome types a registry value. */
const SCHEMA = JSON.parse(readFileSync(new URL('../../static/managed-schema.json', import.meta.url), 'utf8')) as {
  properties: Record<string, { type: string }>;
};

const outputs: Record<string, string> = {};
beforeAll(async () => {
  const formats = ['chrome-linux', 'chrome-windows-reg', 'chrome-macos-plist', 'firefox', 'google-admin'];
  const runs = await Promise.all(formats.map((f) => runCli(['deploy-config', ...FLAGS, '--format', f])));
  runs.forEach((r, i) => {
    expect(r.code, r.stderr).toBe(0);
    outputs[formats[i]!] = r.stdout;
  });
}, SUBPROCESS_TIMEOUT);

describe('deploy-config formats', { timeout: SUBPROCESS_TIMEOUT }, () => {
  it('chrome-linux: ExtensionSettings force-install and 3rdparty managed keys', () => {
    const doc = JSON.parse(outputs['chrome-linux']!);
    expect(doc.ExtensionSettings).toEqual({
      '*': { installation_mode: 'blocked', blocked_install_message: expect.stringContaining('approved by IT') },
      [EXTENSION_ID]: { installation_mode: 'force_installed', update_url: UPDATE_URL },
    });
    // Preconnects reach a blocked vendor below any extension: the snippet turns them off.
    expect(doc.NetworkPredictionOptions).toBe(2);
    expect(doc['3rdparty'].extensions[EXTENSION_ID]).toEqual(INPUT);
  });

  it('firefox: policies.json with the gecko id', () => {
    const doc = JSON.parse(outputs.firefox!);
    expect(doc.policies.ExtensionSettings[GECKO_ID]).toMatchObject({ installation_mode: 'force_installed' });
    expect(doc.policies.ExtensionSettings[GECKO_ID].install_url).toMatch(/^https:\/\//);
    expect(doc.policies['3rdparty'].Extensions[GECKO_ID]).toEqual(INPUT);
  });

  it('google-admin: every key wrapped as {"Value": …}', () => {
    const doc = JSON.parse(outputs['google-admin']!);
    expect(doc).toEqual(Object.fromEntries(Object.entries(INPUT).map(([k, v]) => [k, { Value: v }])));
  });

  it('chrome-windows-reg: forcelist and typed 3rdparty values for Chrome and Edge', () => {
    const text = outputs['chrome-windows-reg']!;
    expect(text.startsWith('Windows Registry Editor Version 5.00\r\n')).toBe(true);
    const reg = parseReg(text);
    for (const root of [
      'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Google\\Chrome',
      'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Edge',
    ]) {
      const settings = JSON.parse(reg.get(root)!.ExtensionSettings as string);
      expect(settings[EXTENSION_ID]).toEqual({ installation_mode: 'force_installed', update_url: UPDATE_URL });
      expect(settings['*'].installation_mode).toBe('blocked');
      const policy = reg.get(`${root}\\3rdparty\\extensions\\${EXTENSION_ID}\\policy`)!;
      expect(policy).toBeDefined();
      // Decode as Chrome does: dword → integer (boolean where the schema says so), REG_SZ holding
      // JSON → list/dict per the managed schema.
      const decoded = Object.fromEntries(
        Object.entries(policy).map(([k, v]) => [
          k,
          SCHEMA.properties[k]?.type === 'boolean'
            ? v === 1
            : typeof v === 'string' && /^[[{]/.test(v)
              ? JSON.parse(v)
              : v,
        ]),
      );
      expect(decoded).toEqual(INPUT);
    }
  });

  it('chrome-macos-plist: well-formed plist with forcelist and typed managed payload', () => {
    const profile = parsePlist(outputs['chrome-macos-plist']!) as Record<string, unknown>;
    expect(profile.PayloadType).toBe('Configuration');
    const content = profile.PayloadContent as Array<Record<string, unknown>>;
    const chrome = content.find((p) => p.PayloadType === 'com.google.Chrome')!;
    expect((chrome.ExtensionSettings as Record<string, unknown>)[EXTENSION_ID]).toEqual({
      installation_mode: 'force_installed',
      update_url: UPDATE_URL,
    });
    const config = content.find((p) => p.PayloadType === `com.google.Chrome.extensions.${EXTENSION_ID}`)!;
    const managed = Object.fromEntries(Object.entries(config).filter(([k]) => !k.startsWith('Payload')));
    expect(managed).toEqual(INPUT);
    const uuids = [profile.PayloadUUID, ...content.map((p) => p.PayloadUUID)];
    for (const u of uuids) expect(u).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
    expect(new Set(uuids).size).toBe(3);
  });

  it('writes only the keys given: optional ones are left to the extension defaults', async () => {
    const r = await runCli([
      'deploy-config',
      '--office',
      'NY',
      '--policy-url',
      'http://localhost:8080/p.jws',
      '--keys',
      EXAMPLE_TRUSTED,
      '--format',
      'google-admin',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(Object.keys(JSON.parse(r.stdout))).toEqual(['office', 'policyUrl', 'trustedKeys']);
  });
});

describe('deploy-config identity overrides', { timeout: SUBPROCESS_TIMEOUT }, () => {
  it('--extension-id and --gecko-id replace the built-in IDs', async () => {
    const storeId = 'abcdefghijklmnopabcdefghijklmnop';
    const common = ['--office', 'HK', '--policy-url', POLICY_URL, '--keys', EXAMPLE_TRUSTED];
    const chrome = await runInProcess([
      'deploy-config',
      ...common,
      '--format',
      'chrome-linux',
      '--extension-id',
      storeId,
    ]);
    expect(Object.keys(JSON.parse(chrome.stdout).ExtensionSettings)).toEqual(['*', storeId]);
    const firefox = await runInProcess([
      'deploy-config',
      ...common,
      '--format',
      'firefox',
      '--gecko-id',
      'geofence@corp.example',
    ]);
    expect(Object.keys(JSON.parse(firefox.stdout).policies['3rdparty'].Extensions)).toEqual(['geofence@corp.example']);
    const bad = await runInProcess(['deploy-config', ...common, '--format', 'firefox', '--extension-id', 'XYZ']);
    expect(bad.code).toBe(2);
  });
});

describe('deploy-config validation', { timeout: SUBPROCESS_TIMEOUT }, () => {
  it.each([
    [['--policy-url', 'http://policy.bank.example/p.jws'], 1, /must use https/],
    [['--audit-url', 'ftp://audit.bank.example/'], 1, /--audit-url/],
    [['--threshold', '2'], 1, /exceeds the 1 key/],
    [['--fail-mode', 'sometimes'], 2, /--fail-mode must be "closed" or "open"/],
    [['--discovery', 'no'], 2, /--discovery must be "on" or "off"/],
    [['--audit-format', 'xml'], 2, /--audit-format must be/],
    [['--audit-url-detail', 'full'], 2, /--audit-url-detail must be/],
    [['--audit-header', 'Authorization Bearer x'], 2, /--audit-header takes "Name: value"/],
    [['--audit-header', 'Host: evil.example'], 1, /header "Host" cannot be set/],
    [['--audit-compression', 'br'], 2, /--audit-compression must be/],
    [['--exceptions-url', 'http://x.example/e.jws'], 1, /--exceptions-url/],
    [['--format', 'ini'], 2, /--format must be one of/],
    [['--office', ' '], 2, /needs --office/],
  ])('%j → exit %i', async (override, code, message) => {
    const base: Record<string, string> = {
      '--office': 'HK',
      '--policy-url': POLICY_URL,
      '--keys': EXAMPLE_TRUSTED,
      '--format': 'firefox',
    };
    for (let i = 0; i < override.length; i += 2) base[override[i]!] = override[i + 1]!;
    const r = await runInProcess(['deploy-config', ...Object.entries(base).flat()]);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });

  it('refuses a private key in --keys', async () => {
    const r = await runInProcess([
      'deploy-config',
      '--office',
      'HK',
      '--policy-url',
      POLICY_URL,
      '--keys',
      EXAMPLE_TRUSTED.replace('trusted.json', 'demo.private.jwk'),
      '--format',
      'firefox',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/private key/);
  });
});

describe('deploy-config: the location service keys', () => {
  const BASE = ['deploy-config', '--office', 'HK', '--policy-url', POLICY_URL, '--keys', EXAMPLE_TRUSTED];
  it('writes locationUrl, locationKeys and locationMinutes as the extension reads them', async () => {
    const r = await runInProcess([
      ...BASE,
      '--location-url',
      'https://where.bank.example/v1',
      '--location-keys',
      EXAMPLE_TRUSTED,
      '--location-minutes',
      '10',
      '--format',
      'chrome-linux',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const managed = (JSON.parse(r.stdout) as { '3rdparty': { extensions: Record<string, Record<string, unknown>> } })[
      '3rdparty'
    ].extensions[EXTENSION_ID]!;
    expect(managed).toMatchObject({
      locationUrl: 'https://where.bank.example/v1',
      locationKeys: TRUSTED,
      locationMinutes: 10,
    });
    for (const key of ['locationUrl', 'locationKeys', 'locationMinutes'])
      expect(SCHEMA.properties[key], key).toBeDefined();
  });

  it('refuses one without the other, plain http, and a private key', async () => {
    const alone = await runInProcess([
      ...BASE,
      '--location-url',
      'https://where.bank.example/v1',
      '--format',
      'firefox',
    ]);
    expect([alone.code, alone.stderr]).toEqual([
      2,
      expect.stringMatching(/--location-url and --location-keys go together/),
    ]);
    const http = await runInProcess([
      ...BASE,
      '--location-url',
      'http://where.bank.example/v1',
      '--location-keys',
      EXAMPLE_TRUSTED,
      '--format',
      'firefox',
    ]);
    expect([http.code, http.stderr]).toEqual([1, expect.stringMatching(/--location-url: .*must use https/)]);
    const minutes = await runInProcess([...BASE, '--location-minutes', '5', '--format', 'firefox']);
    expect(minutes.code).toBe(2);
  });
});
