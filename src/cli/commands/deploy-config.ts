/** `deploy-config`: the enterprise-policy snippet that force-installs, hardens and configures the extension. */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import managedSchema from '../../../static/managed-schema.json' with { type: 'json' };
import { compilePolicy, decide, nextRuleChange } from '../../core/decide/decide.ts';
import { DEFAULT_FIREFOX_INSTALL_URL, DEFAULT_UPDATE_URL, EXTENSION_ID, GECKO_ID } from '../../core/config/identity.ts';
import { didYouMean } from '../../core/config/near-match.ts';
import { checkOffice as officeProblem } from '../../core/config/office-check.ts';
import { checkFetchUrl, parseManagedConfig } from '../../core/config/managed-config.ts';
import type { Policy } from '../../core/policy/policy-schema.ts';
import { ADML_FILE, ADMX_FILE, renderAdmx, type ManagedSchema } from '../admx.ts';
import { commaList, flag, optionalInt, optionalString, requiredString, stringList, type ParsedArgs } from '../args.ts';
import {
  BROWSER_AI_AS_SET,
  browserAiFromPolicy,
  catalogueExtensionIds,
  CHROMIUM_ID,
  GECKO_ID_PATTERN,
  idsFor,
  type BrowserSettings,
  type ChromiumBrowser,
  type ExtensionControl,
} from '../browser-policies.ts';
import type { Command } from '../command.ts';
import { CliError, usageError } from '../errors.ts';
import { readTrustedKeys } from '../files.ts';
import {
  DEPLOY_FORMATS,
  managedObject,
  renderDeployConfig,
  type DeployFormat,
  type DeployTarget,
  type ManagedValues,
} from '../deploy-formats.ts';
import type { Io } from '../io.ts';
import { loadPolicy } from '../policy-source.ts';

