/**
 * Enterprise-policy snippets that force-install the extension, harden the browser around it and
 * push its managed configuration. Pure string builders, one per `deploy-config --format`; the
 * browser policies themselves come from browser-policies.ts.
 */
import { createHash } from 'node:crypto';
import type { PublicJwk } from '../core/policy/verify.ts';
import {
  chromiumPolicies,
  firefoxPolicies,
  type BrowserSettings,
  type ChromiumBrowser,
  type Install,
  type Json,
} from './browser-policies.ts';

/** The `--format` values of `deploy-config`. */
export const DEPLOY_FORMATS = [
  'chrome-linux',
  'chrome-windows-reg',
  'chrome-macos-plist',
  'edge-macos-plist',
  'firefox',
  'google-admin',
  'admx',
] as const;
export type DeployFormat = (typeof DEPLOY_FORMATS)[number];

/** The managed keys IT pushes, in the order we print them; optional ones only when given. */
export interface ManagedValues {
  office: string;
  policyUrl: string;
  trustedKeys: PublicJwk[];
  signatureThreshold?: number;
  groups?: string[];
  refreshMinutes?: number;
  auditUrl?: string;
  failMode?: 'closed' | 'open';
  /** Keys beyond the base managed configuration (docs/deploy.md). */
  auditFormat?: 'json' | 'splunk-hec' | 'otlp';
  auditUrlDetail?: 'path' | 'origin';
  auditHeaders?: Record<string, string>;
  auditCompression?: 'gzip' | 'none';
  exceptionsUrl?: string;
  discovery?: boolean;
  /** The employee's identifier (per-user delivery; may be an MDM variable such as $EMAIL). */
  userId?: string;
  locationUrl?: string;
  locationKeys?: PublicJwk[];
  locationMinutes?: number;
}

export interface DeployTarget extends Install {
  settings: BrowserSettings;
  /** The Chromium browsers a Windows or macOS snippet is for. */
  browsers: ChromiumBrowser[];
  /** machine: HKLM / device profile; user: HKCU / user profile (per-user values). */
  scope: 'machine' | 'user';
}

/** Drop undefined members so every format prints the same keys. */
export function managedObject(m: ManagedValues): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(m)) if (v !== undefined) out[k] = v as Json;
  return out;
}

/** Render the snippet for `format` (every format but admx, which is two files: admx.ts). */
export function renderDeployConfig(format: Exclude<DeployFormat, 'admx'>, m: ManagedValues, t: DeployTarget): string {
  switch (format) {
    case 'chrome-linux':
      return renderChromiumJson(m, t);
    case 'chrome-windows-reg':
      return renderWindowsReg(m, t);
    case 'chrome-macos-plist':
    case 'edge-macos-plist':
      return renderMacosMobileconfig(m, t);
    case 'firefox':
      return renderFirefox(m, t);
    case 'google-admin':
      return renderGoogleAdmin(m);
  }
}

