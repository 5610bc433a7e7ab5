/** `diff OLD NEW`: every decision that changes between two policy versions. */
import { compilePolicy } from '../../core/decide/decide.ts';
import { changesForPeople, diffPolicies, formatChange, type PolicyDiff } from '../../core/policy/policy-diff.ts';
import type { PublicJwk } from '../../core/policy/verify.ts';
import { flag, optionalInstant, optionalInt, optionalString } from '../args.ts';
import type { Command } from '../command.ts';
import { CliError, usageError } from '../errors.ts';
import { readTrustedKeys } from '../files.ts';
import type { Io } from '../io.ts';
import { readPolicyVersion, type PolicyVersion } from '../policy-source.ts';

export const diff: Command = {
  name: 'diff',
  summary: 'show every decision that changes between two policy versions',
  help: `Usage: ai-geofence diff OLD.json|OLD.jws NEW.json|NEW.jws [--keys TRUSTED.json] [--threshold N] [--at ISO] [--json]

Compares what two policy versions decide, for every office of either version (with no group, and
with each group a rule of either version names), for every tool either version names (its own
tools and the catalogue tools its rules reference; every tool when "defaultAction" changes), and
for each model a model-level rule names. One line per change:
  HK · deepseek: block (ASIA-DEEPSEEK) → allow (no rule)
  HK [group traders] · claude: warn (NON-US-ANTHROPIC) → block (TRADERS-CLAUDE)
A group's line is shown only where it differs from its office's. Also listed: offices added or
removed (an employee configured with a removed office fails closed), tools whose domains or paths
change, "defaultAction"/"unlistedAiAction" changes, and rule windows that open or close later.

Rules with "from"/"until" are judged at one instant: now, or --at.

Flags:
  --keys FILE       trusted public keys: each .jws input is verified (signatures and threshold,
                    not dates: an old version may have expired). Without --keys a .jws is read
                    but its signature is NOT checked, and the output says so
  --threshold N     signatures required when verifying; default 1
  --at ISO          decide at this instant instead of now
  --json            print exactly a JSON array of {"office","groups","tool","before":{"action",
                    "rule"},"after":{"action","rule"}} ("model" added for a model-level change,
                    "note" on a side whose office or tool that version does not define); the
                    other findings go to stderr

Exit codes: 0 no decision changes, 1 some change, 2 bad input (unreadable, invalid, bad signature)
or usage error.`,
  flags: { keys: { type: 'string' }, threshold: { type: 'string' }, at: { type: 'string' }, json: { type: 'boolean' } },
  allowPositionals: true,
  async run(args, io) {
    if (args.positionals.length !== 2)
      throw usageError('"diff" needs two policies, OLD and NEW (see: ai-geofence diff --help)');
    const [oldPath, newPath] = args.positionals as [string, string];
    const now = optionalInstant(args, 'at', Date.now());
    const threshold = optionalInt(args, 'threshold', 1, 10) ?? 1;
    const keysPath = optionalString(args, 'keys');
    let keys: PublicJwk[] | undefined;
    try {
      keys = keysPath === undefined ? undefined : readTrustedKeys(keysPath, io.err);
    } catch (e) {
      throw e instanceof CliError ? new CliError(e.message, 2) : e;
    }
    const before = await readPolicyVersion(oldPath, keys, threshold);
    const after = await readPolicyVersion(newPath, keys, threshold);
    const result = diffPolicies(compilePolicy(before.policy), compilePolicy(after.policy), now);
    const json = flag(args, 'json');
    // With --json, stdout is the array alone; everything else is a note on stderr.
    const say = json ? io.err : io.out;

    say(`Before: serial ${before.policy.serial} · ${oldPath} (${describeTrust(before)})`);
    say(`After:  serial ${after.policy.serial} · ${newPath} (${describeTrust(after)})`);
    say(`Decisions at ${result.at}${args.values.at === undefined ? ' (now; --at for another instant)' : ''}`);
    for (const w of serialWarnings(before, after)) io.err(`warning: ${w}`);
    if (json) io.out(JSON.stringify(result.changes, null, 2));
    else printChanges(result, io);
    printFindings(result, say);

    const changed = result.changes.length + result.coverage.length + result.settings.length > 0;
    return changed ? 1 : 0;
  },
};

function describeTrust(v: PolicyVersion): string {
  if (v.trust === 'verified') return `verified, signed by ${v.signers.join(', ')}`;
  if (v.trust === 'not-checked')
    return 'signed, but the signature was NOT checked: pass --keys TRUSTED.json to verify it';
  return 'unsigned JSON';
}

/** Browsers refuse a NEW that does not move the serial forward; say so before anyone publishes it. */
function serialWarnings(before: PolicyVersion, after: PolicyVersion): string[] {
  const [a, b] = [before.policy.serial, after.policy.serial];
  if (b < a) return [`NEW has serial ${b}, lower than OLD's ${a}: browsers holding OLD refuse NEW as a rollback`];
  if (b === a && before.payloadText !== after.payloadText)
    return [`both versions have serial ${a} but differ: browsers holding OLD refuse NEW; give it a higher serial`];
  return [];
}

function printChanges(result: PolicyDiff, io: Io): void {
  const shown = changesForPeople(result.changes);
  for (const c of shown) io.out(formatChange(c));
  const folded = result.changes.length - shown.length;
  if (result.changes.length === 0) io.out('No decision changes.');
  else
    io.out(
      `${result.changes.length} decision${result.changes.length === 1 ? '' : 's'} change${result.changes.length === 1 ? 's' : ''}${folded ? ` (${folded} group line${folded === 1 ? '' : 's'} not shown: ${folded === 1 ? 'it changes' : 'they change'} as the office does; --json lists all)` : ''}.`,
    );
}

function printFindings(result: PolicyDiff, say: (text: string) => void): void {
  const { added, removed } = result.offices;
  if (removed.length)
    say(
      `Offices removed: ${removed.join(', ')} — employees still configured with ${removed.length === 1 ? 'it' : 'them'} get a configuration error and fail closed`,
    );
  if (added.length) say(`Offices added: ${added.join(', ')}`);
  for (const c of result.coverage) {
    const parts: string[] = [];
    if (c.domainsRemoved.length) parts.push(`no longer covers ${c.domainsRemoved.join(', ')}`);
    if (c.domainsAdded.length) parts.push(`now covers ${c.domainsAdded.join(', ')}`);
    if (JSON.stringify(c.pathsBefore) !== JSON.stringify(c.pathsAfter))
      parts.push(`paths ${c.pathsBefore?.join(', ') ?? '(all)'} → ${c.pathsAfter?.join(', ') ?? '(all)'}`);
    say(`Tool ${c.tool}: ${parts.join('; ')}`);
  }
  for (const s of result.settings) say(`${s.field}: ${s.before} → ${s.after}`);
  for (const u of result.upcoming) {
    say(
      `Later: at ${u.at} rule ${u.rule} (${u.version === 'before' ? 'OLD' : 'NEW'}) ${u.edge === 'from' ? 'starts' : 'ends'}; decisions then may differ (run with --at ${u.at})`,
    );
  }
}
