/**
 * Where command output goes. stdout carries only the command's result (so `explain --json` and
 * `deploy-config` can be piped); everything else goes to stderr.
 */
export interface Io {
  /** The command's result. */
  out(text: string): void;
  /** Warnings and errors. */
  err(text: string): void;
  /** Standard input, for commands that read `-`; default the process's. */
  stdin?: AsyncIterable<Uint8Array>;
}

/** The process's own streams. */
export const PROCESS_IO: Io = {
  out: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};
