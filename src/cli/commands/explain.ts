/** `explain --policy P --office CODE URL…`: what the extension decides for each URL. */
import { CATALOGUE, CATALOGUE_UPDATED } from '../../core/catalogue/catalogue.ts';
import { compilePolicy, decide, type Decision } from '../../core/decide/decide.ts';
import { formatLocation, parseLocationArg, type BrowserLocation } from '../../core/location/location.ts';
import { describeSelectedBy, type SelectedBy } from '../../core/catalogue/tool-attributes.ts';
import { formatMatrix, policyGroups, policyMatrix, UNVERIFIED_LOCATION } from '../../core/decide/matrix.ts';
import { didYouMean } from '../../core/config/near-match.ts';
import {
  applyException,
  findException,
  parseExceptions,
  verifyExceptions,
  type ExceptionsDoc,
} from '../../core/exceptions/exceptions.ts';
import { pickText } from '../../core/policy/localized-text.ts';
import type { ExceptionRef } from '../../core/exceptions/exceptions.ts';
import { formatIssues, type Policy } from '../../core/policy/policy-schema.ts';
import { parseStrictJson } from '../../core/policy/strict-json.ts';
import { commaList, flag, optionalInstant, optionalInt, optionalString, requiredString } from '../args.ts';
import type { Command } from '../command.ts';
import { CliError, usageError } from '../errors.ts';
import { readText, readTrustedKeys } from '../files.ts';
import type { Io } from '../io.ts';
import { loadPolicy, looksLikeJws } from '../policy-source.ts';

/** One line of `explain --json`; its field names are public (docs/cli.md#explain). */
export interface ExplainRow {
  url: string;
  action: Decision['action'];
  tool: string | null;
  rule: string | null;
  /** Only with --exceptions: the exception that lifted a block or warn, or null. */
  exception?: ExceptionRef | null;
  /** Only when the rule reached the tool by attribute (`toolsWhere`): which attribute and value. */
  selectedBy?: SelectedBy;
  /** Only for a web proxy's form of a host (`claude-ai.translate.goog`): the host it relays. */
  proxiedHost?: string;
}

