/**
 * The compliance officer's report, from collected audit events: per office, the browsers expected
 * (from the MDM's inventory), reporting, on the current serial and silent (since when); what was
 * blocked, warned, proceeded past with a justification, acknowledged (by notice version), allowed
 * by a signed exception; and the unlisted AI tools browsers discovered. Pure and streaming: events
 * are added one at a time, memory grows with browsers, offices, rules and hosts, not events.
 * Rendering (HTML with inline SVG charts, CSV) is in compliance-render.ts.
 */
import { countCoverage, type CoverageOptions, type CoverageReport } from './ledger.ts';
import { discoveredReport, type DiscoveredHostReport } from '../discovery/discovery.ts';
import { EXCEPTION_RULE_PREFIX } from '../exceptions/exceptions.ts';

export interface OfficeActivity {
  blocks: number;
  warnings: number;
  proceeded: number;
  justifications: number;
  dataControls: number;
  /** Notice acknowledgements by "RULE v<version>". */
  acknowledgements: Record<string, number>;
  /** Uses of a signed exception, by exception rule id. */
  exceptions: Record<string, number>;
}

export interface OfficeRow extends OfficeActivity {
  office: string;
  /** From the inventory; null without one. */
  expected: number | null;
  reporting: number;
  current: number;
  stale: number;
  silent: number;
  /** Expected but never reported (inventory count minus browsers seen), when an inventory was given. */
  missing: number | null;
  /** The earliest last-seen time among the silent browsers: silent since then at least. */
  silentSince: string | null;
}

export interface ComplianceReport {
  at: string;
  since: string | null;
  currentSerial: number | null;
  currentSince: string | null;
  silentHours: number;
  offices: OfficeRow[];
  totals: OfficeRow;
  /** Per day (UTC, YYYY-MM-DD): blocks and warnings, all offices. */
  days: Array<{ day: string; blocks: number; warnings: number }>;
  discovered: DiscoveredHostReport[];
  /** Events read, and those counted (inside the window). */
  events: number;
  counted: number;
  /** Offices in the inventory that no browser reports from, and the reverse, named apart. */
  unknownOffices: string[];
}

const emptyActivity = (): OfficeActivity => ({
  blocks: 0,
  warnings: 0,
  proceeded: 0,
  justifications: 0,
  dataControls: 0,
  acknowledgements: {},
  exceptions: {},
});
const bump = (m: Record<string, number>, k: string): void => {
  m[k] = (m[k] ?? 0) + 1;
};
const NO_OFFICE = '(none)';

/** The report, one event at a time. `expected`: browsers per office from the inventory. */
export function countCompliance(opts: CoverageOptions & { since?: number; expected?: Map<string, number> }): {
  add(event: Readonly<Record<string, unknown>>): void;
  finish(): ComplianceReport;
} {
  const coverage = countCoverage(opts);
  const activity = new Map<string, OfficeActivity>();
  const days = new Map<string, { blocks: number; warnings: number }>();
  const found: Array<Readonly<Record<string, unknown>>> = [];
  let events = 0;
  let counted = 0;
  const since = opts.since ?? -Infinity;

  return {
    add(event) {
      events += 1;
      coverage.add(event);
      const time = typeof event.time === 'string' ? Date.parse(event.time) : Number.NaN;
      if (!Number.isFinite(time) || time > opts.at || time < since) return;
      counted += 1;
      const office = typeof event.office === 'string' ? event.office : NO_OFFICE;
      let a = activity.get(office);
      if (!a) {
        a = emptyActivity();
        activity.set(office, a);
      }
      const detail = (event.detail && typeof event.detail === 'object' ? event.detail : {}) as Record<string, unknown>;
      const day = new Date(time).toISOString().slice(0, 10);
      let d = days.get(day);
      if (!d) {
        d = { blocks: 0, warnings: 0 };
        days.set(day, d);
      }
      const rule = typeof event.rule === 'string' ? event.rule : null;
      if (rule?.startsWith(EXCEPTION_RULE_PREFIX)) bump(a.exceptions, rule.slice(EXCEPTION_RULE_PREFIX.length));
      switch (event.type) {
        case 'block':
          a.blocks += 1;
          d.blocks += 1;
          break;
        case 'warn-shown':
          a.warnings += 1;
          d.warnings += 1;
          break;
        case 'warn-proceeded':
          a.proceeded += 1;
          if (typeof detail.justification === 'string' && detail.justification.trim()) a.justifications += 1;
          break;
        case 'notice-acknowledged':
          bump(a.acknowledgements, `${rule ?? '?'} v${typeof detail.version === 'number' ? detail.version : '?'}`);
          break;
        case 'data-control':
          a.dataControls += 1;
          break;
        case 'discovered-tool':
          found.push(event);
          break;
      }
    },
    finish() {
      const cov = coverage.finish();
      const rows = officeRows(cov, activity, opts.expected);
      const totals = sumRows(rows);
      const seen = new Set(cov.offices.map((o) => o.office ?? NO_OFFICE));
      return {
        at: cov.at,
        since: Number.isFinite(since) ? new Date(since).toISOString() : null,
        currentSerial: cov.currentSerial,
        currentSince: cov.currentSince,
        silentHours: cov.silentHours,
        offices: rows,
        totals,
        days: [...days.entries()].sort(([x], [y]) => x.localeCompare(y)).map(([day, v]) => ({ day, ...v })),
        discovered: discoveredReport(found).hosts,
        events,
        counted,
        unknownOffices: opts.expected ? [...seen].filter((o) => !opts.expected!.has(o)).sort() : [],
      };
    },
  };
}

