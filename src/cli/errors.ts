/** Errors the CLI turns into one line on stderr and an exit code. */

/** A failure the user can act on: printed as one line, exit code 1 (or 2 for usage errors). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A mistake in how the command was called (unknown flag, missing argument): exit code 2. */
export function usageError(message: string): CliError {
  return new CliError(message, 2);
}