export const deployConfig: Command = {
  name: 'deploy-config',
  summary: 'print the enterprise policy that force-installs, hardens and configures the extension',
  help: `Usage: ai-geofence deploy-config --office CODE --policy-url URL --keys TRUSTED.json --format FORMAT
                                 [--policy POLICY.json|POLICY.jws] [--out FILE]
                                 [--groups a,b] [--user-id ID] [--audit-url URL] [--fail-mode closed|open]
                                 [--threshold N] [--refresh-minutes N]
                                 [--exceptions-url URL] [--discovery on|off]
                                 [--audit-format json|splunk-hec|otlp] [--audit-url-detail path|origin]
                                 [--audit-header "NAME: VALUE"]… [--audit-compression gzip|none]
                                 [--location-url URL --location-keys KEYS.json] [--location-minutes N]
                                 [--update-url URL] [--install-url URL]
                                 [--extension-id ID] [--gecko-id ID]
                                 [--browser chrome|edge] [--scope machine|user]
                                 [--extension-control allowlist|blocklist]
                                 [--allow-extension ID]… [--block-extension ID]…
                                 [--allow-incognito] [--allow-guest] [--allow-new-profiles]
                                 [--allow-network-prediction]
       ai-geofence deploy-config --format admx --out DIR [--extension-id ID] [--browser chrome|edge]

Prints, on stdout (or into --out FILE), a policy that force-installs the extension (Chrome/Edge ID
${EXTENSION_ID}, Firefox ID ${GECKO_ID}), hardens the browser around it and sets its managed
configuration. docs/deploy.md says why each browser policy is there.

Formats:
  chrome-linux        JSON for /etc/opt/chrome/policies/managed/ (Chromium: /etc/chromium/policies/managed/;
                      with --browser edge: /etc/opt/edge/policies/managed/)
  chrome-windows-reg  .reg file for Chrome and Edge (HKLM; --scope user: HKCU); --browser for one of them
  chrome-macos-plist  .mobileconfig profile for Chrome on macOS (Jamf or another MDM)
  edge-macos-plist    .mobileconfig profile for Edge on macOS (same as chrome-macos-plist --browser edge)
  firefox             policies.json for Firefox
  google-admin        JSON for the Google Admin console's "Policy for extensions" box
  admx                ai-geofence.admx and en-US/ai-geofence.adml for Group Policy / Intune, from the
                      extension's managed schema, written into --out DIR (needs no other input)

Managed configuration (managed key in brackets):
  --office CODE          the employee's office, a key of the policy's "offices" [office]
  --policy-url URL       where the signed policy is published; https: (http: only for localhost) [policyUrl]
  --keys FILE            trusted public keys, JSON array or JWKS [trustedKeys]
  --groups a,b           the employees' groups [groups]
  --user-id ID           the employee's id, for per-user delivery; may be an MDM variable such as
                         $EMAIL (Jamf) or {{mail}} (Intune) [userId]
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
  --location-url URL     the location service that says where the browser is [locationUrl]
  --location-keys FILE   its public signing keys, JSON array or JWKS [locationKeys]
  --location-minutes N   how often the location is established again, 1-1440 (default 15) [locationMinutes]

Checks and output:
  --policy FILE          the policy (JSON, or a JWS verified with --keys and --threshold): --office must
                         be one of its offices, and the browser's own AI features (Gemini in Chrome,
                         Copilot in Edge, Firefox's AI chatbot) are turned off where it blocks or warns
                         about their vendor for that office; without it they stay as the bank set them
  --out FILE             write to FILE instead of stdout (for admx: a directory)

Where the extension comes from:
  --update-url URL       Chrome/Edge update manifest of the self-hosted CRX (default ${DEFAULT_UPDATE_URL})
  --install-url URL      Firefox .xpi location (default ${DEFAULT_FIREFOX_INSTALL_URL})
  --extension-id ID      Chrome/Edge ID: the one "keygen --crx" / "npm run package -- --crx-key" printed for
                         your own CRX key, or a store listing's ID
  --gecko-id ID          Firefox add-on ID, likewise

Browser hardening (on by default; each --allow-… opts out knowingly):
  --allow-incognito      leave incognito / InPrivate windows available (the extension does not run there)
  --allow-guest          leave guest mode available (a guest session has no extension)
  --allow-new-profiles   let users add browser profiles (a new profile has no extension)
  --allow-network-prediction  leave preconnects on (connections open to a blocked vendor's host)
  --extension-control M  allowlist (default): every other extension blocked but --allow-extension ones;
                         blocklist: only known AI extensions (the catalogue's, and --block-extension) blocked
  --allow-extension ID   an approved extension (Chrome/Edge ID or Firefox add-on ID); repeatable
  --block-extension ID   an extension to block in blocklist mode; repeatable
  --browser B            chrome or edge: which browser a Windows, macOS or Linux snippet is for
  --scope S              machine (default) or user: HKCU .reg, user-scope macOS profile (per-user values)

Optional keys are written only when given; the extension applies the documented defaults.

Exit codes: 0 printed, 1 invalid input (bad URL, bad key file, office not in --policy), 2 usage error.`,
  flags: {
    office: { type: 'string' },
    'policy-url': { type: 'string' },
    keys: { type: 'string' },
    format: { type: 'string' },
    policy: { type: 'string' },
    out: { type: 'string' },
    groups: { type: 'string', multiple: true },
    'user-id': { type: 'string' },
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
    browser: { type: 'string' },
    scope: { type: 'string' },
    'extension-control': { type: 'string' },
    'allow-extension': { type: 'string', multiple: true },
    'block-extension': { type: 'string', multiple: true },
    'allow-incognito': { type: 'boolean' },
    'allow-guest': { type: 'boolean' },
    'allow-new-profiles': { type: 'boolean' },
    'allow-network-prediction': { type: 'boolean' },
    'location-url': { type: 'string' },
    'location-keys': { type: 'string' },
    'location-minutes': { type: 'string' },
  },
  allowPositionals: false,
  async run(args, io) {
    const format = requiredString(args, 'format', 'deploy-config');
    if (!(DEPLOY_FORMATS as readonly string[]).includes(format))
      throw usageError(`--format must be one of ${DEPLOY_FORMATS.join(', ')}; got "${format}"`);
    const extensionId = optionalString(args, 'extension-id') ?? EXTENSION_ID;
    if (!CHROMIUM_ID.test(extensionId)) throw usageError(`--extension-id must be 32 letters a-p, got "${extensionId}"`);
    const browsers = chosenBrowsers(args, format as DeployFormat);
    if (format === 'admx') return writeAdmx(args, io, extensionId, browsers);

    const office = requiredString(args, 'office', 'deploy-config').trim();
    const policyUrl = checkedUrl(requiredString(args, 'policy-url', 'deploy-config'), '--policy-url');
    const keysPath = requiredString(args, 'keys', 'deploy-config');
    const auditRaw = optionalString(args, 'audit-url');
    const failMode = oneOf(args, 'fail-mode', ['closed', 'open'] as const);
    const signatureThreshold = optionalInt(args, 'threshold', 1, 10);
    const refreshMinutes = optionalInt(args, 'refresh-minutes', 1, 7 * 24 * 60);
    const groups = commaList(args, 'groups');
    const discovery = oneOf(args, 'discovery', ['on', 'off'] as const);
    const auditFormat = oneOf(args, 'audit-format', ['json', 'splunk-hec', 'otlp'] as const);
    const auditUrlDetail = oneOf(args, 'audit-url-detail', ['path', 'origin'] as const);
    const auditCompression = oneOf(args, 'audit-compression', ['gzip', 'none'] as const);
    const auditHeaders = headerFlags(args);
    const exceptionsRaw = optionalString(args, 'exceptions-url');
    const userId = optionalString(args, 'user-id')?.trim();
    if (userId === '') throw usageError('--user-id must not be empty');
    const locationRaw = optionalString(args, 'location-url');
    const locationKeysPath = optionalString(args, 'location-keys');
    const locationMinutes = optionalInt(args, 'location-minutes', 1, 24 * 60);
    // Either alone verifies nothing: no location could ever be established.
    if ((locationRaw === undefined) !== (locationKeysPath === undefined))
      throw usageError(
        '--location-url and --location-keys go together (the service, and the keys its answers are signed with)',
      );
    if (locationMinutes !== undefined && locationRaw === undefined)
      throw usageError('--location-minutes needs --location-url');
    const geckoId = optionalString(args, 'gecko-id') ?? GECKO_ID;
    // Firefox accepts an e-mail-like ID or a {GUID}.
    if (!GECKO_ID_PATTERN.test(geckoId))
      throw usageError(`--gecko-id must look like name@domain or {GUID}, got "${geckoId}"`);
    const scope = oneOf(args, 'scope', ['machine', 'user'] as const) ?? 'machine';
    if (scope === 'user' && !['chrome-windows-reg', 'chrome-macos-plist', 'edge-macos-plist'].includes(format)) {
      throw usageError(
        `--scope user is for chrome-windows-reg and the macOS profiles; ${format} has no per-user policy (docs/deploy.md: per-user values)`,
      );
    }
    const control = extensionControl(args);
    // Flags first, files second: a usage mistake is reported as such even when a file is missing.
    const trustedKeys = readTrustedKeys(keysPath, io.err);
    if (signatureThreshold !== undefined && signatureThreshold > trustedKeys.length) {
      throw new CliError(
        `--threshold ${signatureThreshold} exceeds the ${trustedKeys.length} key(s) in --keys: no policy could ever be accepted`,
      );
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
      auditHeaders,
      auditCompression,
      exceptionsUrl: exceptionsRaw === undefined ? undefined : checkedUrl(exceptionsRaw, '--exceptions-url'),
      discovery: discovery === undefined ? undefined : discovery === 'on',
      userId,
      locationUrl: locationRaw === undefined ? undefined : checkedUrl(locationRaw, '--location-url'),
      locationKeys:
        locationKeysPath === undefined ? undefined : readTrustedKeys(locationKeysPath, io.err, '--location-keys'),
      locationMinutes,
    };
    // The extension's own parser is the judge: what we print must be accepted as it stands.
    const accepted = parseManagedConfig(managedObject(managed));
    if (!accepted.ok)
      throw new CliError(`the configuration would be rejected by the extension: ${accepted.errors.join('; ')}`);

    const policyPath = optionalString(args, 'policy');
    let ai = BROWSER_AI_AS_SET;
    if (policyPath !== undefined) {
      const { policy } = await loadPolicy(policyPath, keysPath, signatureThreshold ?? 1, Date.now(), io.err);
      checkOffice(office, policy);
      for (const warning of unknownGroups(groups ?? [], policy)) io.err(`warning: ${warning}`);
      const browserAi = browserAiFor(policy, { office, groups });
      ai = browserAi.off;
      for (const reason of browserAi.reasons) io.err(`note: ${reason}`);
    } else if (format !== 'google-admin') {
      io.err(
        `note: --office "${office}" was not checked against a policy; pass --policy POLICY.jws to check it (and to align the browser's own AI features with it)`,
      );
    }
    if (optionalString(args, 'extension-id') === undefined && format !== 'firefox' && format !== 'google-admin') {
      io.err(
        `note: no --extension-id: the snippet names ${EXTENSION_ID}, the unpacked build's ID; a CRX you packed has the ID "keygen --crx" printed for your key, a store listing the store's ID`,
      );
    }
    if (scope === 'machine' && userId !== undefined)
      io.err(
        'warning: --user-id in a machine-wide snippet gives every user of the machine the same id; use --scope user for per-user values',
      );

    const settings: BrowserSettings = {
      hardening: {
        allowIncognito: flag(args, 'allow-incognito'),
        allowGuest: flag(args, 'allow-guest'),
        allowNewProfiles: flag(args, 'allow-new-profiles'),
        allowNetworkPrediction: flag(args, 'allow-network-prediction'),
      },
      control,
      ai,
    };
    checkBlocklist(format as DeployFormat, control, browsers);
    const target: DeployTarget = {
      extensionId,
      geckoId,
      updateUrl: checkedUrl(optionalString(args, 'update-url') ?? DEFAULT_UPDATE_URL, '--update-url'),
      firefoxInstallUrl: checkedUrl(
        optionalString(args, 'install-url') ?? DEFAULT_FIREFOX_INSTALL_URL,
        '--install-url',
      ),
      settings,
      browsers,
      scope,
    };
    const output = renderDeployConfig(format as Exclude<DeployFormat, 'admx'>, managed, target);
    if (format === 'chrome-windows-reg' && /[^\p{ASCII}]/u.test(output)) {
      io.err(
        'warning: the .reg file contains non-ASCII text; save it as UTF-16 LE (PowerShell: Out-File -Encoding Unicode) before importing',
      );
    }
    if (format === 'google-admin') {
      const browserFlags = [
        'extension-control',
        'allow-extension',
        'block-extension',
        'allow-incognito',
        'allow-guest',
        'allow-new-profiles',
        'allow-network-prediction',
        'update-url',
        'extension-id',
      ].filter((f) => args.values[f] !== undefined);
      if (browserFlags.length)
        io.err(
          `note: ${browserFlags.map((f) => `--${f}`).join(', ')} shape browser policies, which this box does not hold: make the same choices in the Admin console`,
        );
      io.err(
        'note: the Admin console sets browser policies in its own pages: force-install the extension by ID, and in Settings turn off Incognito mode, Browser guest mode and Add profiles, set Extensions → "*" to block, and Network prediction to "never" (docs/deploy.md)',
      );
    }
    const outPath = optionalString(args, 'out');
    if (outPath === undefined) io.out(output);
    else {
      writeAtomically(outPath, output);
      io.err(`wrote ${outPath}`);
    }
    return 0;
  },
};

