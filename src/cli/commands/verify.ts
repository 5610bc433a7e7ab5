/** `verify POLICY.jws --keys TRUSTED.json`: the extension's own checks, run from the command line. */
import type { Policy } from '../../core/policy-schema.ts';
import { pickText } from '../../core/messages.ts';
import { checkFreshness, verifyPolicy } from '../../core/verify.ts';
import { optionalInstant, optionalInt, requiredString } from '../args.ts';
import type { Command } from '../command.ts';
import { CliError, usageError } from '../errors.ts';
import { readText, readTrustedKeys } from '../files.ts';

export const verify: Command = {
  name: 'verify',
  summary: 'verify a signed policy exactly as the extension would',
  help: `Usage: ai-geofence verify POLICY.jws --keys TRUSTED.json [--threshold N] [--min-serial N] [--at ISO]

Runs the same verification as the extension (signatures, allowed algorithms, header typ, schema,
issued/expires, rollback) and prints a summary: serial, issuer, issued, expires, signers, offices,
number of rules.

Flags:
  --keys FILE       trusted public keys: a JSON array of JWKs (as in the managed "trustedKeys")
                    or a JWKS {"keys": [...]}
  --threshold N     distinct trusted keys that must have signed (managed "signatureThreshold"); default 1
  --min-serial N    refuse a serial lower than N (rollback check against the policy in force)
  --at ISO          check validity at this instant instead of now

Exit codes: 0 valid, 1 refused (the reason is printed on stderr), 2 usage error.`,
  flags: { keys: { type: 'string' }, threshold: { type: 'string' }, 'min-serial': { type: 'string' }, at: { type: 'string' } },
  allowPositionals: true,
  async run(args, io) {
    if (args.positionals.length !== 1) throw usageError('"verify" needs exactly one POLICY.jws (see: ai-geofence verify --help)');
    const file = args.positionals[0]!;
    // Flags first, files second: a usage mistake is reported as such even when a file is missing.
    const keysPath = requiredString(args, 'keys', 'verify');
    const threshold = optionalInt(args, 'threshold', 1, 10) ?? 1;
    const minSerial = optionalInt(args, 'min-serial', 0, Number.MAX_SAFE_INTEGER);
    const now = optionalInstant(args, 'at', Date.now());
    const trustedKeys = readTrustedKeys(keysPath, io.err);
    if (threshold > trustedKeys.length) throw new CliError(`--threshold ${threshold} exceeds the ${trustedKeys.length} trusted key(s); no policy could ever pass`);

    const result = await verifyPolicy(readText(file, 'signed policy'), { trustedKeys, threshold, now });
    if (!result.ok) throw new CliError(`${file}: refused (${result.code}): ${result.message}`);
    if (minSerial !== undefined) {
      // Same rule as the extension, with the minimum standing in for the policy in force; an equal
      // serial passes here because we have no payload to compare it with.
      const rollback = checkFreshness(result.policy, result.payloadHash, now, { serial: minSerial, payloadHash: result.payloadHash });
      if (rollback && !rollback.ok) throw new CliError(`${file}: refused (${rollback.code}): ${rollback.message}`);
    }
    io.out(summarize(file, result.policy, result.signers, result.payloadHash, now));
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