function officeRows(
  cov: CoverageReport,
  activity: ReadonlyMap<string, OfficeActivity>,
  expected: ReadonlyMap<string, number> | undefined,
): OfficeRow[] {
  const names = new Set<string>([
    ...cov.offices.map((o) => o.office ?? NO_OFFICE),
    ...activity.keys(),
    ...(expected?.keys() ?? []),
  ]);
  return [...names]
    .sort((a, b) => (a === NO_OFFICE ? 1 : b === NO_OFFICE ? -1 : a.localeCompare(b)))
    .map((office) => {
      const c = cov.offices.find((o) => (o.office ?? NO_OFFICE) === office);
      const silentSince =
        c?.list
          .filter((b) => b.status === 'silent')
          .reduce<string | null>((min, b) => (min === null || b.lastSeen < min ? b.lastSeen : min), null) ?? null;
      const exp = expected ? (expected.get(office) ?? 0) : null;
      const reporting = c?.browsers ?? 0;
      return {
        office,
        expected: exp,
        reporting,
        current: c?.current ?? 0,
        stale: c?.stale ?? 0,
        silent: c?.silent ?? 0,
        missing: exp === null ? null : Math.max(0, exp - reporting),
        silentSince,
        ...(activity.get(office) ?? emptyActivity()),
      };
    });
}

function sumRows(rows: readonly OfficeRow[]): OfficeRow {
  const t: OfficeRow = {
    office: 'all offices',
    expected: null,
    reporting: 0,
    current: 0,
    stale: 0,
    silent: 0,
    missing: null,
    silentSince: null,
    ...emptyActivity(),
  };
  for (const r of rows) {
    if (r.expected !== null) t.expected = (t.expected ?? 0) + r.expected;
    if (r.missing !== null) t.missing = (t.missing ?? 0) + r.missing;
    for (const k of [
      'reporting',
      'current',
      'stale',
      'silent',
      'blocks',
      'warnings',
      'proceeded',
      'justifications',
      'dataControls',
    ] as const)
      t[k] += r[k];
    if (r.silentSince && (!t.silentSince || r.silentSince < t.silentSince)) t.silentSince = r.silentSince;
    for (const [k, n] of Object.entries(r.acknowledgements)) t.acknowledgements[k] = (t.acknowledgements[k] ?? 0) + n;
    for (const [k, n] of Object.entries(r.exceptions)) t.exceptions[k] = (t.exceptions[k] ?? 0) + n;
  }
  return t;
}

/**
 * Browsers expected per office from an MDM inventory CSV: a header row naming an `office` column
 * (any case; also "site" or "location"), then one row per device, or per office with a `count`
 * (or "devices", "browsers") column. Throws an Error naming the line for anything else.
 */
export function parseInventoryCsv(text: string): Map<string, number> {
  const rows = parseCsv(text).filter((r) => r.some((c) => c.trim() !== ''));
  if (rows.length === 0) throw new Error('the inventory is empty');
  const header = rows[0]!.map((h) => h.trim().toLowerCase());
  const officeCol = header.findIndex((h) => h === 'office' || h === 'site' || h === 'location');
  if (officeCol === -1) throw new Error(`line 1: no "office" column (columns: ${rows[0]!.join(', ')})`);
  const countCol = header.findIndex((h) => h === 'count' || h === 'devices' || h === 'browsers');
  const out = new Map<string, number>();
  rows.slice(1).forEach((r, i) => {
    const office = (r[officeCol] ?? '').trim();
    if (!office) throw new Error(`line ${i + 2}: no office`);
    let n = 1;
    if (countCol !== -1) {
      const raw = (r[countCol] ?? '').trim();
      if (!/^\d+$/.test(raw)) throw new Error(`line ${i + 2}: count "${raw}" is not a whole number`);
      n = Number(raw);
    }
    out.set(office, (out.get(office) ?? 0) + n);
  });
  return out;
}

/** RFC 4180 CSV (quotes, doubled quotes, CRLF or LF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length) rows.push([...row, cell]);
  return rows;
}