/** --audit-header "Name: value", repeatable; undefined when none is given. */
function headerFlags(args: ParsedArgs): Record<string, string> | undefined {
  const list = stringList(args, 'audit-header');
  if (list.length === 0) return undefined;
  const headers: Record<string, string> = {};
  for (const h of list) {
    const m = /^([^:\s]+)\s*:\s*(.*)$/.exec(h);
    // Never echo the value: it is usually a token.
    if (!m) throw usageError(`--audit-header takes "Name: value", got "${h.split(':')[0]}…"`);
    headers[m[1]!] = m[2]!;
  }
  return headers;
}

function oneOf<T extends string>(args: ParsedArgs, name: string, values: readonly T[]): T | undefined {
  const v = optionalString(args, name);
  if (v === undefined) return undefined;
  if (!(values as readonly string[]).includes(v))
    throw usageError(`--${name} must be ${values.map((x) => `"${x}"`).join(' or ')}, got "${v}"`);
  return v as T;
}

/** The Chromium browsers a snippet is for: --browser, or what the format implies. */
function chosenBrowsers(args: ParsedArgs, format: DeployFormat): ChromiumBrowser[] {
  const browser = oneOf(args, 'browser', ['chrome', 'edge'] as const);
  if (format === 'edge-macos-plist') {
    if (browser === 'chrome')
      throw usageError('--format edge-macos-plist is for Edge; use --format chrome-macos-plist for Chrome');
    return ['edge'];
  }
  if (browser !== undefined && (format === 'firefox' || format === 'google-admin'))
    throw usageError(`--browser does not apply to --format ${format}`);
  if (browser) return [browser];
  return format === 'chrome-windows-reg' || format === 'admx' ? ['chrome', 'edge'] : ['chrome'];
}

