/** `verify POLICY.jws --keys TRUSTED.json`: the extension's own checks, run from the command line. */
import { ruleIdAt } from '../../core/lint/lint-read.ts';
import { lintPolicy } from '../../core/lint/lint.ts';
import { pickText } from '../../core/policy/localized-text.ts';
import { parsePolicy, type Policy } from '../../core/policy/policy-schema.ts';
import { checkFreshness, decodeSignedJson, parseJwsUnverified, verifyPolicy } from '../../core/policy/verify.ts';
import { optionalInstant, optionalInt, requiredString } from '../args.ts';
import type { Command } from '../command.ts';
import { CliError, usageError } from '../errors.ts';
import { readText, readTrustedKeys } from '../files.ts';
import { countSummary, formatIssue } from '../lint-file.ts';

export const verify: Command = {
  name: 'verify',
  summary: 'verify a signed policy exactly as the extension would',
  help: `Usage: ai-geofence verify POLICY.jws --keys TRUSTED.json [--threshold N] [--min-serial N] [--at ISO]

Runs the same verification as the extension (signatures, allowed algorithms, header typ, schema,
issued/expires, rollback) and prints a summary: serial, issuer, issued, expires, signers, offices,
number of rules, and what lint finds in the payload (a valid signature does not make a rule say what
was meant; the findings are listed on stderr and do not change the exit code).

Flags:
  --keys FILE       trusted public keys: a JSON array of JWKs (as in the managed "trustedKeys")
                    or a JWKS {"keys": [...]}
  --threshold N     distinct trusted keys that must have signed (managed "signatureThreshold"); default 1
  --min-serial N    refuse a serial lower than N (rollback check against the policy in force)
  --at ISO          check validity at this instant instead of now

Exit codes: 0 valid, 1 refused (the reason is printed on stderr), 2 usage error.`,
  flags: {
    keys: { type: 'string' },
    threshold: { type: 'string' },
    'min-serial': { type: 'string' },
    at: { type: 'string' },
  },
  allowPositionals: true,
  async run(args, io) {
    if (args.positionals.length !== 1)
      throw usageError('"verify" needs exactly one POLICY.jws (see: ai-geofence verify --help)');
    const file = args.positionals[0]!;
    // Flags first, files second: a usage mistake is reported as such even when a file is missing.
    const keysPath = requiredString(args, 'keys', 'verify');
    const threshold = optionalInt(args, 'threshold', 1, 10) ?? 1;
    const minSerial = optionalInt(args, 'min-serial', 0, Number.MAX_SAFE_INTEGER);
    const now = optionalInstant(args, 'at', Date.now());
    const trustedKeys = readTrustedKeys(keysPath, io.err);
    if (threshold > trustedKeys.length)
      throw new CliError(
        `--threshold ${threshold} exceeds the ${trustedKeys.length} trusted key(s); no policy could ever pass`,
      );

    const text = readText(file, 'signed policy');
    const result = await verifyPolicy(text, { trustedKeys, threshold, now });
    if (!result.ok) {
      // The signatures held but the payload is not a policy browsers accept: name every problem, one per line.
      if (result.code === 'invalid-policy') for (const line of schemaErrors(file, text)) io.err(line);
      throw new CliError(`${file}: refused (${result.code}): ${result.message}`);
    }
    if (minSerial !== undefined) {
      // Same rule as the extension, with the minimum standing in for the policy in force; an equal
      // serial passes here because we have no payload to compare it with.
      const rollback = checkFreshness(result.policy, result.payloadHash, now, {
        serial: minSerial,
        payloadHash: result.payloadHash,
      });
      if (rollback && !rollback.ok) throw new CliError(`${file}: refused (${rollback.code}): ${rollback.message}`);
    }
    // Valid is not the same as meant: name the honest mistakes lint finds in what was signed.
    const issues = lintPolicy(JSON.parse(result.payloadText), now);
    for (const issue of issues) io.err(formatIssue(file, issue));
    io.out(summarize(file, result.policy, result.signers, result.payloadHash, now));
    io.out(
      `  lint:     ${issues.length ? `${countSummary(issues)} (listed on stderr; run: ai-geofence lint ${file})` : 'no problems found'}`,
    );
    return 0;
  },
};

function summarize(file: string, p: Policy, signers: string[], hash: string, now: number): string {
  const days = Math.floor((Date.parse(p.expires) - now) / 86_400_000);
  const offices = Object.entries(p.offices).map(([code, o]) => `${code} (${pickText(o.name, ['en'])})`);
  return [
    `${file}: valid`,
    `  serial:   ${p.serial}`,
    `  issuer:   ${p.issuer ?? '(none)'}`,
    `  issued:   ${p.issued}`,
    `  expires:  ${p.expires} (in ${days} day${days === 1 ? '' : 's'})`,
    `  signers:  ${signers.join(', ')}`,
    `  offices:  ${offices.join(', ')}`,
    `  rules:    ${p.rules.length}`,
    `  sha256:   ${hash}`,
  ].join('\n');
}

/** The payload's schema errors as lint prints them (JSON path and rule id); read after the signatures verified. */
function schemaErrors(file: string, text: string): string[] {
  const jws = parseJwsUnverified(text);
  const payload = jws.ok ? decodeSignedJson(jws.jws.payload) : null;
  if (!payload?.ok) return [];
  const parsed = parsePolicy(payload.value);
  if (parsed.ok) return [];
  const rules = (payload.value as { rules?: unknown }).rules;
  return parsed.issues.map((issue) => {
    const rule = ruleIdAt(issue.path, rules);
    return formatIssue(file, {
      severity: 'error',
      path: issue.path,
      message: issue.message,
      ...(rule === undefined ? {} : { rule }),
    });
  });
}
