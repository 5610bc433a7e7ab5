/** `explain --policy P --office CODE URL…`: what the extension decides for each URL. */
import { compilePolicy, decide, type Decision } from '../../core/decide.ts';
import type { LocalizedText } from '../../core/policy-schema.ts';
import { commaList, flag, optionalInstant, optionalInt, optionalString, requiredString } from '../args.ts';
import type { Command } from '../command.ts';
import { CliError, usageError } from '../errors.ts';
import { loadPolicy } from '../policy-source.ts';

/** One line of `explain --json` (Contract 3). */
export interface ExplainRow {
  url: string;
  action: Decision['action'];
  tool: string | null;
  rule: string | null;
}

export const explain: Command = {
  name: 'explain',
  summary: 'show the decision for URLs as an employee of an office would get it',
  help: `Usage: ai-geofence explain --policy POLICY.json|POLICY.jws [--keys TRUSTED.json] --office CODE
                           [--groups a,b] [--at ISO] [--lang TAG] [--json] URL…

For each URL prints the decision the extension makes for an employee of that office:
  https://claude.ai/new → block (claude, HK-ANTHROPIC-2026-11) — Do not use: Anthropic Claude
A URL without a scheme is taken as https://.

Flags:
  --policy FILE     an unsigned policy (JSON) or a signed one (JWS); a JWS is verified first
  --keys FILE       trusted public keys, required for a JWS
  --threshold N     signatures required when verifying a JWS; default 1
  --office CODE     the employee's office, a key of the policy's "offices"
  --groups a,b      the employee's groups (managed "groups")
  --at ISO          decide at this instant instead of now (rule from/until windows, expiry)
  --lang TAG        language for notice titles; default en
  --json            print exactly a JSON array of {"url","action","tool","rule"}
                    (tool and rule are null where nothing matched)

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
  },
  allowPositionals: true,
  async run(args, io) {
    const policyPath = requiredString(args, 'policy', 'explain');
    const office = requiredString(args, 'office', 'explain').trim();
    if (args.positionals.length === 0) throw usageError('"explain" needs at least one URL (see: ai-geofence explain --help)');
    const groups = commaList(args, 'groups') ?? [];
    const now = optionalInstant(args, 'at', Date.now());
    const threshold = optionalInt(args, 'threshold', 1, 10) ?? 1;
    const lang = optionalString(args, 'lang') ?? 'en';
    const json = flag(args, 'json');

    const { policy, signers } = await loadPolicy(policyPath, optionalString(args, 'keys'), threshold, now, io.err);
    const officeInfo = policy.offices[office];
    if (!officeInfo) {
      throw new CliError(`office "${office}" is not in the policy's offices (${Object.keys(policy.offices).join(', ')})`);
    }

    const compiled = compilePolicy(policy);
    const decisions = args.positionals.map((url) => ({ url, d: decide(compiled, { office, groups }, withScheme(url), now) }));

    if (json) {
      const rows: ExplainRow[] = decisions.map(({ url, d }) => ({ url, action: d.action, tool: d.toolId, rule: d.rule?.id ?? null }));
      io.out(JSON.stringify(rows, null, 2));
      return 0;
    }
    const source = signers ? `verified, signed by ${signers.join(', ')}` : 'unsigned';
    io.out(`Policy serial ${policy.serial} (${source}) · office ${office} (${officeInfo.name})${groups.length ? ` · groups ${groups.join(', ')}` : ''} · at ${new Date(now).toISOString()}`);
    for (const { url, d } of decisions) io.out(describe(url, d, lang));
    return 0;
  },
};

function withScheme(url: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(url) ? url : `https://${url}`;
}

function localize(text: LocalizedText, lang: string): string {
  if (typeof text === 'string') return text;
  return text[lang] ?? text[lang.split('-')[0]!] ?? text.en ?? '';
}

function describe(url: string, d: Decision, lang: string): string {
  if (!d.toolId) return `${url} → ${d.action} (not an AI tool)`;
  const why = d.rule ? d.rule.id : 'no rule: defaultAction';
  const title = d.notice ? ` — ${localize(d.notice.title, lang)}` : '';
  return `${url} → ${d.action} (${d.toolId}, ${why})${title}`;
}