function extensionControl(args: ParsedArgs): ExtensionControl {
  const mode = oneOf(args, 'extension-control', ['allowlist', 'blocklist'] as const) ?? 'allowlist';
  const ids = (name: string) =>
    stringList(args, name)
      .flatMap((v) => v.split(','))
      .map((v) => v.trim())
      .filter(Boolean)
      .map((id) => {
        if (!CHROMIUM_ID.test(id) && !GECKO_ID_PATTERN.test(id))
          throw usageError(
            `--${name} "${id}" is neither a Chrome/Edge ID (32 letters a-p) nor a Firefox add-on ID (name@domain or {GUID})`,
          );
        return id;
      });
  const allowed = ids('allow-extension');
  const extra = ids('block-extension');
  if (mode === 'blocklist' && allowed.length)
    throw usageError(
      '--allow-extension is for --extension-control allowlist: in blocklist mode every extension not blocked is allowed',
    );
  if (mode === 'allowlist' && extra.length)
    throw usageError(
      '--block-extension is for --extension-control blocklist: in allowlist mode every extension not allowed is blocked',
    );
  return { mode, allowed, blocked: mode === 'blocklist' ? [...new Set([...catalogueExtensionIds(), ...extra])] : [] };
}

/** A blocklist that blocks nothing for the browsers of this snippet is a hole, not a setting. */
function checkBlocklist(format: DeployFormat, control: ExtensionControl, browsers: ChromiumBrowser[]): void {
  if (control.mode !== 'blocklist' || format === 'google-admin') return;
  const targets = format === 'firefox' ? (['firefox'] as const) : browsers;
  for (const b of targets) {
    if (idsFor(b, control.blocked).length === 0) {
      throw new CliError(
        `--extension-control blocklist would block no extension in ${b === 'firefox' ? 'Firefox' : b === 'edge' ? 'Edge' : 'Chrome'}: the built-in catalogue lists no AI extension IDs for it; ` +
          'add the AI extensions you know of with --block-extension ID, or use the allowlist (the default)',
      );
    }
  }
}