export const explain: Command = {
  name: 'explain',
  summary: 'show the decision for URLs as an employee of an office would get it',
  help: `Usage: ai-geofence explain --policy POLICY.json|POLICY.jws [--keys TRUSTED.json] --office CODE
                           [--groups a,b] [--location CC[/ZONE]|unverified] [--at ISO]
                           [--lang TAG] [--json] [--exceptions EXCEPTIONS.jws --user ID] URL…
       ai-geofence explain --policy POLICY.json|POLICY.jws [--keys TRUSTED.json] --matrix
                           [--groups a,b] [--locations CC[/ZONE],…] [--at ISO] [--json]
       ai-geofence explain --catalogue [--json]

For each URL prints the decision the extension makes for an employee of that office:
  https://claude.ai/new → block (claude, HK-ANTHROPIC-2026-11) — Do not use: Anthropic Claude
A URL without a scheme is taken as https://.

Flags:
  --policy FILE     an unsigned policy (JSON) or a signed one (JWS); a JWS is verified first
  --keys FILE       trusted public keys, required for a JWS
  --threshold N     signatures required when verifying a JWS; default 1
  --office CODE     the employee's office, a key of the policy's "offices"
  --groups a,b      the employee's groups (managed "groups")
  --location L      where the browser is, as the location service would say: a country (HK),
                    a country and network zone (HK/HK-OFFICE), or "unverified" (no verified
                    location: the policy's "unknownLocation" decides). Default: at the office,
                    i.e. in the office's jurisdiction. "What if this HK employee were in the
                    US": --office HK --location US
  --at ISO          decide at this instant instead of now (rule from/until windows, expiry)
  --lang TAG        language for notice titles and the office name; default en
  --json            print exactly a JSON array of {"url","action","tool","rule"}
                    (tool and rule are null where nothing matched); a rule that reached the
                    tool by attribute (toolsWhere) adds "selectedBy": {"attribute","value"}, and
                    a translation proxy's form of a host adds "proxiedHost"
  --exceptions FILE a signed exceptions document (JWS, verified with the same --keys and
                    --threshold) or an unsigned draft (JSON); needs --user. A block or warn
                    lifted by an exception is shown as allow, with the exception (and in --json
                    an extra "exception" key: {"id","until","ticket","approver"} or null)
  --user ID         the employee's id (managed "userId") the exceptions are looked up for
  --matrix          instead of URLs: a table of every office (× no group and each group the
                    rules name, or those of --groups) × every tool the policy names, with the
                    action and deciding rule; model-level rules shown as +action[models].
                    Beside "at the office", a row per country the rules' "locations" name
                    (and "unverified" when "unknownLocation" is "closed"), or per --locations.
                    With --json: {"serial","at","tools","groups","locations","rows":[{"office",
                    "officeName","group","location","cells":{TOOL:{"action","rule","modelRules"}}}]}
                    ("location" null at the office)
  --locations L,…   with --matrix: the locations to show (CC, CC/ZONE or unverified)
  --catalogue       instead of a policy: the built-in catalogue, one tool a line with its vendor,
                    vendor's country, category, enterprise offering, training on consumer inputs,
                    the vendors whose models it serves and its domains. With --json: an object
                    {"updated","tools":{ID:{...attributes, "domains", "sources":[{"url","checked",
                    "supports"}]}}}, sources included (the extension ships without them)

Exit codes: 0 explained, 1 policy refused / unknown office, 2 usage error.`,
  flags: {
    policy: { type: 'string' },
    keys: { type: 'string' },
    threshold: { type: 'string' },
    office: { type: 'string' },
    groups: { type: 'string', multiple: true },
    at: { type: 'string' },
    lang: { type: 'string' },
    json: { type: 'boolean' },
    exceptions: { type: 'string' },
    user: { type: 'string' },
    matrix: { type: 'boolean' },
    location: { type: 'string' },
    locations: { type: 'string', multiple: true },
    catalogue: { type: 'boolean' },
  },
  allowPositionals: true,
  async run(args, io) {
    if (flag(args, 'catalogue')) {
      if (args.positionals.length > 0) throw usageError('--catalogue takes no URLs (see: ai-geofence explain --help)');
      for (const f of ['policy', 'office', 'exceptions', 'user'] as const) {
        if (args.values[f] !== undefined)
          throw usageError(
            `--catalogue lists the built-in catalogue and takes no --${f} (see: ai-geofence explain --help)`,
          );
      }
      if (flag(args, 'json')) io.out(JSON.stringify({ updated: CATALOGUE_UPDATED, tools: CATALOGUE }, null, 2));
      else io.out(formatCatalogue());
      return 0;
    }
    const policyPath = requiredString(args, 'policy', 'explain');
    // --matrix answers "who gets what" for the whole policy, so it takes no office and no URLs.
    if (flag(args, 'matrix')) {
      if (args.positionals.length > 0) throw usageError('--matrix takes no URLs (see: ai-geofence explain --help)');
      for (const f of ['office', 'exceptions', 'user', 'location'] as const) {
        if (args.values[f] !== undefined)
          throw usageError(`--matrix covers every office and takes no --${f} (see: ai-geofence explain --help)`);
      }
      const now = optionalInstant(args, 'at', Date.now());
      const threshold = optionalInt(args, 'threshold', 1, 10) ?? 1;
      const { policy, signers } = await loadPolicy(policyPath, optionalString(args, 'keys'), threshold, now, io.err);
      const groups = commaList(args, 'groups');
      warnUnknownGroups(groups ?? [], policy, io);
      const locations = commaList(args, 'locations');
      for (const l of locations ?? []) {
        const parsed = l === UNVERIFIED_LOCATION ? null : parseLocationArg(l);
        if (typeof parsed === 'string') throw usageError(parsed.replace('--location', '--locations'));
      }
      const m = policyMatrix(compilePolicy(policy), now, {
        ...(groups ? { groups } : {}),
        ...(locations ? { locations } : {}),
      });
      if (flag(args, 'json')) {
        io.out(JSON.stringify(m, null, 2));
        return 0;
      }
      io.out(
        `Policy serial ${policy.serial} (${signers ? `verified, signed by ${signers.join(', ')}` : 'unsigned'}) · at ${m.at}`,
      );
      io.out(formatMatrix(m));
      return 0;
    }
    if (args.values.locations !== undefined)
      throw usageError('--locations is for --matrix; for URLs give one --location (see: ai-geofence explain --help)');
    const office = requiredString(args, 'office', 'explain').trim();
    const locationArg = optionalString(args, 'location')?.trim();
    const askedLocation =
      locationArg === undefined || locationArg === UNVERIFIED_LOCATION ? null : parseLocationArg(locationArg);
    if (typeof askedLocation === 'string') throw usageError(askedLocation);
    if (args.positionals.length === 0)
      throw usageError('"explain" needs at least one URL (see: ai-geofence explain --help)');
    const groups = commaList(args, 'groups') ?? [];
    const now = optionalInstant(args, 'at', Date.now());
    const threshold = optionalInt(args, 'threshold', 1, 10) ?? 1;
    const lang = optionalString(args, 'lang') ?? 'en';
    const json = flag(args, 'json');
    const exceptionsPath = optionalString(args, 'exceptions');
    const user = optionalString(args, 'user')?.trim();
    if (exceptionsPath !== undefined && !user)
      throw usageError(
        '--exceptions needs --user ID, the employee the exceptions are looked up for (see: ai-geofence explain --help)',
      );
    if (user !== undefined && exceptionsPath === undefined)
      throw usageError('--user is used with --exceptions EXCEPTIONS.jws (see: ai-geofence explain --help)');

    const { policy, signers } = await loadPolicy(policyPath, optionalString(args, 'keys'), threshold, now, io.err);
    const exceptions =
      exceptionsPath === undefined
        ? null
        : await loadExceptions(exceptionsPath, optionalString(args, 'keys'), threshold, now, io.err);
    const officeInfo = policy.offices[office];
    if (!officeInfo) {
      throw new CliError(
        `office "${office}" is not in the policy's offices (${Object.keys(policy.offices).join(', ')})${didYouMean(office, Object.keys(policy.offices))}`,
      );
    }

    warnUnknownGroups(groups, policy, io);
    // Default: at the office, whose jurisdiction is then where the browser is.
    const location: BrowserLocation | null =
      locationArg === undefined
        ? officeInfo.jurisdiction
          ? { country: officeInfo.jurisdiction }
          : null
        : askedLocation;
    const compiled = compilePolicy(policy);
    const decisions = args.positionals.map((url) => {
      const plain = decide(compiled, { office, groups, location }, withScheme(url), now);
      if (!exceptions) return { url, d: plain, exception: undefined };
      const lifted = applyException(
        plain,
        findException(exceptions.doc, user, plain.toolId, office, now),
        exceptions.doc,
      );
      return { url, d: lifted, exception: lifted.exception };
    });

    if (json) {
      const rows: ExplainRow[] = decisions.map(({ url, d, exception }) => ({
        url,
        action: d.action,
        tool: d.toolId,
        rule: d.rule?.id ?? null,
        // The four contract keys stay exactly as they were without --exceptions.
        ...(exception === undefined ? {} : { exception }),
        ...(d.selectedBy ? { selectedBy: d.selectedBy } : {}),
        ...(d.proxiedHost ? { proxiedHost: d.proxiedHost } : {}),
      }));
      io.out(JSON.stringify(rows, null, 2));
      return 0;
    }
    const source = signers ? `verified, signed by ${signers.join(', ')}` : 'unsigned';
    const exceptionsNote = exceptions
      ? ` · exceptions serial ${exceptions.doc.serial} (${exceptions.signers ? `verified, signed by ${exceptions.signers.join(', ')}` : 'unsigned'}) for user ${user}`
      : '';
    const where =
      locationArg === undefined
        ? `at the office${location ? ` (${location.country})` : ''}`
        : location
          ? `located in ${formatLocation(location)}`
          : `location unverified (unknownLocation: ${policy.unknownLocation})`;
    io.out(
      `Policy serial ${policy.serial} (${source}) · office ${office} (${pickText(officeInfo.name, [lang])})${groups.length ? ` · groups ${groups.join(', ')}` : ''} · ${where}${exceptionsNote} · at ${new Date(now).toISOString()}`,
    );
    for (const { url, d, exception } of decisions)
      io.out(describe(url, d, lang) + (exception ? describeException(exception) : ''));
    return 0;
  },
};

