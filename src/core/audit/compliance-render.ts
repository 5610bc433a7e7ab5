/**
 * The compliance report as files: CSV (one row per office, for a spreadsheet) and one
 * self-contained HTML page (inline CSS and SVG charts, no script, no external asset, so it can be
 * mailed or archived as evidence). Every text that came from events is escaped: events are
 * written by browsers, and a report must not become a way to run code or formulas.
 */
import type { ComplianceReport, OfficeRow } from './compliance-report.ts';

const COLUMNS: Array<[string, (r: OfficeRow) => string | number | null]> = [
  ['office', (r) => r.office],
  ['expected', (r) => r.expected],
  ['reporting', (r) => r.reporting],
  ['current_serial', (r) => r.current],
  ['stale', (r) => r.stale],
  ['silent', (r) => r.silent],
  ['missing', (r) => r.missing],
  ['silent_since', (r) => r.silentSince],
  ['blocks', (r) => r.blocks],
  ['warnings', (r) => r.warnings],
  ['proceeded', (r) => r.proceeded],
  ['justifications', (r) => r.justifications],
  ['data_controls', (r) => r.dataControls],
];

/** A CSV cell: quoted when needed; a leading = + - @ is neutralised (spreadsheet formula injection). */
function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row per office and a total row; acknowledgements and exceptions get a column each. */
export function renderComplianceCsv(r: ComplianceReport): string {
  const acks = Object.keys(r.totals.acknowledgements).sort();
  const exceptions = Object.keys(r.totals.exceptions).sort();
  const header = [
    ...COLUMNS.map(([n]) => n),
    ...acks.map((a) => `acknowledged ${a}`),
    ...exceptions.map((e) => `exception ${e}`),
  ];
  const line = (row: OfficeRow) =>
    [
      ...COLUMNS.map(([, f]) => f(row)),
      ...acks.map((a) => row.acknowledgements[a] ?? 0),
      ...exceptions.map((e) => row.exceptions[e] ?? 0),
    ]
      .map(csvCell)
      .join(',');
  return `${[header.map(csvCell).join(','), ...r.offices.map(line), line(r.totals)].join('\r\n')}\r\n`;
}

const esc = (s: string | number | null) =>
  s === null ? '—' : String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const COLORS = {
  current: '#2e7d32',
  stale: '#f9a825',
  silent: '#c62828',
  missing: '#9e9e9e',
  blocks: '#c62828',
  warnings: '#f9a825',
};

/** Horizontal stacked bars: per office, current / stale / silent / missing browsers. */
function coverageChart(rows: readonly OfficeRow[]): string {
  const width = 640;
  const label = 90;
  const barH = 22;
  const max = Math.max(1, ...rows.map((r) => r.current + r.stale + r.silent + (r.missing ?? 0)));
  const scale = (width - label - 60) / max;
  const bars = rows.map((r, i) => {
    let x = label;
    const y = 10 + i * (barH + 8);
    const parts = (['current', 'stale', 'silent', 'missing'] as const).map((k) => {
      const n = k === 'missing' ? (r.missing ?? 0) : r[k];
      const w = n * scale;
      const rect = n
        ? `<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${COLORS[k]}"><title>${esc(r.office)}: ${n} ${k}</title></rect>`
        : '';
      x += w;
      return rect;
    });
    const total = r.current + r.stale + r.silent + (r.missing ?? 0);
    return `<text x="${label - 6}" y="${y + 15}" text-anchor="end">${esc(r.office)}</text>${parts.join('')}<text x="${(x + 4).toFixed(1)}" y="${y + 15}">${total}</text>`;
  });
  const height = 20 + rows.length * (barH + 8);
  return `<svg role="img" aria-label="Browsers per office: current, stale, silent, missing" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${bars.join('')}</svg>`;
}

/** Vertical bars per day: blocks and warnings. */
function activityChart(days: ComplianceReport['days']): string {
  if (days.length === 0) return '<p>No blocks or warnings in this period.</p>';
  const width = 640;
  const height = 180;
  const bottom = height - 24;
  const max = Math.max(1, ...days.map((d) => Math.max(d.blocks, d.warnings)));
  const slot = (width - 40) / days.length;
  const w = Math.max(1, slot / 2 - 1);
  const bars = days.map((d, i) => {
    const x = 40 + i * slot;
    const hb = (d.blocks / max) * (bottom - 10);
    const hw = (d.warnings / max) * (bottom - 10);
    const tick =
      days.length <= 31 || i % Math.ceil(days.length / 31) === 0
        ? `<text x="${(x + slot / 2).toFixed(1)}" y="${height - 8}" text-anchor="middle" font-size="9">${esc(d.day.slice(8))}</text>`
        : '';
    return (
      `<rect x="${x.toFixed(1)}" y="${(bottom - hb).toFixed(1)}" width="${w.toFixed(1)}" height="${hb.toFixed(1)}" fill="${COLORS.blocks}"><title>${esc(d.day)}: ${d.blocks} block(s)</title></rect>` +
      `<rect x="${(x + w + 1).toFixed(1)}" y="${(bottom - hw).toFixed(1)}" width="${w.toFixed(1)}" height="${hw.toFixed(1)}" fill="${COLORS.warnings}"><title>${esc(d.day)}: ${d.warnings} warning(s)</title></rect>${tick}`
    );
  });
  const axis = `<line x1="38" y1="${bottom}" x2="${width}" y2="${bottom}" stroke="#555"/><text x="34" y="14" text-anchor="end" font-size="10">${max}</text><text x="34" y="${bottom}" text-anchor="end" font-size="10">0</text>`;
  return `<svg role="img" aria-label="Blocks and warnings per day" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${axis}${bars.join('')}</svg>`;
}

