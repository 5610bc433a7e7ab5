/** `lint POLICY.json`: schema and semantic problems, each with its JSON path. */
import { parseNetworks } from '../../core/networks.ts';
import { parseStrictJson } from '../../core/strict-json.ts';
import { flag, optionalInstant, optionalString } from '../args.ts';
import type { Command } from '../command.ts';
import { CliError, usageError } from '../errors.ts';
import { readText } from '../files.ts';
import { countSummary, formatIssue, lintFile } from '../lint-file.ts';

export const lint: Command = {
  name: 'lint',
  summary: 'check a policy for schema and semantic errors',
  help: `Usage: ai-geofence lint POLICY.json [--at ISO] [--networks NETWORKS.json] [--json]

Checks an unsigned policy: the schema (Contract 2) and semantic problems such as a rule naming an
unknown tool, a rule that can never match, or an alternative that is itself blocked. Each problem is
printed with its JSON path, e.g.
  policy.json: error $.rules[2].tools[0]: unknown tool "claud"

Flags:
  --at ISO   lint as of this instant instead of now (expiry and rule windows)
  --networks NETWORKS.json
             the location service's networks table: a zone that a rule's "locations" or
             "exceptLocations" names but the table does not define is an error
  --json     print the issues as a JSON array of {"severity","path","message"}

Exit codes: 0 no errors (warnings allowed), 1 errors found or the file cannot be read, 2 usage error.`,
  flags: { at: { type: 'string' }, json: { type: 'boolean' }, networks: { type: 'string' } },
  allowPositionals: true,
  async run(args, io) {
    if (args.positionals.length !== 1) throw usageError('"lint" needs exactly one POLICY.json (see: ai-geofence lint --help)');
    const file = args.positionals[0]!;
    const networksPath = optionalString(args, 'networks');
    const zones = networksPath === undefined ? undefined : readZones(networksPath);
    const { issues } = lintFile(file, optionalInstant(args, 'at', Date.now()), zones ? { zones } : {});
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
