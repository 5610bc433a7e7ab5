/** `sign POLICY.json --key PRIVATE.jwk [--key …] --out POLICY.jws`: lint, then sign the file's exact bytes. */
import { parsePolicy, POLICY_JWS_TYP } from '../../core/policy/policy-schema.ts';
import { checkFreshness } from '../../core/policy/verify.ts';
import type { Command } from '../command.ts';
import { signAndWrite, signingArgs } from '../signing.ts';
import { CliError } from '../errors.ts';
import { countSummary, formatIssue, lintFile } from '../lint-file.ts';

export const sign: Command = {
  name: 'sign',
  summary: 'lint a policy and sign it with one or more private keys',
  help: `Usage: ai-geofence sign POLICY.json --key PRIVATE.jwk [--key PRIVATE2.jwk …] --out POLICY.jws

Lints the policy first and refuses to sign one with errors (warnings are printed and allowed), then
signs the exact bytes of the file:
  one --key      compact serialization (header.payload.signature)
  several --key  general JSON serialization, one signature per key (for signatureThreshold > 1
                 or for a key rollover, when browsers may trust the old or the new key)
Every protected header is {"alg", "kid", "typ": "${POLICY_JWS_TYP}"}.

Flags:
  --key FILE   a private JWK made by "keygen" (repeatable)
  --out FILE   where to write the JWS ("-" for stdout)
  --at ISO     lint and check expiry as of this instant instead of now

Exit codes: 0 signed, 1 lint errors / expired policy / bad key, 2 usage error.`,
  flags: { key: { type: 'string', multiple: true }, out: { type: 'string' }, at: { type: 'string' } },
  allowPositionals: true,
  async run(args, io) {
    const { file, out, now, keys, kids } = signingArgs(args, 'sign', 'POLICY.json');

    const { bytes, value, issues, signed } = lintFile(file, now);
    if (signed)
      throw new CliError(
        `${file} is already signed (a JWS); to add a signature, run: ai-geofence cosign ${file} --key PRIVATE.jwk --out OUT.jws`,
      );
    for (const issue of issues) io.err(formatIssue(file, issue));
    if (issues.some((i) => i.severity === 'error')) {
      throw new CliError(`refusing to sign ${file}: ${countSummary(issues)} (run: ai-geofence lint ${file})`);
    }
    // lint is the main gate; this re-check keeps sign safe even if a lint rule is missing.
    const parsed = parsePolicy(value);
    if (!parsed.ok) throw new CliError(`refusing to sign ${file}: it does not match the policy schema`);
    const fresh = checkFreshness(parsed.policy, '', now, null);
    if (fresh && !fresh.ok && fresh.code === 'expired')
      throw new CliError(`refusing to sign ${file}: ${fresh.message}`);
    if (fresh && !fresh.ok) io.err(`${file}: warning: ${fresh.message}; browsers will refuse it until then`);

    const { form, toStdout } = await signAndWrite(bytes, keys, POLICY_JWS_TYP, out, (t) => io.out(t));
    if (toStdout) return 0;
    io.out(`Signed ${file} (serial ${parsed.policy.serial}) with ${[...kids].join(', ')} → ${out} (${form})`);
    return 0;
  },
};
