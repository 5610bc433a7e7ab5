/** `deploy-config`: the enterprise-policy snippet that force-installs and configures the extension. */
import { DEFAULT_FIREFOX_INSTALL_URL, DEFAULT_UPDATE_URL, EXTENSION_ID, GECKO_ID } from '../../core/identity.ts';
import { checkFetchUrl, parseManagedConfig } from '../../core/managed-config.ts';
import { commaList, optionalInt, optionalString, requiredString, stringList } from '../args.ts';
import type { Command } from '../command.ts';
import { CliError, usageError } from '../errors.ts';
import { readTrustedKeys } from '../files.ts';
import { DEPLOY_FORMATS, managedObject, renderDeployConfig, type DeployFormat, type ManagedValues } from '../deploy-formats.ts';

export const deployConfig: Command = {
  name: 'deploy-config',
  summary: 'print the enterprise policy that force-installs and configures the extension',
  help: `Usage: ai-geofence deploy-config --office CODE --policy-url URL --keys TRUSTED.json --format FORMAT
                                 [--groups a,b] [--audit-url URL] [--fail-mode closed|open]
                                 [--threshold N] [--refresh-minutes N]
                                 [--exceptions-url URL] [--discovery on|off]
                                 [--audit-format json|splunk-hec|otlp] [--audit-url-detail path|origin]
                                 [--audit-header "NAME: VALUE"]… [--audit-compression gzip|none]
                                 [--update-url URL] [--install-url URL]
                                 [--extension-id ID] [--gecko-id ID]

Prints, on stdout, a policy that force-installs the extension (Chrome/Edge ID ${EXTENSION_ID},
Firefox ID ${GECKO_ID}) and sets its managed configuration.

Formats:
  chrome-linux        JSON for /etc/opt/chrome/policies/managed/ (Chromium: /etc/chromium/policies/managed/)
  chrome-windows-reg  .reg file for Chrome and Edge (HKLM\\SOFTWARE\\Policies\\…)
  chrome-macos-plist  .mobileconfig profile for Chrome on macOS (Jamf or another MDM)
  firefox             policies.json for Firefox
  google-admin        JSON for the Google Admin console's "Policy for extensions" box

Flags (managed key in brackets):
  --office CODE          the employee's office, a key of the policy's "offices" [office]
  --policy-url URL       where the signed policy is published; https: (http: only for localhost) [policyUrl]
  --keys FILE            trusted public keys, JSON array or JWKS [trustedKeys]
  --groups a,b           the employees' groups [groups]
  --audit-url URL        where audit events are POSTed [auditUrl]
  --fail-mode MODE       closed (default) or open: behaviour with no valid policy [failMode]
  --threshold N          distinct signatures required, 1-10 [signatureThreshold]
  --refresh-minutes N    re-fetch interval, 1-10080 [refreshMinutes]
  --exceptions-url URL   where the signed exceptions document is published [exceptionsUrl]
  --discovery on|off     the detector of unlisted AI tools (default on) [discovery]
  --audit-format F       json (default), splunk-hec or otlp [auditFormat]
  --audit-url-detail D   path (default) or origin: how much of a URL audit events carry [auditUrlDetail]
  --audit-header H       "Name: value", repeatable: a header for audit deliveries, e.g.
                         "Authorization: Bearer <token>" [auditHeaders]. The snippet then holds
                         the token: store it like one
  --audit-compression C  gzip (default) or none [auditCompression]
  --update-url URL       Chrome/Edge update manifest of the self-hosted extension
                         (default ${DEFAULT_UPDATE_URL})
  --install-url URL      Firefox .xpi location (default ${DEFAULT_FIREFOX_INSTALL_URL})
  --extension-id ID      Chrome/Edge ID, when the extension is published under another ID (e.g. a store listing)
  --gecko-id ID          Firefox add-on ID, likewise
Optional keys are written only when given; the extension applies the documented defaults.

Exit codes: 0 printed, 1 invalid input (bad URL, bad key file), 2 usage error.`,
  flags: {
    office: { type: 'string' },
    'policy-url': { type: 'string' },
    keys: { type: 'string' },
    format: { type: 'string' },
    groups: { type: 'string', multiple: true },
    'audit-url': { type: 'string' },
    'fail-mode': { type: 'string' },
    threshold: { type: 'string' },
    'refresh-minutes': { type: 'string' },
    'exceptions-url': { type: 'string' },
    discovery: { type: 'string' },
    'audit-format': { type: 'string' },
    'audit-url-detail': { type: 'string' },
    'audit-header': { type: 'string', multiple: true },
    'audit-compression': { type: 'string' },
    'update-url': { type: 'string' },
    'install-url': { type: 'string' },
    'extension-id': { type: 'string' },
    'gecko-id': { type: 'string' },
  },
  allowPositionals: false,
  async run(args, io) {
    const format = requiredString(args, 'format', 'deploy-config');
    if (!(DEPLOY_FORMATS as readonly string[]).includes(format)) throw usageError(`--format must be one of ${DEPLOY_FORMATS.join(', ')}; got "${format}"`);
    const office = requiredString(args, 'office', 'deploy-config').trim();
    const policyUrl = checkedUrl(requiredString(args, 'policy-url', 'deploy-config'), '--policy-url');
    const keysPath = requiredString(args, 'keys', 'deploy-config');
    const auditRaw = optionalString(args, 'audit-url');
    const failMode = optionalString(args, 'fail-mode');
    if (failMode !== undefined && failMode !== 'closed' && failMode !== 'open') throw usageError(`--fail-mode must be "closed" or "open", got "${failMode}"`);
    const signatureThreshold = optionalInt(args, 'threshold', 1, 10);
    const refreshMinutes = optionalInt(args, 'refresh-minutes', 1, 7 * 24 * 60);
    const groups = commaList(args, 'groups');
    const discovery = optionalString(args, 'discovery');
    if (discovery !== undefined && discovery !== 'on' && discovery !== 'off') throw usageError(`--discovery must be "on" or "off", got "${discovery}"`);
    const auditFormat = optionalString(args, 'audit-format');
    if (auditFormat !== undefined && auditFormat !== 'json' && auditFormat !== 'splunk-hec' && auditFormat !== 'otlp') throw usageError(`--audit-format must be "json", "splunk-hec" or "otlp", got "${auditFormat}"`);
    const auditUrlDetail = optionalString(args, 'audit-url-detail');
    if (auditUrlDetail !== undefined && auditUrlDetail !== 'path' && auditUrlDetail !== 'origin') throw usageError(`--audit-url-detail must be "path" or "origin", got "${auditUrlDetail}"`);
    const auditCompression = optionalString(args, 'audit-compression');
    if (auditCompression !== undefined && auditCompression !== 'gzip' && auditCompression !== 'none') throw usageError(`--audit-compression must be "gzip" or "none", got "${auditCompression}"`);
    const headerList = stringList(args, 'audit-header');
    const auditHeaders: Record<string, string> = {};
    for (const h of headerList) {
      const m = /^([^:\s]+)\s*:\s*(.*)$/.exec(h);
      if (!m) throw usageError(`--audit-header takes "Name: value", got "${h.split(':')[0]}…"`);
      auditHeaders[m[1]!] = m[2]!;
    }
    const exceptionsRaw = optionalString(args, 'exceptions-url');
    const extensionId = optionalString(args, 'extension-id') ?? EXTENSION_ID;
    if (!/^[a-p]{32}$/.test(extensionId)) throw usageError(`--extension-id must be 32 letters a-p, got "${extensionId}"`);
    const geckoId = optionalString(args, 'gecko-id') ?? GECKO_ID;
    // Firefox accepts an e-mail-like ID or a {GUID}.
    if (!/^([\w.+-]+@[\w.-]+|\{[0-9a-fA-F-]{36}\})$/.test(geckoId)) throw usageError(`--gecko-id must look like name@domain or {GUID}, got "${geckoId}"`);
    // Flags first, files second: a usage mistake is reported as such even when a file is missing.
    const trustedKeys = readTrustedKeys(keysPath, io.err);
    if (signatureThreshold !== undefined && signatureThreshold > trustedKeys.length) {
      throw new CliError(`--threshold ${signatureThreshold} exceeds the ${trustedKeys.length} key(s) in --keys: no policy could ever be accepted`);
    }

    const managed: ManagedValues = {
      office,
      policyUrl,
      trustedKeys,
      signatureThreshold,
      groups,
      refreshMinutes,
      auditUrl: auditRaw === undefined ? undefined : checkedUrl(auditRaw, '--audit-url'),
      failMode,
      auditFormat,
      auditUrlDetail,
      auditHeaders: headerList.length ? auditHeaders : undefined,
      auditCompression,
      exceptionsUrl: exceptionsRaw === undefined ? undefined : checkedUrl(exceptionsRaw, '--exceptions-url'),
      discovery: discovery === undefined ? undefined : discovery === 'on',
    };
    // The extension's own parser is the judge: what we print must be accepted as it stands.
    const accepted = parseManagedConfig(managedObject(managed));
    if (!accepted.ok) throw new CliError(`the configuration would be rejected by the extension: ${accepted.errors.join('; ')}`);

    const output = renderDeployConfig(format as DeployFormat, managed, {
      extensionId,
      geckoId,
      updateUrl: checkedUrl(optionalString(args, 'update-url') ?? DEFAULT_UPDATE_URL, '--update-url'),
      firefoxInstallUrl: checkedUrl(optionalString(args, 'install-url') ?? DEFAULT_FIREFOX_INSTALL_URL, '--install-url'),
    });
    if (format === 'chrome-windows-reg' && /[^\x00-\x7f]/.test(output)) {
      io.err('warning: the .reg file contains non-ASCII text; save it as UTF-16 LE (PowerShell: Out-File -Encoding Unicode) before importing');
    }
    io.out(output);
    return 0;
  },
};

function checkedUrl(url: string, name: string): string {
  const problem = checkFetchUrl(url.trim());
  if (problem) throw new CliError(`${name}: ${problem}`);
  return url.trim();
}
