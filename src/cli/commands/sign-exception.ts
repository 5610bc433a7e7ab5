/** `sign-exception EXCEPTIONS.json --key PRIVATE.jwk [--key …] --out EXCEPTIONS.jws`: check, then sign the file's exact bytes. */
import { EXCEPTIONS_JWS_TYP, exceptionWarnings, parseExceptions } from '../../core/exceptions.ts';
import { formatIssues } from '../../core/policy-schema.ts';
import { parseStrictJson } from '../../core/strict-json.ts';
import { checkDocumentFreshness } from '../../core/verify.ts';
import type { Command } from '../command.ts';
import { signAndWrite, signingArgs } from '../signing.ts';
import { CliError } from '../errors.ts';
import { readBytes } from '../files.ts';

export const signException: Command = {
  name: 'sign-exception',
  summary: 'check a signed-exceptions document and sign it with one or more private keys',
  help: `Usage: ai-geofence sign-exception EXCEPTIONS.json --key PRIVATE.jwk [--key PRIVATE2.jwk …] --out EXCEPTIONS.jws

Checks the exceptions document against its schema ({"type": "ai-geofence-exceptions", "version": 1,
"serial", "issued", "expires", "issuer", "exceptions": [{"id", "user", "tool", "offices"?, "until",
"ticket", "approver", "reason"?}]}), refuses one with errors or already expired (entries that have
ended, or outlive the document, are warnings), then signs the exact bytes of the file:
  one --key      compact serialization
  several --key  general JSON serialization, one signature per key
Every protected header is {"alg", "kid", "typ": "${EXCEPTIONS_JWS_TYP}"}; browsers verify it with
the same trusted keys and threshold as the policy, and never accept it as a policy (or a policy as
exceptions). Publish it at the managed "exceptionsUrl".

Flags:
  --key FILE   a private JWK made by "keygen" (repeatable)
  --out FILE   where to write the JWS ("-" for stdout)
  --at ISO     check expiry as of this instant instead of now

Exit codes: 0 signed, 1 invalid or expired document / bad key, 2 usage error.`,
  flags: { key: { type: 'string', multiple: true }, out: { type: 'string' }, at: { type: 'string' } },
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
      throw new CliError(`refusing to sign ${file}: it does not match the exceptions schema (${formatIssues(parsed.issues, 3)})`);
    }
    const doc = parsed.doc;
    const fresh = checkDocumentFreshness(doc, '', now, null, 'exceptions document');
    if (fresh?.code === 'expired') throw new CliError(`refusing to sign ${file}: ${fresh.message}`);
    if (fresh) io.err(`${file}: warning: ${fresh.message}; browsers will refuse it until then`);
    for (const w of exceptionWarnings(doc, now)) io.err(`${file}: warning ${w.path}: ${w.message}`);

    const { form, toStdout } = await signAndWrite(bytes, keys, EXCEPTIONS_JWS_TYP, out, (t) => io.out(t));
    if (toStdout) return 0;
    io.out(`Signed ${file} (exceptions serial ${doc.serial}, ${doc.exceptions.length} exception(s)) with ${[...kids].join(', ')} → ${out} (${form})`);
    return 0;
  },
};
