/**
 * `deploy-config` beyond the managed keys: hardening in every format, extension control, the
 * browser's own AI following the policy, the office checked against the policy, Edge on macOS,
 * per-user delivery, ADMX/ADML, --out. Every output is parsed, never matched as text.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sax from 'sax';
import { afterAll, describe, expect, it } from 'vitest';
import { EXTENSION_ID, GECKO_ID } from '../core/config/identity.ts';
import { BLOCKED_INSTALL_MESSAGE, catalogueExtensionIds } from './browser-policies.ts';
import {
  EXAMPLE_JWS,
  EXAMPLE_POLICY,
  EXAMPLE_TRUSTED,
  makeTempDir,
  parsePlist,
  parseReg,
  runInProcess,
} from './test-helpers.ts';

const BASE = [
  'deploy-config',
  '--office',
  'NY',
  '--policy-url',
  'https://policy.bank.example/p.jws',
  '--keys',
  EXAMPLE_TRUSTED,
];
const tmp = makeTempDir('deploy-hardening');
afterAll(() => tmp.cleanup());

async function ok(...args: string[]) {
  const r = await runInProcess([...BASE, ...args]);
  expect(r.code, r.stderr).toBe(0);
  return r;
}
const json = async (...args: string[]) => JSON.parse((await ok(...args)).stdout) as Record<string, any>;
const plistPayloads = async (...args: string[]) => {
  const profile = parsePlist((await ok(...args)).stdout) as {
    PayloadScope: string;
    PayloadContent: Array<Record<string, any>>;
  };
  return { profile, byType: new Map(profile.PayloadContent.map((p) => [p.PayloadType as string, p])) };
};

const CHROME_HARDENED = {
  IncognitoModeAvailability: 1,
  BrowserGuestModeEnabled: false,
  BrowserAddPersonEnabled: false,
  NetworkPredictionOptions: 2,
};
const EDGE_HARDENED = {
  InPrivateModeAvailability: 1,
  BrowserGuestModeEnabled: false,
  BrowserAddProfileEnabled: false,
  NetworkPredictionOptions: 2,
};
const GEMINI_OFF = {
  GeminiSettings: 1,
  GenAILocalFoundationalModelSettings: 1,
  BuiltInAIAPIsEnabled: false,
  AIModeSettings: 1,
  DevToolsGenAiSettings: 2,
};
const COPILOT_OFF = { HubsSidebarEnabled: false, CopilotPageContext: false, EdgeEntraCopilotPageContext: false };

/** Registry values as Chrome reads them: dword → number, JSON REG_SZ → value. */
function regPolicies(text: string, root: string): Record<string, unknown> {
  const values = parseReg(text).get(root);
  expect(values, root).toBeDefined();
  return Object.fromEntries(
    Object.entries(values!).map(([k, v]) => [k, typeof v === 'string' && /^[[{]/.test(v) ? JSON.parse(v) : v]),
  );
}

describe('hardened by default, in every format', () => {
  it('chrome-linux: incognito, guest, new profiles and preconnects off', async () => {
    expect(await json('--format', 'chrome-linux')).toMatchObject(CHROME_HARDENED);
  });

  it('chrome-linux --browser edge: the Edge names (InPrivate, add profile)', async () => {
    const doc = await json('--format', 'chrome-linux', '--browser', 'edge');
    expect(doc).toMatchObject(EDGE_HARDENED);
    expect(doc).not.toHaveProperty('IncognitoModeAvailability');
  });

  it('chrome-windows-reg: each browser with its own names, booleans as dwords', async () => {
    const text = (await ok('--format', 'chrome-windows-reg')).stdout;
    expect(regPolicies(text, 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Google\\Chrome')).toMatchObject({
      ...CHROME_HARDENED,
      BrowserGuestModeEnabled: 0,
      BrowserAddPersonEnabled: 0,
    });
    expect(regPolicies(text, 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Edge')).toMatchObject({
      ...EDGE_HARDENED,
      BrowserGuestModeEnabled: 0,
      BrowserAddProfileEnabled: 0,
    });
  });

  it('chrome-macos-plist and edge-macos-plist: the browser payload and the extension payload', async () => {
    const chrome = await plistPayloads('--format', 'chrome-macos-plist');
    expect(chrome.byType.get('com.google.Chrome')).toMatchObject(CHROME_HARDENED);
    expect(chrome.byType.get(`com.google.Chrome.extensions.${EXTENSION_ID}`)).toMatchObject({ office: 'NY' });
    const edge = await plistPayloads('--format', 'edge-macos-plist');
    expect([...edge.byType.keys()]).toEqual(['com.microsoft.Edge', `com.microsoft.Edge.extensions.${EXTENSION_ID}`]);
    expect(edge.byType.get('com.microsoft.Edge')).toMatchObject({
      ...EDGE_HARDENED,
      ExtensionSettings: { [EXTENSION_ID]: { installation_mode: 'force_installed' } },
    });
    expect(edge.byType.get(`com.microsoft.Edge.extensions.${EXTENSION_ID}`)).toMatchObject({
      office: 'NY',
      policyUrl: 'https://policy.bank.example/p.jws',
    });
    // Both profiles can be installed side by side: different identifiers.
    expect(edge.profile).not.toMatchObject({
      PayloadIdentifier: (chrome.profile as { PayloadIdentifier?: string }).PayloadIdentifier,
    });
    const same = await plistPayloads('--format', 'chrome-macos-plist', '--browser', 'edge');
    expect(same.profile).toEqual(edge.profile);
  });

  it('firefox: the extension runs in private windows; network prediction off', async () => {
    const doc = (await json('--format', 'firefox')).policies;
    expect(doc.ExtensionSettings[GECKO_ID]).toMatchObject({
      installation_mode: 'force_installed',
      private_browsing: true,
    });
    expect(doc.NetworkPrediction).toBe(false);
  });

  it('google-admin: the box takes extension keys only, so the browser settings are named on stderr', async () => {
    const r = await ok('--format', 'google-admin');
    expect(Object.keys(JSON.parse(r.stdout))).toEqual(['office', 'policyUrl', 'trustedKeys']);
    expect(r.stderr).toMatch(/Incognito mode.*guest mode.*Add profiles/is);
    const flags = await ok(
      '--format',
      'google-admin',
      '--allow-incognito',
      '--allow-extension',
      'abcdefghijklmnopabcdefghijklmnop',
    );
    expect(flags.stderr).toContain(
      'note: --allow-extension, --allow-incognito shape browser policies, which this box does not hold',
    );
  });

  it('each --allow-… opts out of exactly its own line', async () => {
    const all = await json(
      '--format',
      'chrome-linux',
      '--allow-incognito',
      '--allow-guest',
      '--allow-new-profiles',
      '--allow-network-prediction',
    );
    for (const k of Object.keys(CHROME_HARDENED)) expect(all).not.toHaveProperty(k);
    const one = await json('--format', 'chrome-linux', '--allow-incognito');
    expect(one).not.toHaveProperty('IncognitoModeAvailability');
    expect(one).toMatchObject({
      BrowserGuestModeEnabled: false,
      BrowserAddPersonEnabled: false,
      NetworkPredictionOptions: 2,
    });
  });
});

describe('extension control', () => {
  const OTHER = 'abcdefghijklmnopabcdefghijklmnop';

  it('allowlist (default): every extension blocked but ours and the approved ones, per browser', async () => {
    const chrome = (
      await json('--format', 'chrome-linux', '--allow-extension', OTHER, '--allow-extension', 'helper@bank.example')
    ).ExtensionSettings;
    expect(chrome).toEqual({
      '*': { installation_mode: 'blocked', blocked_install_message: BLOCKED_INSTALL_MESSAGE },
      [EXTENSION_ID]: { installation_mode: 'force_installed', update_url: expect.any(String) },
      [OTHER]: { installation_mode: 'allowed' },
    });
    const firefox = (
      await json('--format', 'firefox', '--allow-extension', OTHER, '--allow-extension', 'helper@bank.example')
    ).policies.ExtensionSettings;
    expect(Object.keys(firefox)).toEqual(['*', GECKO_ID, 'helper@bank.example']);
  });

  it('blocklist: our extension force-installed, the listed AI extensions blocked, nothing else touched', async () => {
    const settings = (
      await json('--format', 'chrome-linux', '--extension-control', 'blocklist', '--block-extension', OTHER)
    ).ExtensionSettings;
    expect(settings).not.toHaveProperty('*');
    expect(settings[OTHER]).toEqual({ installation_mode: 'blocked', blocked_install_message: BLOCKED_INSTALL_MESSAGE });
    expect(settings[EXTENSION_ID].installation_mode).toBe('force_installed');
  });

  it('a blocklist that would block nothing for the target browser is refused, not printed', async () => {
    const ids = catalogueExtensionIds();
    const firefoxIds = ids.filter((id) => !/^[a-p]{32}$/.test(id));
    if (firefoxIds.length === 0) {
      const r = await runInProcess([
        ...BASE,
        '--format',
        'firefox',
        '--extension-control',
        'blocklist',
        '--block-extension',
        OTHER,
      ]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/would block no extension in Firefox/);
    } else {
      const r = await runInProcess([...BASE, '--format', 'firefox', '--extension-control', 'blocklist']);
      expect(r.code, r.stderr).toBe(0);
      expect(Object.keys(JSON.parse(r.stdout).policies.ExtensionSettings)).toEqual(expect.arrayContaining(firefoxIds));
    }
  });

  it('takes AI extension IDs from catalogue entries, as one list or per browser', () => {
    const catalogue = {
      a: { name: 'A', extensionIds: ['fcoeoabgfenejglbffodgkkbkcdhcgfn', 'ai@vendor.example', 'not an id'] },
      b: {
        name: 'B',
        extensionIds: {
          chrome: ['bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'],
          firefox: ['{12345678-1234-1234-1234-123456789abc}'],
        },
      },
      c: { name: 'C' },
    };
    expect(catalogueExtensionIds(catalogue)).toEqual([
      'ai@vendor.example',
      'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
      'fcoeoabgfenejglbffodgkkbkcdhcgfn',
      '{12345678-1234-1234-1234-123456789abc}',
    ]);
  });

  it.each([
    [['--allow-extension', 'not-an-id'], /neither a Chrome\/Edge ID/],
    [
      ['--extension-control', 'blocklist', '--allow-extension', OTHER],
      /--allow-extension is for --extension-control allowlist/,
    ],
    [['--block-extension', OTHER], /--block-extension is for --extension-control blocklist/],
    [['--extension-control', 'none'], /--extension-control must be/],
  ])('%j is a usage error', async (flags, message) => {
    const r = await runInProcess([...BASE, '--format', 'chrome-linux', ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('--policy: the office is checked, the browser AI follows the office', () => {
  it.each([
    ['hk', /--office "hk" is not an office of the policy \(valid codes: HK, NY, LDN, SG, TYO\); did you mean HK\?/],
    ['HONGKONG', /--office "HONGKONG" is not an office.*did you mean HK\?/],
    ['PAR', /--office "PAR" is not an office of the policy \(valid codes: HK, NY, LDN, SG, TYO\)$/m],
  ])('refuses %s, listing the valid codes', async (office, message) => {
    const r = await runInProcess([
      'deploy-config',
      '--office',
      office,
      '--policy-url',
      'https://p.example/p.jws',
      '--keys',
      EXAMPLE_TRUSTED,
      '--format',
      'chrome-linux',
      '--policy',
      EXAMPLE_JWS,
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });

  it('names a group no rule of the policy names, with the likely one', async () => {
    const policy = JSON.parse(readFileSync(EXAMPLE_POLICY, 'utf8'));
    policy.rules.unshift({
      id: 'TRADERS-DEEPSEEK',
      tools: ['deepseek'],
      groups: ['traders'],
      action: 'block',
      notice: { title: 'Do not use: DeepSeek', reason: 'r', reference: 'x' },
    });
    const file = join(tmp.dir, 'groups.json');
    writeFileSync(file, JSON.stringify(policy));
    const r = await ok('--format', 'chrome-linux', '--policy', file, '--groups', 'trader,traders');
    expect(r.stderr).toContain('warning: --groups "trader" is named by no rule of the policy; did you mean "traders"?');
    expect(r.stderr).not.toContain('"traders" is named by no rule');
  });

  it('without --policy the office is unchecked, and stderr says so', async () => {
    expect((await ok('--format', 'chrome-linux')).stderr).toMatch(/was not checked against a policy/);
  });

  it('without --extension-id stderr says which ID the snippet names and when that is wrong', async () => {
    expect((await ok('--format', 'chrome-linux')).stderr).toMatch(
      new RegExp(`no --extension-id: the snippet names ${EXTENSION_ID}, the unpacked build's ID`),
    );
    expect(
      (await ok('--format', 'chrome-linux', '--extension-id', 'abcdefghijklmnopabcdefghijklmnop')).stderr,
    ).not.toMatch(/no --extension-id/);
  });

  it("Hong Kong (Gemini warned, Claude blocked): Gemini in Chrome and Firefox's chatbot off; New York: as the bank set them", async () => {
    const hk = [
      'deploy-config',
      '--office',
      'HK',
      '--policy-url',
      'https://p.example/p.jws',
      '--keys',
      EXAMPLE_TRUSTED,
      '--policy',
      EXAMPLE_JWS,
    ];
    const chrome = await runInProcess([...hk, '--format', 'chrome-linux']);
    expect(chrome.code, chrome.stderr).toBe(0);
    expect(JSON.parse(chrome.stdout)).toMatchObject(GEMINI_OFF);
    expect(chrome.stderr).toMatch(
      /Gemini in Chrome .* turned off: the policy says warn for gemini\.google\.com \(rule APAC-GEMINI-CHECK\)/,
    );
    const firefox = JSON.parse((await runInProcess([...hk, '--format', 'firefox'])).stdout).policies;
    expect(firefox.GenerativeAI).toEqual({ Chatbot: false, Locked: true });
    const ny = await json('--format', 'chrome-linux', '--policy', EXAMPLE_POLICY);
    for (const k of Object.keys(GEMINI_OFF)) expect(ny).not.toHaveProperty(k);
    expect((await json('--format', 'firefox', '--policy', EXAMPLE_POLICY)).policies).not.toHaveProperty('GenerativeAI');
  });

  it('a block on Copilot turns off the Edge sidebar; a dated block counts from the start it is signed for', async () => {
    const policy = JSON.parse(readFileSync(EXAMPLE_POLICY, 'utf8'));
    const from = new Date(Date.now() + 3 * 24 * 3600_000).toISOString();
    policy.rules.unshift(
      {
        id: 'NY-COPILOT',
        tools: ['copilot'],
        offices: ['NY'],
        action: 'block',
        notice: { title: 'Do not use: Copilot', reason: 'r', reference: 'x' },
      },
      {
        id: 'NY-GEMINI-LATER',
        tools: ['gemini'],
        offices: ['NY'],
        action: 'block',
        from,
        notice: { title: 'Do not use: Gemini', reason: 'r', reference: 'x' },
      },
    );
    const file = join(tmp.dir, 'copilot.json');
    writeFileSync(file, JSON.stringify(policy));
    const reg = await ok('--format', 'chrome-windows-reg', '--policy', file);
    expect(regPolicies(reg.stdout, 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Edge')).toMatchObject({
      HubsSidebarEnabled: 0,
      CopilotPageContext: 0,
      EdgeEntraCopilotPageContext: 0,
    });
    expect(regPolicies(reg.stdout, 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Google\\Chrome')).toMatchObject({
      GeminiSettings: 1,
      BuiltInAIAPIsEnabled: 0,
    });
    expect(reg.stderr).toContain(`from ${from} (rule NY-GEMINI-LATER)`);
    const edgeMac = await plistPayloads('--format', 'edge-macos-plist', '--policy', file);
    expect(edgeMac.byType.get('com.microsoft.Edge')).toMatchObject(COPILOT_OFF);
  });
});

describe('per-user delivery', () => {
  it('--scope user: HKCU .reg with the MDM variable as userId', async () => {
    const r = await ok(
      '--format',
      'chrome-windows-reg',
      '--browser',
      'chrome',
      '--scope',
      'user',
      '--user-id',
      '{{mail}}',
      '--groups',
      'traders',
    );
    const reg = parseReg(r.stdout);
    expect([...reg.keys()]).toEqual([
      'HKEY_CURRENT_USER\\SOFTWARE\\Policies\\Google\\Chrome',
      `HKEY_CURRENT_USER\\SOFTWARE\\Policies\\Google\\Chrome\\3rdparty\\extensions\\${EXTENSION_ID}\\policy`,
    ]);
    expect(
      reg.get(`HKEY_CURRENT_USER\\SOFTWARE\\Policies\\Google\\Chrome\\3rdparty\\extensions\\${EXTENSION_ID}\\policy`),
    ).toMatchObject({ userId: '{{mail}}', groups: '["traders"]' });
    expect(r.stderr).not.toMatch(/same id/);
  });

  it('--scope user: a user-scope macOS profile with $EMAIL', async () => {
    const { profile, byType } = await plistPayloads(
      '--format',
      'chrome-macos-plist',
      '--scope',
      'user',
      '--user-id',
      '$EMAIL',
    );
    expect(profile.PayloadScope).toBe('User');
    expect(byType.get(`com.google.Chrome.extensions.${EXTENSION_ID}`)).toMatchObject({ userId: '$EMAIL' });
  });

  it('a machine-wide userId is named; --scope user where no per-user policy exists is refused', async () => {
    expect((await ok('--format', 'chrome-linux', '--user-id', 'alice')).stderr).toMatch(/same id/);
    for (const format of ['chrome-linux', 'firefox', 'google-admin']) {
      const r = await runInProcess([...BASE, '--format', format, '--scope', 'user']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/no per-user policy/);
    }
  });
});

/** Strict XML well-formedness with sax: every element, its attributes, and the text. */
function parseXml(text: string): { root: XmlNode } {
  const parser = sax.parser(true, { xmlns: false });
  const stack: XmlNode[] = [];
  let root: XmlNode | null = null;
  parser.onopentag = (tag) => {
    const node: XmlNode = {
      name: tag.name,
      attributes: tag.attributes as Record<string, string>,
      children: [],
      text: '',
    };
    stack.at(-1)?.children.push(node);
    stack.push(node);
    root ??= node;
  };
  parser.onclosetag = () => void stack.pop();
  parser.ontext = (t) => {
    if (stack.length) stack.at(-1)!.text += t;
  };
  parser.write(text).close();
  return { root: root! };
}
interface XmlNode {
  name: string;
  attributes: Record<string, string>;
  children: XmlNode[];
  text: string;
}
const all = (n: XmlNode, name: string): XmlNode[] => [
  ...(n.name === name ? [n] : []),
  ...n.children.flatMap((c) => all(c, name)),
];

describe('--format admx', () => {
  it('writes a well-formed ADMX/ADML pair from the managed schema: one policy per key and browser, every reference resolved', async () => {
    const out = join(tmp.dir, 'PolicyDefinitions');
    const storeId = 'abcdefghijklmnopabcdefghijklmnop';
    const r = await runInProcess(['deploy-config', '--format', 'admx', '--out', out, '--extension-id', storeId]);
    expect(r.code, r.stderr).toBe(0);
    const admx = parseXml(readFileSync(join(out, 'ai-geofence.admx'), 'utf8')).root;
    const adml = parseXml(readFileSync(join(out, 'en-US', 'ai-geofence.adml'), 'utf8')).root;
    expect(admx.name).toBe('policyDefinitions');
    expect(adml.name).toBe('policyDefinitionResources');
    const schema = JSON.parse(readFileSync(new URL('../../static/managed-schema.json', import.meta.url), 'utf8')) as {
      properties: Record<string, { type: string; enum?: string[] }>;
    };
    const policies = all(admx, 'policy');
    expect(policies.map((p) => p.attributes.name).sort()).toEqual(
      ['chrome', 'edge'].flatMap((b) => Object.keys(schema.properties).map((k) => `${b}_${k}`)).sort(),
    );
    for (const p of policies) {
      expect(p.attributes.key).toMatch(
        new RegExp(
          `^Software\\\\Policies\\\\(Google\\\\Chrome|Microsoft\\\\Edge)\\\\3rdparty\\\\extensions\\\\${storeId}\\\\policy$`,
        ),
      );
      const key = p.attributes.name!.replace(/^(chrome|edge)_/, '');
      const type = schema.properties[key]!.type;
      if (type === 'boolean') expect(p.attributes.valueName).toBe(key);
      else {
        const element = all(p, 'elements')[0]!.children[0]!;
        expect(element.attributes.valueName).toBe(key);
        expect(element.name).toBe(schema.properties[key]!.enum ? 'enum' : type === 'integer' ? 'decimal' : 'text');
      }
    }
    // Every $(string.x) and $(presentation.x) the ADMX names exists in the ADML.
    const strings = new Set(all(adml, 'string').map((s) => s.attributes.id));
    const presentations = new Set(all(adml, 'presentation').map((s) => s.attributes.id));
    const admxText = readFileSync(join(out, 'ai-geofence.admx'), 'utf8');
    for (const [, kind, id] of admxText.matchAll(/\$\((string|presentation)\.([^)]+)\)/g))
      expect((kind === 'string' ? strings : presentations).has(id), `${kind}.${id}`).toBe(true);
    expect(all(adml, 'string').find((s) => s.attributes.id === 'failMode_closed')?.text).toBe('closed');
  });

  it('needs --out DIR (two files)', async () => {
    const r = await runInProcess(['deploy-config', '--format', 'admx']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/pass --out DIR/);
  });
});

describe('--out and --version', () => {
  it('--out FILE writes the snippet there and nothing on stdout', async () => {
    const file = join(tmp.dir, 'nested', 'ai-geofence.json');
    const r = await ok('--format', 'chrome-linux', '--out', file);
    expect(r.stdout).toBe('');
    expect(JSON.parse(readFileSync(file, 'utf8'))['3rdparty'].extensions[EXTENSION_ID].office).toBe('NY');
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    const r = await runInProcess(['--version']);
    expect(r).toEqual({ code: 0, stdout: `ai-geofence ${version}\n`, stderr: '' });
  });
});