function table(head: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | null>>): string {
  if (rows.length === 0) return '<p>None.</p>';
  return `<table><thead><tr>${head.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${esc(c)}</th>` : `<td>${esc(c)}</td>`)).join('')}</tr>`).join('')}</tbody></table>`;
}

const legend = (items: Array<[string, string]>) =>
  `<p class="legend">${items.map(([c, t]) => `<span><i style="background:${c}"></i>${esc(t)}</span>`).join('')}</p>`;

/** One self-contained HTML page. */
export function renderComplianceHtml(r: ComplianceReport, title = 'AI Geofence — compliance evidence'): string {
  const rows = [...r.offices, r.totals];
  const period = `${r.since ? `${r.since} → ` : 'up to '}${r.at}`;
  const acks = Object.entries(r.totals.acknowledgements).sort(([a], [b]) => a.localeCompare(b));
  const exceptions = Object.entries(r.totals.exceptions).sort(([a], [b]) => a.localeCompare(b));
  const officesOf = (m: 'acknowledgements' | 'exceptions', k: string) =>
    r.offices
      .filter((o) => o[m][k])
      .map((o) => `${o.office} ${o[m][k]}`)
      .join(', ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${esc(title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1a1a1a}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0;font-variant-numeric:tabular-nums}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}
th[scope=row],thead th{text-align:left;background:#f5f5f5}svg text{font:12px system-ui,sans-serif}
.legend span{margin-right:1rem}.legend i{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:middle}
.note{color:#555}
</style></head><body>
<h1>${esc(title)}</h1>
<p>Period: ${esc(period)} · current policy serial ${esc(r.currentSerial)}${r.currentSince ? ` (first seen ${esc(r.currentSince)})` : ''} · a browser is silent after ${r.silentHours} h without an event · ${r.counted.toLocaleString('en')} of ${r.events.toLocaleString('en')} event(s) in the period.</p>
<h2>Coverage per office</h2>
${legend([
  [COLORS.current, 'on the current serial'],
  [COLORS.stale, 'on another serial'],
  [COLORS.silent, 'silent'],
  [COLORS.missing, 'expected, never reported'],
])}
${coverageChart(r.offices)}
${table(
  ['office', 'expected', 'reporting', 'current serial', 'stale', 'silent', 'missing', 'silent since'],
  rows.map((o) => [o.office, o.expected, o.reporting, o.current, o.stale, o.silent, o.missing, o.silentSince]),
)}
${r.totals.expected === null ? '<p class="note">No inventory given (--fleet): browsers that never reported cannot be counted.</p>' : ''}
${r.unknownOffices.length ? `<p class="note">Reporting from offices the inventory does not list: ${esc(r.unknownOffices.join(', '))}.</p>` : ''}
<h2>Enforcement</h2>
${legend([
  [COLORS.blocks, 'blocks'],
  [COLORS.warnings, 'warnings'],
])}
${activityChart(r.days)}
${table(
  ['office', 'blocks', 'warnings', 'proceeded', 'with justification', 'data controls'],
  rows.map((o) => [o.office, o.blocks, o.warnings, o.proceeded, o.justifications, o.dataControls]),
)}
<h2>Acknowledgements by notice version</h2>
${table(
  ['notice', 'acknowledgements', 'by office'],
  acks.map(([k, n]) => [k, n, officesOf('acknowledgements', k)]),
)}
<h2>Signed exceptions used</h2>
${table(
  ['exception', 'uses', 'by office'],
  exceptions.map(([k, n]) => [k, n, officesOf('exceptions', k)]),
)}
<h2>Unlisted AI tools discovered</h2>
${table(
  ['host', 'browsers', 'events', 'offices', 'first seen', 'last seen'],
  r.discovered.slice(0, 100).map((h) => [h.host, h.browsers, h.events, h.offices.join(', '), h.firstSeen, h.lastSeen]),
)}
${r.discovered.length > 100 ? `<p class="note">${r.discovered.length - 100} more host(s): ai-geofence discovered lists them all.</p>` : ''}
<p class="note">Generated by ai-geofence report. The counts come from the browsers' audit events; run ai-geofence audit-verify on the same input to check that none was altered or removed.</p>
</body></html>
`;
}
