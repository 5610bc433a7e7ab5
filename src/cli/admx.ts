/**
 * An ADMX/ADML pair for Group Policy and Intune (imported ADMX), generated from the extension's
 * managed schema (static/managed-schema.json), so that every managed key can be set in the Group
 * Policy editor instead of Registry preference items. Chrome and Edge read an extension's policy
 * from `…\3rdparty\extensions\<ID>\policy`; lists and objects are REG_SZ JSON there, as Chrome
 * converts them by the schema (components/policy/core/common/registry_dict.cc).
 * Format: https://learn.microsoft.com/previous-versions/windows/desktop/policy/admx-schema
 */
import type { ChromiumBrowser } from './browser-policies.ts';

interface SchemaProperty {
  title?: string;
  description?: string;
  type: 'string' | 'integer' | 'boolean' | 'array' | 'object';
  enum?: string[];
  minimum?: number;
  maximum?: number;
}
export interface ManagedSchema {
  properties: Record<string, SchemaProperty>;
}

const NS = 'http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions';
const BROWSER: Record<ChromiumBrowser, { name: string; key: string }> = {
  chrome: { name: 'Google Chrome', key: 'Software\\Policies\\Google\\Chrome' },
  edge: { name: 'Microsoft Edge', key: 'Software\\Policies\\Microsoft\\Edge' },
};
/** Long enough for several trusted keys as JSON; the Group Policy editor's text box holds it. */
const JSON_MAX_LENGTH = 32767;

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The file names to write: the ADMX beside an en-US folder holding the ADML (PolicyDefinitions layout). */
export const ADMX_FILE = 'ai-geofence.admx';
export const ADML_FILE = 'en-US/ai-geofence.adml';

/** The ADMX and ADML text for `extensionId`, with one category per browser. */
export function renderAdmx(
  schema: ManagedSchema,
  extensionId: string,
  browsers: readonly ChromiumBrowser[],
): { admx: string; adml: string } {
  const keys = Object.entries(schema.properties);
  const strings: Array<[string, string]> = [
    ['aigeofence', 'AI Geofence'],
    ['SUPPORTED_MV3', 'Google Chrome or Microsoft Edge 120 and later, with the AI Geofence extension'],
  ];
  const policies: string[] = [];
  for (const b of browsers) {
    strings.push([`aigeofence_${b}`, `AI Geofence in ${BROWSER[b].name}`]);
    for (const [key, p] of keys)
      policies.push(policyXml(b, key, p, `${BROWSER[b].key}\\3rdparty\\extensions\\${extensionId}\\policy`));
  }
  const presentations: string[] = [];
  for (const [key, p] of keys) {
    strings.push([key, p.title ?? key], [`${key}_Explain`, explainText(key, p)]);
    for (const v of p.enum ?? []) strings.push([`${key}_${v}`, v]);
    const label = xml(p.title ?? key);
    if (p.type === 'boolean') continue; // enabled/disabled, no element
    if (p.enum)
      presentations.push(
        `      <presentation id="${key}"><dropdownList refId="${key}" noSort="true">${label}</dropdownList></presentation>`,
      );
    else if (p.type === 'integer')
      presentations.push(
        `      <presentation id="${key}"><decimalTextBox refId="${key}">${label}</decimalTextBox></presentation>`,
      );
    else
      presentations.push(
        `      <presentation id="${key}"><textBox refId="${key}"><label>${label}${p.type === 'string' ? '' : ' (JSON)'}</label></textBox></presentation>`,
      );
  }

  const admx = [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<policyDefinitions xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" revision="1.0" schemaVersion="1.0" xmlns="${NS}">`,
    '  <policyNamespaces>',
    '    <target prefix="aigeofence" namespace="AIGeofence.Policies.Extension" />',
    '  </policyNamespaces>',
    '  <resources minRequiredRevision="1.0" />',
    '  <supportedOn>',
    '    <definitions>',
    '      <definition name="SUPPORTED_MV3" displayName="$(string.SUPPORTED_MV3)" />',
    '    </definitions>',
    '  </supportedOn>',
    '  <categories>',
    '    <category name="aigeofence" displayName="$(string.aigeofence)" />',
    ...browsers.map(
      (b) =>
        `    <category name="aigeofence_${b}" displayName="$(string.aigeofence_${b})"><parentCategory ref="aigeofence" /></category>`,
    ),
    '  </categories>',
    '  <policies>',
    ...policies,
    '  </policies>',
    '</policyDefinitions>',
    '',
  ].join('\r\n');

  const adml = [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<policyDefinitionResources xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" revision="1.0" schemaVersion="1.0" xmlns="${NS}">`,
    '  <displayName>AI Geofence</displayName>',
    `  <description>Managed configuration of the AI Geofence extension (${extensionId}).</description>`,
    '  <resources>',
    '    <stringTable>',
    ...strings.map(([id, text]) => `      <string id="${id}">${xml(text)}</string>`),
    '    </stringTable>',
    '    <presentationTable>',
    ...presentations,
    '    </presentationTable>',
    '  </resources>',
    '</policyDefinitionResources>',
    '',
  ].join('\r\n');
  return { admx, adml };
}

function explainText(key: string, p: SchemaProperty): string {
  const json =
    p.type === 'array' || p.type === 'object'
      ? ' Enter it as JSON on one line, exactly as deploy-config prints it.'
      : '';
  return `${p.description ?? ''}${json} Managed key "${key}"; "ai-geofence deploy-config" prints the value to use.`.trim();
}

function policyXml(browser: ChromiumBrowser, key: string, p: SchemaProperty, regKey: string): string {
  const head = `    <policy name="${browser}_${key}" class="Both" displayName="$(string.${key})" explainText="$(string.${key}_Explain)" key="${xml(regKey)}"`;
  const common = `\r\n      <parentCategory ref="aigeofence_${browser}" />\r\n      <supportedOn ref="SUPPORTED_MV3" />`;
  if (p.type === 'boolean') {
    // Chrome reads a boolean policy from a REG_DWORD 0 or 1.
    return `${head} valueName="${key}">${common}\r\n      <enabledValue><decimal value="1" /></enabledValue>\r\n      <disabledValue><decimal value="0" /></disabledValue>\r\n    </policy>`;
  }
  let element: string;
  if (p.enum) {
    const items = p.enum
      .map((v) => `<item displayName="$(string.${key}_${v})"><value><string>${xml(v)}</string></value></item>`)
      .join('');
    element = `<enum id="${key}" valueName="${key}" required="true">${items}</enum>`;
  } else if (p.type === 'integer') {
    element = `<decimal id="${key}" valueName="${key}" required="true" minValue="${p.minimum ?? 0}" maxValue="${p.maximum ?? 2147483647}" />`;
  } else {
    element = `<text id="${key}" valueName="${key}" required="true" maxLength="${p.type === 'string' ? 2048 : JSON_MAX_LENGTH}" />`;
  }
  return `${head} presentation="$(presentation.${key})">${common}\r\n      <elements>${element}</elements>\r\n    </policy>`;
}