/** --office must be one of the policy's offices; otherwise name the valid ones and the likely one. */
function checkOffice(office: string, policy: Pick<Policy, 'offices'>): void {
  const problem = officeProblem(policy, office);
  if (!problem) return;
  throw new CliError(
    `--office "${office}" is not an office of the policy (valid codes: ${problem.valid.join(', ')})${problem.suggestion ? `; did you mean ${problem.suggestion}?` : ''}`,
  );
}

/**
 * Groups no rule names: harmless today, but a misspelt group ("trader" for "traders") silently
 * drops the employee out of every rule written for the real one, so each is named.
 */
function unknownGroups(groups: readonly string[], policy: Pick<Policy, 'rules'>): string[] {
  const named = new Set(policy.rules.flatMap((r) => [...(r.groups ?? []), ...(r.exceptGroups ?? [])]));
  return groups
    .filter((g) => !named.has(g))
    .map((g) => {
      return `--groups "${g}" is named by no rule of the policy${didYouMean(g, named)}`;
    });
}

function browserAiFor(policy: Policy, employee: { office: string; groups?: string[] }) {
  const compiled = compilePolicy(policy);
  const now = Date.now();
  const expires = Date.parse(policy.expires);
  const changes: number[] = [];
  for (
    let at = nextRuleChange(policy, now);
    at !== null && at < expires && changes.length < 1000;
    at = nextRuleChange(policy, at)
  )
    changes.push(at);
  return browserAiFromPolicy((url, at) => decide(compiled, employee, url, at), changes, now);
}

/** `--format admx --out DIR`: the two files Group Policy needs, in the PolicyDefinitions layout. */
function writeAdmx(args: ParsedArgs, io: Io, extensionId: string, browsers: ChromiumBrowser[]): number {
  const dir = optionalString(args, 'out');
  if (dir === undefined)
    throw usageError(`--format admx writes two files (${ADMX_FILE} and ${ADML_FILE}): pass --out DIR`);
  const { admx, adml } = renderAdmx(managedSchema as ManagedSchema, extensionId, browsers);
  writeAtomically(join(dir, ADMX_FILE), admx);
  writeAtomically(join(dir, ADML_FILE), adml);
  io.out(`${join(dir, ADMX_FILE)}\n${join(dir, ADML_FILE)}`);
  return 0;
}

/** Write through a temporary file, so a failure never leaves half a policy behind. */
function writeAtomically(path: string, text: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, text, { mode: 0o644 });
    renameSync(tmp, path);
  } catch (e) {
    throw new CliError(`cannot write "${path}": ${(e as Error).message}`);
  }
}

function checkedUrl(url: string, name: string): string {
  const problem = checkFetchUrl(url.trim());
  if (problem) throw new CliError(`${name}: ${problem}`);
  return url.trim();
}