function withScheme(url: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(url) ? url : `https://${url}`;
}

function describe(url: string, d: Decision, lang: string): string {
  if (!d.toolId) return `${url} → ${d.action} (not an AI tool)`;
  const why = d.rule ? d.rule.id : 'no rule: defaultAction';
  const title = d.notice ? ` — ${pickText(d.notice.title, [lang])}` : '';
  const selected = d.selectedBy ? ` — because ${describeSelectedBy(d.selectedBy)}` : '';
  const proxied = d.proxiedHost ? ` — through a translation proxy of ${d.proxiedHost}` : '';
  return `${url} → ${d.action} (${d.toolId}, ${why})${title}${selected}${proxied}`;
}

/** The catalogue as a table: one tool a line, attributes the way `toolsWhere` names them. */
export function formatCatalogue(): string {
  const yesNo = (b: boolean | undefined) => (b === undefined ? '?' : b ? 'yes' : 'no');
  const head = ['id', 'name', 'vendor', 'country', 'category', 'enterprise', 'trains', 'models of', 'domains'];
  const rows = Object.entries(CATALOGUE).map(([id, t]) => [
    id,
    t.name,
    t.vendor ?? '?',
    t.vendorCountry ?? '?',
    t.category ?? '?',
    yesNo(t.enterprise),
    yesNo(t.trainsOnInputs),
    t.modelVendors?.join(', ') ?? '?',
    t.domains.join(' ') +
      (t.paths ? ` (paths ${t.paths.join(' ')})` : '') +
      (t.extensionIds ? ` [extensions ${t.extensionIds.join(' ')}]` : ''),
  ]);
  const widths = head.slice(0, -1).map((_, i) => Math.max(...[head, ...rows].map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i < widths.length ? c.padEnd(widths[i]!) : c)).join('  ');
  const total = Object.keys(CATALOGUE).length;
  const intro = `Built-in catalogue, reviewed ${CATALOGUE_UPDATED}: ${total} tools ("?" = unknown: a toolsWhere rule on that attribute does not select the tool)`;
  return [intro, line(head), ...rows.map(line)].join('\n');
}

