/** The shape every CLI command module exports. */
import type { FlagSpecs, ParsedArgs } from './args.ts';
import type { Io } from './io.ts';

export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The full `--help` text. */
  help: string;
  flags: FlagSpecs;
  allowPositionals: boolean;
  /** Run with parsed arguments; resolves to the exit code. Throws CliError for one-line failures. */
  run(args: ParsedArgs, io: Io): Promise<number>;
}
