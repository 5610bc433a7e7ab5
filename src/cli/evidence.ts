/** What the evidence commands (audit-verify, coverage, discovered, report) share: their inputs and the hash. */
import type { LedgerFinding, LedgerLine } from '../core/audit/ledger.ts';
import type { ParsedArgs } from './args.ts';
import { usageError } from './errors.ts';
import { expandInputs, readEventInputs } from './event-stream.ts';
import type { Io } from './io.ts';

export { sha256Sync } from './sha256.ts';

/** The usage line's name for the inputs. */
export const EVENTS_USAGE = 'EVENTS…';

/** The help text paragraph every evidence command shares. */
export const INPUTS_HELP = `EVENTS is one or more inputs read in order as one stream: JSON-lines files as the reference
collector's export or a SIEM writes them (one event per line; Splunk HEC lines
{"time","sourcetype","event"} are unwrapped), gzip-compressed or not (recognised by content),
the reference collector's SQLite store, "-" for standard input, or a glob such as
"events-*.jsonl.gz" (wildcards in the file name; matches in natural order). Memory grows with the
number of browsers, not of events.`;

/** Expand the positionals into the inputs, or a usage error naming the command. */
export function evidenceInputs(args: ParsedArgs, command: string): string[] {
  if (args.positionals.length === 0)
    throw usageError(`"${command}" needs at least one EVENTS input (see: ai-geofence ${command} --help)`);
  return expandInputs(args.positionals);
}

/** How the inputs are named in a report's first line. */
export function describeInputs(inputs: readonly string[]): string {
  const names = inputs.map((i) => (i === '-' ? 'stdin' : i));
  return names.length === 1 ? names[0]! : `${names.length} inputs (${names[0]} … ${names[names.length - 1]})`;
}

/** Stream the inputs' events to `onEvent`; malformed lines go to `onMalformed`. */
export function streamEvents(
  inputs: readonly string[],
  io: Io,
  onEvent: (line: LedgerLine) => void,
  onMalformed: (finding: LedgerFinding) => void,
): Promise<void> {
  return readEventInputs(inputs, { event: onEvent, malformed: onMalformed }, io.stdin);
}