function describeException(e: ExceptionRef): string {
  return ` — exception ${e.id} until ${e.until} (ticket ${e.ticket}, approved by ${e.approver})`;
}

/** An exceptions document: a JWS verified like the policy (same keys and threshold), or an unsigned draft. */
async function loadExceptions(
  path: string,
  keysPath: string | undefined,
  threshold: number,
  now: number,
  warn: (message: string) => void,
): Promise<{ doc: ExceptionsDoc; signers: string[] | null }> {
  const text = readText(path, 'exceptions document');
  const parsed = parseStrictJson(text);
  const json = parsed.ok ? parsed.value : undefined;
  if (looksLikeJws(text, json)) {
    if (!keysPath)
      throw usageError(`"${path}" is a signed exceptions document: pass --keys TRUSTED.json to verify it first`);
    const result = await verifyExceptions(text, { trustedKeys: readTrustedKeys(keysPath, warn), threshold, now });
    if (!result.ok) throw new CliError(`${path}: refused (${result.code}): ${result.message}`);
    return { doc: result.doc, signers: result.signers };
  }
  if (!parsed.ok) throw new CliError(`exceptions document "${path}" is neither JSON nor a JWS: ${parsed.message}`);
  const checked = parseExceptions(json);
  if (!checked.ok) throw new CliError(`exceptions document "${path}" is invalid: ${formatIssues(checked.issues, 3)}`);
  if (Date.parse(checked.doc.expires) <= now)
    warn(`warning: browsers would refuse these exceptions at that time: expired ${checked.doc.expires}`);
  warn(`note: "${path}" is unsigned JSON: browsers apply only a signed exceptions document`);
  return { doc: checked.doc, signers: null };
}

/** A group no rule names changes nothing; most often it is a typo or another case ("Traders"). */
function warnUnknownGroups(groups: readonly string[], policy: Policy, io: Io): void {
  const named = policyGroups(compilePolicy(policy));
  for (const g of groups) {
    if (named.includes(g)) continue;
    io.err(
      `note: no rule names group "${g}" (groups are compared exactly; rules name: ${named.length ? named.join(', ') : 'none'})${didYouMean(g, named)}`,
    );
  }
}
