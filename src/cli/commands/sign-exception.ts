/** `sign-exception EXCEPTIONS.json --key PRIVATE.jwk [--key …] --out EXCEPTIONS.jws`: check, then sign the file's exact bytes. */
import { checkExceptionsAgainstPolicy } from '../../core/exceptions/exceptions-check.ts';
import {
  EXCEPTIONS_JWS_TYP,
  exceptionWarnings,
  parseExceptions,
  type ExceptionsDoc,
} from '../../core/exceptions/exceptions.ts';
import { formatIssues } from '../../core/policy/policy-schema.ts';
import { parseStrictJson } from '../../core/policy/strict-json.ts';
import { checkDocumentFreshness } from '../../core/policy/verify.ts';
import { optionalString } from '../args.ts';
import type { Command } from '../command.ts';
import type { Io } from '../io.ts';
import { readPolicyVersion } from '../policy-source.ts';
import { signAndWrite, signingArgs } from '../signing.ts';
import { CliError, usageError } from '../errors.ts';
import { readBytes, readTrustedKeys } from '../files.ts';

export const signException: Command = {
  name: 'sign-exception',
  summary: 'check a signed-exceptions document and sign it with one or more private keys',
  help: `Usage: ai-geofence sign-exception EXCEPTIONS.json --key PRIVATE.jwk [--key PRIVATE2.jwk …] --out EXCEPTIONS.jws
                                  [--policy POLICY.json|POLICY.jws [--keys TRUSTED.json]]

Checks the exceptions document against its schema ({"type": "ai-geofence-exceptions", "version": 1,
"serial", "issued", "expires", "issuer", "exceptions": [{"id", "user", "tool", "offices"?, "until",
"ticket", "approver", "reason"?}]}), refuses one with errors or already expired (entries that have
ended, or outlive the document, are warnings), then signs the exact bytes of the file:
  one --key      compact serialization
  several --key  general JSON serialization, one signature per key
Every protected header is {"alg", "kid", "typ": "${EXCEPTIONS_JWS_TYP}"}; browsers verify it with
the same trusted keys and threshold as the policy, and never accept it as a policy (or a policy as
exceptions). Publish it at the managed "exceptionsUrl".

With --policy, every exception is checked against the policy it lifts rules of: a tool neither the
policy nor the catalogue defines, or an office the policy does not define, is an error (with the
valid names and a near match: "claud" → "claude", "HKG" → "HK"); an exception for a tool no rule
blocks or warns about is a warning. Without --policy, a note says the names were not checked.

Flags:
  --key FILE   a private JWK made by "keygen" (repeatable)
  --out FILE   where to write the JWS ("-" for stdout)
  --at ISO     check expiry as of this instant instead of now
  --policy FILE  the policy in force (JSON, or a JWS: verified with --keys, else only read)
  --keys FILE    trusted public keys to verify a signed --policy

Exit codes: 0 signed, 1 invalid or expired document / bad key, 2 usage error.`,
  flags: {
    key: { type: 'string', multiple: true },
    out: { type: 'string' },
    at: { type: 'string' },
    policy: { type: 'string' },
    keys: { type: 'string' },
  },
  allowPositionals: true,
  async run(args, io) {
    const { file, out, now, keys, kids } = signingArgs(args, 'sign-exception', 'EXCEPTIONS.json');

    const bytes = readBytes(file, 'exceptions document');
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new CliError(`exceptions document "${file}" is not valid UTF-8`);
    }
    // Strict JSON: browsers refuse duplicate keys, so signing such a file would publish a dud.
    const json = parseStrictJson(text);
    if (!json.ok) throw new CliError(`refusing to sign ${file}: not acceptable JSON: ${json.message}`);
    const parsed = parseExceptions(json.value);
    if (!parsed.ok) {
      for (const issue of parsed.issues) io.err(`${file}: error ${issue.path}: ${issue.message}`);
      throw new CliError(
        `refusing to sign ${file}: it does not match the exceptions schema (${formatIssues(parsed.issues, 3)})`,
      );
    }
    const doc = parsed.doc;
    const fresh = checkDocumentFreshness(doc, '', now, null, 'exceptions document');
    if (fresh?.code === 'expired') throw new CliError(`refusing to sign ${file}: ${fresh.message}`);
    if (fresh) io.err(`${file}: warning: ${fresh.message}; browsers will refuse it until then`);
    for (const w of exceptionWarnings(doc, now)) io.err(`${file}: warning ${w.path}: ${w.message}`);
    await checkAgainstPolicy(file, doc, optionalString(args, 'policy'), optionalString(args, 'keys'), io);

    const { form, toStdout } = await signAndWrite(bytes, keys, EXCEPTIONS_JWS_TYP, out, (t) => io.out(t));
    if (toStdout) return 0;
    io.out(
      `Signed ${file} (exceptions serial ${doc.serial}, ${doc.exceptions.length} exception(s)) with ${[...kids].join(', ')} → ${out} (${form})`,
    );
    return 0;
  },
};

/** Refuse exceptions naming a tool or office the policy does not know: they would lift nothing. */
async function checkAgainstPolicy(
  file: string,
  doc: ExceptionsDoc,
  policyPath: string | undefined,
  keysPath: string | undefined,
  io: Io,
): Promise<void> {
  if (policyPath === undefined) {
    if (keysPath !== undefined)
      throw usageError(
        '--keys verifies a signed --policy; pass --policy POLICY.jws (see: ai-geofence sign-exception --help)',
      );
    io.err(
      `note: ${file}: tools and offices were not checked against a policy (pass --policy POLICY.json to catch "claud" or "HKG")`,
    );
    return;
  }
  const version = await readPolicyVersion(
    policyPath,
    keysPath === undefined ? undefined : readTrustedKeys(keysPath, io.err),
    1,
    1,
  );
  if (version.trust === 'not-checked')
    io.err(
      `note: ${policyPath}: the policy's signature was NOT checked (pass --keys TRUSTED.json); it is only read for its tool and office names`,
    );
  const { errors, warnings } = checkExceptionsAgainstPolicy(doc, version.policy);
  for (const w of warnings) io.err(`${file}: warning ${w.path}: ${w.message}`);
  for (const e of errors) io.err(`${file}: error ${e.path}: ${e.message}`);
  if (errors.length > 0)
    throw new CliError(
      `refusing to sign ${file}: ${errors.length} tool or office name${errors.length === 1 ? '' : 's'} the policy (serial ${version.policy.serial}) does not know`,
    );
}
