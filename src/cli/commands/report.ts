/** `report EVENTS… [--fleet INVENTORY.csv] [--html FILE] [--csv FILE]`: the compliance officer's evidence per office. */
import { writeFileSync } from 'node:fs';
import { countCompliance, parseInventoryCsv, type ComplianceReport } from '../../core/audit/compliance-report.ts';
import { renderComplianceCsv, renderComplianceHtml } from '../../core/audit/compliance-render.ts';
import { DEFAULT_SILENT_HOURS } from '../../core/audit/ledger.ts';
import { flag, optionalInstant, optionalInt, optionalString } from '../args.ts';
import type { Command } from '../command.ts';
import { CliError } from '../errors.ts';
import { describeInputs, evidenceInputs, EVENTS_USAGE, INPUTS_HELP, streamEvents } from '../evidence.ts';
import { readText } from '../files.ts';

export const report: Command = {
  name: 'report',
  summary: 'compliance evidence per office (coverage, blocks, warnings, acknowledgements…) as HTML and CSV',
  help: `Usage: ai-geofence report ${EVENTS_USAGE} [--fleet INVENTORY.csv] [--html FILE] [--csv FILE]
                          [--since ISO] [--at ISO] [--current-serial N] [--silent-hours N] [--json]

${INPUTS_HELP}

Per office: browsers expected (from --fleet), reporting, on the current policy serial, on another
serial, silent (no event for --silent-hours; silent since when) and expected but never reported;
blocks, warnings, warnings proceeded past and how many with a justification, data controls,
notice acknowledgements by notice version, uses of signed exceptions; and the unlisted AI tools
browsers discovered. Prints a summary; --html writes one self-contained page with charts (no
external assets, no script), --csv one row per office for a spreadsheet.

Flags:
  --fleet FILE        the MDM's inventory as CSV: a header with an "office" column, then one row
                      per device, or one per office with a "count" column
  --html FILE         write the HTML report
  --csv FILE          write the CSV report
  --since ISO         count activity from this instant (coverage always uses every event)
  --at ISO            report as of this instant (later events are ignored); default now
  --current-serial N  the serial that should be in force; default the highest seen
  --silent-hours N    hours without any event before a browser counts as silent; default ${DEFAULT_SILENT_HOURS}
  --json              print the report as JSON instead of the summary

Run audit-verify on the same input: the report counts events, audit-verify proves none was altered
or removed.

Exit codes: 0 report written, 1 unreadable input or inventory, 2 usage error.`,
  flags: {
    fleet: { type: 'string' },
    html: { type: 'string' },
    csv: { type: 'string' },
    since: { type: 'string' },
    at: { type: 'string' },
    'current-serial': { type: 'string' },
    'silent-hours': { type: 'string' },
    json: { type: 'boolean' },
  },
  allowPositionals: true,
  async run(args, io) {
    const inputs = evidenceInputs(args, 'report');
    const file = describeInputs(inputs);
    const fleetPath = optionalString(args, 'fleet');
    let expected: Map<string, number> | undefined;
    if (fleetPath) {
      try {
        expected = parseInventoryCsv(readText(fleetPath, 'inventory'));
      } catch (e) {
        throw e instanceof CliError ? e : new CliError(`inventory "${fleetPath}": ${(e as Error).message}`);
      }
    }
    const since = optionalString(args, 'since') === undefined ? undefined : optionalInstant(args, 'since', 0);
    const counter = countCompliance({
      at: optionalInstant(args, 'at', Date.now()),
      since,
      currentSerial: optionalInt(args, 'current-serial', 0, Number.MAX_SAFE_INTEGER),
      silentHours: optionalInt(args, 'silent-hours', 1, 24 * 365) ?? DEFAULT_SILENT_HOURS,
      expected,
    });
    await streamEvents(
      inputs,
      io,
      (l) => counter.add(l.event),
      (m) => io.err(`${file}: warning: ${m.message} (skipped)`),
    );
    const r = counter.finish();
    const write = (path: string | undefined, text: string) => {
      if (!path) return;
      try {
        writeFileSync(path, text);
      } catch (e) {
        throw new CliError(`cannot write "${path}": ${(e as Error).message}`);
      }
      io.err(`wrote ${path}`);
    };
    write(optionalString(args, 'html'), renderComplianceHtml(r));
    write(optionalString(args, 'csv'), renderComplianceCsv(r));
    io.out(flag(args, 'json') ? JSON.stringify(r, null, 2) : formatSummary(file, r));
    return 0;
  },
};

function formatSummary(file: string, r: ComplianceReport): string {
  const out = [
    `${file}: ${r.counted} event(s) in the period (${r.events} read) · as of ${r.at} · current serial ${r.currentSerial ?? '(none seen)'}`,
  ];
  const cols = [
    'office',
    'expected',
    'reporting',
    'current',
    'stale',
    'silent',
    'missing',
    'blocks',
    'warnings',
    'proceeded',
    'justified',
    'acks',
    'exceptions',
  ];
  const rows = [...r.offices, r.totals].map((o) =>
    [
      o.office,
      o.expected ?? '-',
      o.reporting,
      o.current,
      o.stale,
      o.silent,
      o.missing ?? '-',
      o.blocks,
      o.warnings,
      o.proceeded,
      o.justifications,
      Object.values(o.acknowledgements).reduce((a, b) => a + b, 0),
      Object.values(o.exceptions).reduce((a, b) => a + b, 0),
    ].map(String),
  );
  const widths = cols.map((c, i) => Math.max(c.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (cells: readonly string[]) =>
    `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`;
  out.push(fmt(cols), ...rows.map(fmt));
  for (const o of r.offices)
    if (o.silentSince)
      out.push(`  ${o.office}: ${o.silent} silent browser(s), the first silent since ${o.silentSince}`);
  if (r.discovered.length)
    out.push(`  ${r.discovered.length} unlisted AI tool host(s) discovered (ai-geofence discovered lists them)`);
  if (r.unknownOffices.length)
    out.push(`  reporting from offices the inventory does not list: ${r.unknownOffices.join(', ')}`);
  return out.join('\n');
}
