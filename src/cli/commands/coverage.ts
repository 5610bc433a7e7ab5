/** `coverage EVENTS…`: per office, which browsers enforce the current policy, which are behind or silent. */
import { countCoverage, DEFAULT_SILENT_HOURS, type CoverageReport } from '../../core/audit/ledger.ts';
import { flag, optionalInstant, optionalInt } from '../args.ts';
import type { Command } from '../command.ts';
import { describeInputs, evidenceInputs, EVENTS_USAGE, INPUTS_HELP, streamEvents } from '../evidence.ts';

export const coverage: Command = {
  name: 'coverage',
  summary: 'report per office which browsers run the current policy, from audit heartbeats',
  help: `Usage: ai-geofence coverage ${EVENTS_USAGE} [--current-serial N] [--at ISO] [--silent-hours N] [--json]

${INPUTS_HELP}

Reports, per office, the browsers ("source") seen:
  current  its newest event (normally the daily heartbeat) carries the current policy serial
  stale    it carries another serial, or none (no valid policy)
  silent   no event at all for more than --silent-hours (default ${DEFAULT_SILENT_HOURS})
with each stale or silent browser's serial, last heartbeat and last event.

Flags:
  --current-serial N  the serial that should be in force; default the highest serial seen
  --at ISO            report as of this instant (events after it are ignored); default now
  --silent-hours N    hours without any event before a browser counts as silent; default ${DEFAULT_SILENT_HOURS}
  --json              print the report as JSON

Exit codes: 0 report printed, 1 unreadable file, 2 usage error.`,
  flags: {
    'current-serial': { type: 'string' },
    at: { type: 'string' },
    'silent-hours': { type: 'string' },
    json: { type: 'boolean' },
  },
  allowPositionals: true,
  async run(args, io) {
    const inputs = evidenceInputs(args, 'coverage');
    const file = describeInputs(inputs);
    const currentSerial = optionalInt(args, 'current-serial', 0, Number.MAX_SAFE_INTEGER);
    const silentHours = optionalInt(args, 'silent-hours', 1, 24 * 365) ?? DEFAULT_SILENT_HOURS;
    const at = optionalInstant(args, 'at', Date.now());
    const counter = countCoverage({ at, currentSerial, silentHours });
    // A damaged line costs its own event only; audit-verify is the tool that judges the file.
    await streamEvents(
      inputs,
      io,
      (l) => counter.add(l.event),
      (m) => io.err(`${file}: warning: ${m.message} (skipped)`),
    );
    const report = counter.finish();
    io.out(flag(args, 'json') ? JSON.stringify(report, null, 2) : formatCoverage(file, report));
    return 0;
  },
};

function formatCoverage(file: string, r: CoverageReport): string {
  const since = r.currentSince ? ` (first seen ${r.currentSince})` : '';
  const out = [
    `${file}: coverage at ${r.at} · current serial ${r.currentSerial ?? '(none seen)'}${since} · silent after ${r.silentHours} h`,
  ];
  if (r.offices.length === 0) out.push('  no browser has reported yet');
  const width = Math.max(6, ...r.offices.map((o) => (o.office ?? '(none)').length));
  if (r.offices.length) out.push(`  ${'office'.padEnd(width)}  browsers  current  stale  silent`);
  for (const o of r.offices) {
    out.push(
      `  ${(o.office ?? '(none)').padEnd(width)}  ${String(o.browsers).padStart(8)}  ${String(o.current).padStart(7)}  ${String(o.stale).padStart(5)}  ${String(o.silent).padStart(6)}`,
    );
  }
  for (const o of r.offices) {
    for (const b of o.list) {
      if (b.status === 'current') continue;
      const beat = b.lastHeartbeat ? `last heartbeat ${b.lastHeartbeat}` : 'no heartbeat';
      out.push(
        `  ${b.status} ${o.office ?? '(none)'} ${b.source}: serial ${b.policySerial ?? 'none'}${b.mode ? ` (${b.mode})` : ''}, ${beat}, last event ${b.lastSeen}`,
      );
    }
  }
  if (r.unattributed)
    out.push(`  ${r.unattributed} event(s) name no browser (extension versions before the ledger) and are not counted`);
  return out.join('\n');
}
