/**
 * Enterprise-policy snippets that force-install the extension and push its managed configuration
 * (Contract 1). Pure string builders, one per `deploy-config --format`.
 */
import { createHash } from 'node:crypto';
import type { PublicJwk } from '../core/verify.ts';

/** The `--format` values of `deploy-config`. */
export const DEPLOY_FORMATS = ['chrome-linux', 'chrome-windows-reg', 'chrome-macos-plist', 'firefox', 'google-admin'] as const;
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
  /** Extensions of Contract 1 (docs/deploy.md). */
  auditFormat?: 'json' | 'splunk-hec' | 'otlp';
  auditUrlDetail?: 'path' | 'origin';
  auditHeaders?: Record<string, string>;
  auditCompression?: 'gzip' | 'none';
  exceptionsUrl?: string;
  discovery?: boolean;
}

export interface DeployTarget {
  /** Chrome/Edge extension ID. */
  extensionId: string;
  /** Chrome/Edge update manifest URL (self-hosted CRX). */
  updateUrl: string;
  /** Firefox add-on ID. */
  geckoId: string;
  /** Firefox .xpi URL. */
  firefoxInstallUrl: string;
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** Drop undefined members so every format prints the same keys. */
export function managedObject(m: ManagedValues): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(m)) if (v !== undefined) out[k] = v as Json;
  return out;
}

/** Render the snippet for `format`. */
export function renderDeployConfig(format: DeployFormat, m: ManagedValues, t: DeployTarget): string {
  switch (format) {
    case 'chrome-linux':
      return renderChromeLinux(m, t);
    case 'chrome-windows-reg':
      return renderWindowsReg(m, t);
    case 'chrome-macos-plist':
      return renderMacosMobileconfig(m, t);
    case 'firefox':
      return renderFirefox(m, t);
    case 'google-admin':
      return renderGoogleAdmin(m);
  }
}

/**
 * Chromium's preconnects open TCP connections to hosts a page mentions before any extension (or
 * the native URLBlocklist) sees a request; 2 = "never predict" (measured in docs/benchmarks.md).
 */
const NO_NETWORK_PREDICTION = 2;

/** JSON for /etc/opt/chrome/policies/managed/ (Chromium: /etc/chromium/policies/managed/). */
export function renderChromeLinux(m: ManagedValues, t: DeployTarget): string {
  const doc = {
    ExtensionSettings: { [t.extensionId]: { installation_mode: 'force_installed', update_url: t.updateUrl } },
    NetworkPredictionOptions: NO_NETWORK_PREDICTION,
    '3rdparty': { extensions: { [t.extensionId]: managedObject(m) } },
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** policies.json for Firefox (distribution/ folder or the Enterprise Policies GPO/plist equivalents). */
export function renderFirefox(m: ManagedValues, t: DeployTarget): string {
  const doc = {
    policies: {
      ExtensionSettings: { [t.geckoId]: { installation_mode: 'force_installed', install_url: t.firefoxInstallUrl } },
      '3rdparty': { Extensions: { [t.geckoId]: managedObject(m) } },
    },
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** The Google Admin console's "Policy for extensions" box: each key wrapped as {"Value": …}. */
export function renderGoogleAdmin(m: ManagedValues): string {
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
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff) return `${regString(name)}=dword:${v.toString(16).padStart(8, '0')}`;
  if (typeof v === 'string') return `${regString(name)}=${regString(v)}`;
  // Chrome converts a REG_SZ holding JSON into the list/dict the extension's managed_schema
  // declares (components/policy/core/common/registry_dict.cc, ConvertRegistryValue).
  return `${regString(name)}=${regString(asciiJson(v))}`;
}

function regBlock(browser: string, root: string, m: ManagedValues, t: DeployTarget): string[] {
  return [
    `; --- ${browser} ---`,
    `; Force-install. The value name "1" is only an ordering index: if this machine already`,
    `; force-installs other extensions, renumber it to an unused number so none is overwritten.`,
    `[${root}\\ExtensionInstallForcelist]`,
    `${regString('1')}=${regString(`${t.extensionId};${t.updateUrl}`)}`,
    '',
    `; No preconnects: they open connections to a blocked vendor below any extension's reach.`,
    `[${root}]`,
    regValue('NetworkPredictionOptions', NO_NETWORK_PREDICTION),
    '',
    `; Managed configuration (storage.managed). Lists and objects are REG_SZ JSON strings.`,
    `[${root}\\3rdparty\\extensions\\${t.extensionId}\\policy]`,
    ...Object.entries(managedObject(m)).map(([k, v]) => regValue(k, v)),
    '',
  ];
}

/** A .reg file for Chrome and Edge (HKLM policy keys). CRLF line endings, as regedit writes them. */
export function renderWindowsReg(m: ManagedValues, t: DeployTarget): string {
  const lines = [
    'Windows Registry Editor Version 5.00',
    '',
    `; AI Geofence: force-install and configure extension ${t.extensionId}.`,
    '; Chrome and Edge read the same layout under their own policy roots; delete the block you do',
    '; not need. Off-store force-install works only on domain-joined or MDM-enrolled Windows.',
    '',
    ...regBlock('Google Chrome', 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Google\\Chrome', m, t),
    ...regBlock('Microsoft Edge', 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Edge', m, t),
  ];
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
  if (typeof v === 'number') return Number.isInteger(v) ? `${indent}<integer>${v}</integer>` : `${indent}<real>${v}</real>`;
  if (typeof v === 'boolean') return `${indent}<${v}/>`;
  if (v === null) return `${indent}<string></string>`;
  if (Array.isArray(v)) return v.length ? `${indent}<array>\n${v.map((x) => plistValue(x, inner)).join('\n')}\n${indent}</array>` : `${indent}<array/>`;
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

/** A configuration profile with a com.google.Chrome payload and the extension's own payload. */
export function renderMacosMobileconfig(m: ManagedValues, t: DeployTarget): string {
  const base = 'example.bank.ai-geofence';
  // Identifiers stay fixed so a new profile replaces the old one; UUIDs follow the content.
  const version = JSON.stringify([t, managedObject(m)]);
  const payload = (type: string, id: string, name: string, body: Record<string, Json>): Record<string, Json> => ({
    PayloadType: type,
    PayloadIdentifier: `${base}.${id}`,
    PayloadUUID: stableUuid(`${base}.${id}:${version}`),
    PayloadVersion: 1,
    PayloadDisplayName: name,
    ...body,
  });
  const profile: Record<string, Json> = {
    PayloadType: 'Configuration',
    PayloadVersion: 1,
    PayloadIdentifier: base,
    PayloadUUID: stableUuid(`${base}:${version}`),
    PayloadDisplayName: 'AI Geofence',
    PayloadDescription: 'Force-installs the AI Geofence extension in Google Chrome and sets its managed configuration.',
    PayloadScope: 'System',
    PayloadContent: [
      payload('com.google.Chrome', 'chrome', 'Google Chrome: force-install AI Geofence', {
        ExtensionInstallForcelist: [`${t.extensionId};${t.updateUrl}`],
        NetworkPredictionOptions: NO_NETWORK_PREDICTION,
      }),
      // Chrome reads an extension's policy from the preference domain com.google.Chrome.extensions.<ID>.
      payload(`com.google.Chrome.extensions.${t.extensionId}`, 'config', 'AI Geofence: managed configuration', managedObject(m)),
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
