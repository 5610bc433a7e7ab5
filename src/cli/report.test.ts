import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeAuditEvent, type AuditInput } from '../core/audit/audit.ts';
import { parseInventoryCsv } from '../core/audit/compliance-report.ts';
import { sealAuditEventWith, startLedger } from '../core/audit/ledger.ts';
import { sha256Sync } from './sha256.ts';
import { makeTempDir, runInProcess } from './test-helpers.ts';

const tmp = makeTempDir('report');
afterAll(() => tmp.cleanup());
const p = (name: string) => join(tmp.dir, name);
const START = Date.parse('2026-11-24T09:00:00Z');
let n = 0;

function browser(index: number, office: string, serial: number, inputs: Array<Partial<AuditInput>>, start = START) {
  let ledger = startLedger(`abababab-0000-4000-8000-${String(index).padStart(12, '0')}`);
  return inputs.map((input, i) => {
    n += 1;
    const e = makeAuditEvent(
      { type: 'block', tool: 'claude', rule: `${office}-ANTHROPIC`, ...input },
      { office, groups: [], policySerial: serial, urlDetail: 'path' },
      {
        id: `cdcdcdcd-0000-4000-8000-${String(n).padStart(12, '0')}`,
        now: start + i * 3_600_000,
        extensionVersion: '0.3.0',
      },
    );
    const s = sealAuditEventWith(sha256Sync, ledger, e);
    ledger = s.ledger;
    return s.event;
  });
}

describe('report', () => {
  it('counts per office against the inventory and writes a self-contained HTML page and a CSV', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    const events = [
      ...browser(1, 'HK', 43, [
        { type: 'heartbeat', tool: null, rule: null },
        {},
        { type: 'warn-shown' },
        { type: 'warn-proceeded', detail: { justification: 'client deliverable' } },
        { type: 'warn-proceeded' },
        { type: 'notice-acknowledged', detail: { version: 3 } },
        { type: 'monitor-visit', rule: 'exception:EX-7' },
      ]),
      ...browser(2, 'HK', 42, [{ type: 'heartbeat', tool: null, rule: null }]),
      ...browser(3, 'LDN', 43, [{ type: 'heartbeat', tool: null, rule: null }], START - 96 * 3_600_000),
      ...browser(4, '=HYPERLINK("http://evil")', 43, [
        {
          type: 'discovered-tool',
          tool: null,
          rule: null,
          detail: { host: evil, origin: 'https://x.example', signals: [], action: 'warn' },
        },
      ]),
    ];
    writeFileSync(p('events.jsonl'), `${events.map((e) => JSON.stringify(e)).join('\n')}\n`);
    writeFileSync(p('fleet.csv'), 'Device,Office\r\nd1,HK\r\nd2,HK\r\nd3,HK\r\nd4,LDN\r\nd5,"NY"\r\n');
    const r = await runInProcess([
      'report',
      p('events.jsonl'),
      '--fleet',
      p('fleet.csv'),
      '--at',
      '2026-11-25T12:00:00Z',
      '--html',
      p('r.html'),
      '--csv',
      p('r.csv'),
      '--json',
    ]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { offices: Array<Record<string, unknown>>; totals: Record<string, unknown> };
    const hk = json.offices.find((o) => o.office === 'HK')!;
    expect(hk).toMatchObject({
      expected: 3,
      reporting: 2,
      current: 1,
      stale: 1,
      silent: 0,
      missing: 1,
      blocks: 1,
      warnings: 1,
      proceeded: 2,
      justifications: 1,
      acknowledgements: { 'HK-ANTHROPIC v3': 1 },
      exceptions: { 'EX-7': 1 },
    });
    expect(json.offices.find((o) => o.office === 'LDN')).toMatchObject({
      expected: 1,
      reporting: 1,
      silent: 1,
      silentSince: '2026-11-20T09:00:00.000Z',
    });
    expect(json.offices.find((o) => o.office === 'NY')).toMatchObject({ expected: 1, reporting: 0, missing: 1 });
    const html = readFileSync(p('r.html'), 'utf8');
    expect(html).toContain('<svg role="img" aria-label="Browsers per office');
    expect(html).not.toMatch(/<script|<link|src="http|<img/);
    expect(html).toContain('&#60;img src=x onerror=alert(1)&#62;');
    const csv = readFileSync(p('r.csv'), 'utf8').split('\r\n');
    expect(csv[0]).toBe(
      'office,expected,reporting,current_serial,stale,silent,missing,silent_since,blocks,warnings,proceeded,justifications,data_controls,acknowledged HK-ANTHROPIC v3,exception EX-7',
    );
    expect(csv[1]).toBe(`"'=HYPERLINK(""http://evil"")",0,1,1,0,0,0,,0,0,0,0,0,0,0`); // not in the inventory: expected 0
    expect(csv.find((l) => l.startsWith('HK,'))).toBe('HK,3,2,1,1,0,1,,1,1,2,1,0,1,1');
  });

  it('reads an inventory by device or by count, and names a bad line', () => {
    expect(parseInventoryCsv('office,count\nHK,10\nLDN,5\nHK,1\n')).toEqual(
      new Map([
        ['HK', 11],
        ['LDN', 5],
      ]),
    );
    expect(() => parseInventoryCsv('device,site\nd1,\n')).toThrow(/line 2: no office/);
    expect(() => parseInventoryCsv('device,name\nd1,x\n')).toThrow(/no "office" column/);
    expect(() => parseInventoryCsv('office,count\nHK,ten\n')).toThrow(/line 2: count "ten"/);
  });
});
