/** `audit-verify EVENTS…`: check every browser's tamper-evident ledger in collected audit events. */
import { LedgerVerifier, type LedgerFinding, type LedgerReport } from '../../core/audit/ledger.ts';
import { availableParallelism } from 'node:os';
import { flag, optionalInt } from '../args.ts';
import type { Command } from '../command.ts';
import { describeInputs, evidenceInputs, EVENTS_USAGE, INPUTS_HELP, sha256Sync } from '../evidence.ts';
import { fieldThreadsAvailable, readLedgerFields } from '../event-stream.ts';

export const auditVerify: Command = {
  name: 'audit-verify',
  summary: 'check the tamper-evident audit ledger of collected events (gaps, edits, reordering)',
  help: `Usage: ai-geofence audit-verify ${EVENTS_USAGE} [--partial] [--json]

${INPUTS_HELP}

Checks, for every browser ("source"), the chain of "seq" and "prev" hashes (SHA-256 of the
previous event's canonical JSON), across file boundaries:
  gap        events missing: a "prev" that matches no event (deleted lines)
  edited     an event whose hash is not what the next event recorded
  reordered  an event placed before its predecessor
  conflict   one id twice with different content (the same id twice, identical, is fine:
             delivery is at-least-once)
  fork       two different events with one seq
  malformed  a line that is not an event (not JSON, not UTF-8, a torn last line, a damaged .gz)
Events the browser itself dropped (queue full) and reported in a "dropped" event, and events from
extension versions before the ledger, are warnings. Prints one summary line per browser, then the
problems and warnings.

Flags:
  --partial   the first input starts after the beginning of a ledger (a rotated log): accept
              that for ledgers that begin in the first input; a later input never may (files
              given in order are one stream, so an event deleted at a boundary is a gap)
  --threads N worker threads that parse and hash (default: the cores, at most 4; 0: none)
  --json      print the report as JSON: {"events", "sources": [...], "problems": [...], "warnings": [...]}

Exit codes: 0 every ledger intact, 1 a problem found or the file unreadable, 2 usage error.`,
  flags: { partial: { type: 'boolean' }, json: { type: 'boolean' }, threads: { type: 'string' } },
  allowPositionals: true,
  async run(args, io) {
    const inputs = evidenceInputs(args, 'audit-verify');
    const file = describeInputs(inputs);
    const verifier = new LedgerVerifier({ hash: sha256Sync, partial: flag(args, 'partial') });
    // One core: threads would only add copying. Several: the chain check is the only serial part.
    const cores = availableParallelism();
    const threads =
      optionalInt(args, 'threads', 0, 64) ?? (fieldThreadsAvailable() && cores > 1 ? Math.min(4, cores) : 0);
    await readLedgerFields(
      inputs,
      { fields: (f, at) => verifier.addFields(f, at), malformed: (f) => verifier.addMalformed(f) },
      sha256Sync,
      threads,
      io.stdin,
    );
    const report = verifier.finish();
    if (flag(args, 'json')) io.out(JSON.stringify(report, null, 2));
    else io.out(formatReport(file, report));
    return report.problems.length > 0 ? 1 : 0;
  },
};

function formatReport(file: string, r: LedgerReport): string {
  const out = [`${file}: ${r.events} event(s) from ${r.sources.length} browser(s)`];
  for (const s of r.sources) {
    const repeats = s.duplicates ? ` (+${s.duplicates} identical repeat(s))` : '';
    const verdict = s.problems ? `${s.problems} PROBLEM(S)` : s.warnings ? `ok, ${s.warnings} warning(s)` : 'ok';
    out.push(
      `  ${s.source}  office ${s.office ?? '-'}  serial ${s.policySerial ?? '-'}  seq ${s.firstSeq}–${s.lastSeq}  ${s.events} event(s)${repeats}  ` +
        `${s.firstTime ?? '?'} → ${s.lastTime ?? '?'}  head ${s.head.slice(0, 12)}…  ${verdict}`,
    );
  }
  const list = (title: string, findings: readonly LedgerFinding[]) => {
    if (findings.length === 0) return;
    out.push(`${title}:`);
    for (const f of findings) out.push(`  ${f.kind}: ${f.message}`);
  };
  list('problems', r.problems);
  list('warnings', r.warnings);
  out.push(
    r.problems.length
      ? `${file}: ${r.problems.length} problem(s): the ledger is incomplete or was altered`
      : `${file}: every ledger is intact`,
  );
  return out.join('\n');
}
