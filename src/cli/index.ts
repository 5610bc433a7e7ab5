/**
 * `ai-geofence` — the IT command-line tool (docs/cli.md). `bin/ai-geofence.mjs` bundles this file
 * and calls `main`; every command lives in its own module under `commands/`.
 */
import pkg from '../../package.json' with { type: 'json' };
import { parseFlags } from './args.ts';
import type { Command } from './command.ts';
import { auditVerify } from './commands/audit-verify.ts';
import { cosign } from './commands/cosign.ts';
import { coverage } from './commands/coverage.ts';
import { deployConfig } from './commands/deploy-config.ts';
import { diff } from './commands/diff.ts';
import { discovered } from './commands/discovered.ts';
import { explain } from './commands/explain.ts';
import { keygen } from './commands/keygen.ts';
import { lint } from './commands/lint.ts';
import { report } from './commands/report.ts';
import { sign } from './commands/sign.ts';
import { signException } from './commands/sign-exception.ts';
import { verify } from './commands/verify.ts';
import { CliError, usageError } from './errors.ts';
import { PROCESS_IO, type Io } from './io.ts';

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [
  keygen,
  lint,
  sign,
  cosign,
  verify,
  explain,
  diff,
  deployConfig,
  signException,
  auditVerify,
  coverage,
  discovered,
  report,
];

/** The top-level help. */
export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: ai-geofence <command> [flags]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run "ai-geofence <command> --help" for a command\'s flags; "ai-geofence --version" for the version.',
    'Exit codes: 0 success, 1 failure (the reason is printed on stderr), 2 usage error;',
    'diff: 0 no decision changes, 1 some change, 2 bad input.',
  ].join('\n');
}

/** Run the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], io: Io = PROCESS_IO): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined) throw usageError('missing command (run: ai-geofence --help)');
    if (name === '--version' || name === 'version') {
      // The extension's version too: the manifest takes it from package.json.
      io.out(`ai-geofence ${pkg.version}`);
      return 0;
    }
    if (name === '--help' || name === '-h' || name === 'help') {
      const topic = rest[0] && COMMANDS.find((c) => c.name === rest[0]);
      io.out(topic ? topic.help : usage());
      return 0;
    }
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) throw usageError(`unknown command "${name}" (commands: ${COMMANDS.map((c) => c.name).join(', ')})`);
    const args = parseFlags(command.name, rest, command.flags, command.allowPositionals);
    if (args.values.help === true) {
      io.out(command.help);
      return 0;
    }
    return await command.run(args, io);
  } catch (e) {
    if (e instanceof CliError) {
      io.err(`ai-geofence: ${e.message}`);
      return e.exitCode;
    }
    // A bug, not a user mistake: keep the stack so it can be reported.
    io.err(`ai-geofence: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  }
}
