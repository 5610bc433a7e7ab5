/** `lint POLICY.json|.jws`: schema and semantic problems, each with its JSON path and rule id. */
import { parseNetworks } from '../../core/location/networks.ts';
import { parseStrictJson } from '../../core/policy/strict-json.ts';
import { flag, optionalInstant, optionalString } from '../args.ts';
import type { Command } from '../command.ts';
import { CliError, usageError } from '../errors.ts';
import { readText } from '../files.ts';
import { countSummary, formatIssue, lintFile } from '../lint-file.ts';

export const lint: Command = {
  name: 'lint',
  summary: 'check a policy for schema and semantic errors',
  help: `Usage: ai-geofence lint POLICY.json|POLICY.jws [--at ISO] [--networks NETWORKS.json] [--json]

Checks a policy: the schema (a field the extension does not know is an error) and semantic
problems such as a rule naming an unknown tool, office or model, a jurisdiction that is not an
ISO 3166-1 alpha-2 code, a region no office has, a rule that can never match, an alternative that
is itself blocked, two tools claiming one URL, a notice translated only in part, catalogue domains
dropped by "replaceCatalogue". Each problem is printed with its JSON path and, for a rule, its id:
  policy.json: error $.rules[2].tools[0] (rule "HK-CLAUDE"): unknown tool "claud"; did you mean "claude"?
A signed policy (JWS) is taken apart and its payload linted; its signatures are not checked
(use "verify" for that).

Flags:
  --at ISO   lint as of this instant instead of now (expiry and rule windows)
  --networks NETWORKS.json
             the location service's networks table: a zone that a rule's "locations" or
             "exceptLocations" names but the table does not define is an error
  --json     print the issues as a JSON array of {"severity","path","message","rule"?}
             ("rule": the id of the rule the issue is about, when it is under $.rules[N])

Exit codes: 0 no errors (warnings allowed), 1 errors found or the file cannot be read, 2 usage error.`,
  flags: { at: { type: 'string' }, json: { type: 'boolean' }, networks: { type: 'string' } },
  allowPositionals: true,
  async run(args, io) {
    if (args.positionals.length !== 1)
      throw usageError('"lint" needs exactly one POLICY.json (see: ai-geofence lint --help)');
    const file = args.positionals[0]!;
    const networksPath = optionalString(args, 'networks');
    const zones = networksPath === undefined ? undefined : readZones(networksPath);
    const { issues, signed } = lintFile(file, optionalInstant(args, 'at', Date.now()), zones ? { zones } : {});
    // Linting a signed file is useful (what exactly was published?), but it proves nothing about who signed it.
    if (signed)
      io.err(
        `note: ${file} is a signed policy (JWS): linting its payload; the signatures were NOT checked (run: ai-geofence verify ${file} --keys TRUSTED.json)`,
      );
    const hasErrors = issues.some((i) => i.severity === 'error');
    if (flag(args, 'json')) {
      io.out(JSON.stringify(issues, null, 2));
    } else {
      for (const issue of issues) io.out(formatIssue(file, issue));
      io.out(issues.length === 0 ? `${file}: no problems found` : `${file}: ${countSummary(issues)}`);
    }
    return hasErrors ? 1 : 0;
  },
};

/** The zone names of a location service's networks table. */
function readZones(path: string): string[] {
  const parsed = parseStrictJson(readText(path, 'networks table'));
  if (!parsed.ok) throw new CliError(`networks table "${path}" is not JSON: ${parsed.message}`);
  try {
    return parseNetworks(parsed.value).zones();
  } catch (e) {
    throw new CliError(`networks table "${path}": ${e instanceof Error ? e.message : String(e)}`);
  }
}