/** JSON for /etc/opt/chrome/policies/managed/ (Chromium: /etc/chromium/policies/managed/; Edge: /etc/opt/edge/policies/managed/). */
function renderChromiumJson(m: ManagedValues, t: DeployTarget): string {
  const browser = t.browsers[0] ?? 'chrome';
  const doc = {
    ...chromiumPolicies(browser, t, t.settings),
    '3rdparty': { extensions: { [t.extensionId]: managedObject(m) } },
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** policies.json for Firefox (distribution/ folder or the Enterprise Policies GPO/plist equivalents). */
function renderFirefox(m: ManagedValues, t: DeployTarget): string {
  const doc = {
    policies: {
      ...firefoxPolicies(t, t.settings),
      '3rdparty': { Extensions: { [t.geckoId]: managedObject(m) } },
    },
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** The Google Admin console's "Policy for extensions" box: each key wrapped as {"Value": …}. */
function renderGoogleAdmin(m: ManagedValues): string {
  const doc: Record<string, { Value: Json }> = {};
  for (const [k, v] of Object.entries(managedObject(m))) doc[k] = { Value: v };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// Windows .reg

/** A .reg string literal: backslash and double quote are the only escapes regedit knows. */
function regString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** JSON with every non-ASCII character as \uXXXX, so the .reg stays ASCII (regedit reads ANSI or UTF-16). */
function asciiJson(v: Json): string {
  return JSON.stringify(v).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function regValue(name: string, v: Json): string {
  // Chrome reads a boolean policy from a REG_DWORD (0 or 1).
  if (typeof v === 'boolean') return `${regString(name)}=dword:0000000${v ? 1 : 0}`;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff)
    return `${regString(name)}=dword:${v.toString(16).padStart(8, '0')}`;
  if (typeof v === 'string') return `${regString(name)}=${regString(v)}`;
  // Chrome converts a REG_SZ holding JSON into the list/dict the policy (or the extension's
  // managed_schema) declares (components/policy/core/common/registry_dict.cc, ConvertRegistryValue).
  return `${regString(name)}=${regString(asciiJson(v))}`;
}

const REG_POLICY_ROOT: Record<ChromiumBrowser, { name: string; key: string }> = {
  chrome: { name: 'Google Chrome', key: 'SOFTWARE\\Policies\\Google\\Chrome' },
  edge: { name: 'Microsoft Edge', key: 'SOFTWARE\\Policies\\Microsoft\\Edge' },
};

/** The registry key under which `browser` reads its policies in `scope`. */
function registryPolicyKey(browser: ChromiumBrowser, scope: 'machine' | 'user'): string {
  return `${scope === 'user' ? 'HKEY_CURRENT_USER' : 'HKEY_LOCAL_MACHINE'}\\${REG_POLICY_ROOT[browser].key}`;
}

function regBlock(browser: ChromiumBrowser, m: ManagedValues, t: DeployTarget): string[] {
  const root = registryPolicyKey(browser, t.scope);
  return [
    `; --- ${REG_POLICY_ROOT[browser].name} ---`,
    '; Force-install, extension control and hardening (docs/deploy.md says why each value is here).',
    '; ExtensionSettings replaces any ExtensionSettings another GPO sets: merge them if you have one.',
    `[${root}]`,
    ...Object.entries(chromiumPolicies(browser, t, t.settings)).map(([k, v]) => regValue(k, v)),
    '',
    `; Managed configuration (storage.managed). Lists and objects are REG_SZ JSON strings.`,
    `[${root}\\3rdparty\\extensions\\${t.extensionId}\\policy]`,
    ...Object.entries(managedObject(m)).map(([k, v]) => regValue(k, v)),
    '',
  ];
}

/** A .reg file for Chrome and/or Edge (HKLM, or HKCU for per-user values). CRLF line endings, as regedit writes them. */
function renderWindowsReg(m: ManagedValues, t: DeployTarget): string {
  const lines = [
    'Windows Registry Editor Version 5.00',
    '',
    `; AI Geofence: force-install and configure extension ${t.extensionId}.`,
    t.browsers.length > 1
      ? '; Chrome and Edge read the same layout under their own policy roots; delete the block you do not need.'
      : null,
    t.scope === 'user'
      ? "; Per-user values (HKCU): import in the user's session (a logon script or an Intune script run as the user)."
      : '; Machine-wide values (HKLM): import elevated. Off-store force-install needs a managed (domain-joined or MDM-enrolled) Windows.',
    '',
    ...t.browsers.flatMap((b) => regBlock(b, m, t)),
  ].filter((l): l is string => l !== null);
  return lines.join('\r\n');
}

// ---------------------------------------------------------------------------------------------
// macOS .mobileconfig

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A value as plist XML with proper types (string, integer, array, dict, true/false). */
export function plistValue(v: Json, indent: string): string {
  const inner = `${indent}  `;
  if (typeof v === 'string') return `${indent}<string>${xmlEscape(v)}</string>`;
  if (typeof v === 'number')
    return Number.isInteger(v) ? `${indent}<integer>${v}</integer>` : `${indent}<real>${v}</real>`;
  if (typeof v === 'boolean') return `${indent}<${v}/>`;
  if (v === null) return `${indent}<string></string>`;
  if (Array.isArray(v))
    return v.length
      ? `${indent}<array>\n${v.map((x) => plistValue(x, inner)).join('\n')}\n${indent}</array>`
      : `${indent}<array/>`;
  const entries = Object.entries(v);
  if (!entries.length) return `${indent}<dict/>`;
  return `${indent}<dict>\n${entries.map(([k, x]) => `${inner}<key>${xmlEscape(k)}</key>\n${plistValue(x, inner)}`).join('\n')}\n${indent}</dict>`;
}

/** A name-based UUID, so regenerating the profile for the same extension keeps its identifiers. */
function stableUuid(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`.toUpperCase();
}

/** Preference domains: Chrome/Edge read an extension's policy from <domain>.extensions.<ID>. */
const MACOS_DOMAIN: Record<ChromiumBrowser, { domain: string; name: string }> = {
  chrome: { domain: 'com.google.Chrome', name: 'Google Chrome' },
  edge: { domain: 'com.microsoft.Edge', name: 'Microsoft Edge' },
};

/** A configuration profile for one browser: its policies payload and the extension's own payload. */
function renderMacosMobileconfig(m: ManagedValues, t: DeployTarget): string {
  const browser = t.browsers[0] ?? 'chrome';
  const { domain, name } = MACOS_DOMAIN[browser];
  // Chrome keeps the identifiers it always had, so a new profile replaces an old one in place.
  const base = `example.bank.ai-geofence${browser === 'chrome' ? '' : `.${browser}`}${t.scope === 'user' ? '.user' : ''}`;
  // Identifiers stay fixed so a new profile replaces the old one; UUIDs follow the content.
  const version = JSON.stringify([t, managedObject(m)]);
  const payload = (type: string, id: string, title: string, body: Record<string, Json>): Record<string, Json> => ({
    PayloadType: type,
    PayloadIdentifier: `${base}.${id}`,
    PayloadUUID: stableUuid(`${base}.${id}:${version}`),
    PayloadVersion: 1,
    PayloadDisplayName: title,
    ...body,
  });
  const profile: Record<string, Json> = {
    PayloadType: 'Configuration',
    PayloadVersion: 1,
    PayloadIdentifier: base,
    PayloadUUID: stableUuid(`${base}:${version}`),
    PayloadDisplayName: `AI Geofence (${name})`,
    PayloadDescription: `Force-installs the AI Geofence extension in ${name}, hardens the browser around it and sets its managed configuration.`,
    // User scope: per-user values such as userId can come from MDM variables ($EMAIL, {{mail}}).
    PayloadScope: t.scope === 'user' ? 'User' : 'System',
    PayloadContent: [
      payload(
        domain,
        browser === 'chrome' ? 'chrome' : 'browser',
        `${name}: force-install and harden`,
        chromiumPolicies(browser, t, t.settings),
      ),
      payload(
        `${domain}.extensions.${t.extensionId}`,
        'config',
        'AI Geofence: managed configuration',
        managedObject(m),
      ),
    ],
  };
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    plistValue(profile, ''),
    '</plist>',
    '',
  ].join('\n');
}
