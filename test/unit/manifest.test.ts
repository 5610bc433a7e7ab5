/**
 * The generated manifests, pinned: a permission, host permission, background change or newly
 * exposed resource must show up in review as a change to this file, never by accident.
 * A new top-level key fails here too — decide whether it is wanted, then add it below.
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GECKO_ID, MANIFEST_KEY } from '../../src/core/config/identity.ts';

type Manifest = Record<string, unknown>;
// build.mjs is plain ESM without declarations; a computed specifier keeps TypeScript out of it.
const BUILD = pathToFileURL(resolve(import.meta.dirname, '../../build.mjs')).href;
const { manifestFor } = (await import(BUILD)) as { manifestFor(browser: 'chrome' | 'firefox'): Promise<Manifest> };

/** The keys that decide what the extension may do and what web pages can reach. */
function surface(m: Manifest) {
  return {
    permissions: m.permissions,
    optional_permissions: m.optional_permissions,
    host_permissions: m.host_permissions,
    optional_host_permissions: m.optional_host_permissions,
    background: m.background,
    content_scripts: m.content_scripts,
    web_accessible_resources: m.web_accessible_resources,
    externally_connectable: m.externally_connectable,
    content_security_policy: m.content_security_policy,
    declarative_net_request: m.declarative_net_request,
    incognito: m.incognito,
  };
}

// unlimitedStorage: storage.local holds the signed policy (4 MB for 100,000 domains), the audit queue
// (up to 10,000 events) and the notice snapshot; Chromium's default quota is 10 MB, and a full
// storage would refuse the next policy.
// idle: waking from idle or a locked screen re-establishes where the browser is (no install warning).
// webNavigation: one small event per page step instead of tabs.onUpdated's several whole-tab events
// per load (docs/benchmarks.md, "Fast pages and the detector"); its install warning, "Read your
// browsing history", is the one tabs already shows.
const PERMISSIONS = [
  'declarativeNetRequest',
  'storage',
  'unlimitedStorage',
  'alarms',
  'idle',
  'tabs',
  'webNavigation',
  'scripting',
  'browsingData',
];
const WEB_ACCESSIBLE = [
  {
    resources: [
      'block.html',
      'block.js',
      'block.css',
      'warn.html',
      'warn.js',
      'warn.css',
      'embedded-block.html',
      'embedded-block.js',
      'icons/*',
    ],
    matches: ['<all_urls>'],
  },
];

describe('generated manifests', () => {
  it('chrome', async () => {
    const m = await manifestFor('chrome');
    expect(Object.keys(m).sort()).toEqual([
      'action',
      'background',
      'default_locale',
      'description',
      'host_permissions',
      'icons',
      'incognito',
      'key',
      'manifest_version',
      'minimum_chrome_version',
      'name',
      'permissions',
      'short_name',
      'storage',
      'version',
      'web_accessible_resources',
    ]);
    expect(surface(m)).toStrictEqual({
      permissions: PERMISSIONS,
      optional_permissions: undefined,
      host_permissions: ['<all_urls>'],
      optional_host_permissions: undefined,
      background: { service_worker: 'background.js', type: 'module' },
      content_scripts: undefined,
      web_accessible_resources: WEB_ACCESSIBLE,
      externally_connectable: undefined,
      content_security_policy: undefined,
      declarative_net_request: undefined,
      incognito: 'spanning',
    });
    // The stable ID IT addresses in policy (README, docs/deploy.md).
    expect(m.key).toBe(MANIFEST_KEY);
    expect(m.manifest_version).toBe(3);
    expect(m.storage).toEqual({ managed_schema: 'managed-schema.json' });
  });

  it('firefox', async () => {
    const m = await manifestFor('firefox');
    expect(Object.keys(m).sort()).toEqual([
      'action',
      'background',
      'browser_specific_settings',
      'default_locale',
      'description',
      'host_permissions',
      'icons',
      'incognito',
      'manifest_version',
      'name',
      'permissions',
      'short_name',
      'storage',
      'version',
      'web_accessible_resources',
    ]);
    expect(surface(m)).toStrictEqual({
      permissions: PERMISSIONS,
      optional_permissions: undefined,
      host_permissions: ['<all_urls>'],
      optional_host_permissions: undefined,
      // Firefox runs MV3 backgrounds as event pages (scripts), not service workers.
      background: { scripts: ['background.js'], type: 'module' },
      content_scripts: undefined,
      web_accessible_resources: WEB_ACCESSIBLE,
      externally_connectable: undefined,
      content_security_policy: undefined,
      declarative_net_request: undefined,
      incognito: 'spanning',
    });
    expect(m.browser_specific_settings).toStrictEqual({
      gecko: {
        id: GECKO_ID,
        strict_min_version: '140.0',
        data_collection_permissions: { required: ['browsingActivity'] },
      },
      gecko_android: { strict_min_version: '142.0' },
    });
    expect(m.storage).toEqual({ managed_schema: 'managed-schema.json' });
  });

  it('the two browsers differ only where a browser needs it', async () => {
    const chrome = await manifestFor('chrome');
    const firefox = await manifestFor('firefox');
    const { key: _k, minimum_chrome_version: _v, background: _cb, ...chromeRest } = chrome;
    const { browser_specific_settings: _b, background: _fb, ...firefoxRest } = firefox;
    expect(firefoxRest).toStrictEqual(chromeRest);
  });
});
