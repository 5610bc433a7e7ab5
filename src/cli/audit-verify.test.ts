import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heartbeatDetail, makeAuditEvent, type AuditEvent, type AuditInput } from '../core/audit/audit.ts';
import { sealAuditEvent, startLedger } from '../core/audit/ledger.ts';
import { makeTempDir, runCli, runInProcess, SUBPROCESS_TIMEOUT } from './test-helpers.ts';

const tmp = makeTempDir('ledger');
afterAll(() => tmp.cleanup());
const p = (name: string) => join(tmp.dir, name);

const START = Date.parse('2026-11-24T09:00:00Z');
const AT = '2026-11-25T12:00:00Z';
const HK1 = 'aaaaaaaa-0000-4000-8000-000000000001';
const HK2 = 'aaaaaaaa-0000-4000-8000-000000000002';
const LDN1 = 'aaaaaaaa-0000-4000-8000-000000000003';
let counter = 0;

/** A browser's sealed events, one every `stepMs` from `start`, as the extension records them. */
async function browser(
  source: string,
  office: string,
  serial: number,
  inputs: Array<Partial<AuditInput>>,
  start = START,
  stepMs = 60_000,
): Promise<AuditEvent[]> {
  let ledger = startLedger(source);
  const out: AuditEvent[] = [];
  for (const [i, input] of inputs.entries()) {
    counter += 1;
    const e = makeAuditEvent(
      { type: 'block', tool: 'claude', rule: 'HK-ANTHROPIC-2026-11', url: 'https://claude.ai/new', ...input },
      { office, groups: [], policySerial: serial, urlDetail: 'path', policyHash: String(serial % 10).repeat(64) },
      {
        id: `bbbbbbbb-0000-4000-8000-${counter.toString().padStart(12, '0')}`,
        now: start + i * stepMs,
        extensionVersion: '0.2.0',
      },
    );
    const sealed = await sealAuditEvent(ledger, e);
    out.push(sealed.event);
    ledger = sealed.ledger;
  }
  return out;
}

const heartbeat = (office: string, serial: number): Partial<AuditInput> => ({
  type: 'heartbeat',
  tool: null,
  rule: null,
  url: null,
  detail: {
    ...heartbeatDetail({
      office,
      policySerial: serial,
      policyHash: String(serial % 10).repeat(64),
      rulesInstalled: 8,
      incognitoAllowed: true,
      extensionVersion: '0.2.0',
      mode: 'enforcing',
    }),
  },
});

function write(name: string, events: readonly unknown[]): string {
  writeFileSync(p(name), `${events.map((e) => JSON.stringify(e)).join('\n')}\n`);
  return p(name);
}

let hk1: AuditEvent[];
let hk2: AuditEvent[];
let ldn1: AuditEvent[];
let all: AuditEvent[];

beforeAll(async () => {
  hk1 = await browser(HK1, 'HK', 43, [heartbeat('HK', 43), {}, {}, {}, heartbeat('HK', 43)], START, 6 * 3_600_000);
  hk2 = await browser(HK2, 'HK', 42, [heartbeat('HK', 42), { type: 'warn-shown' }]);
  ldn1 = await browser(LDN1, 'LDN', 43, [heartbeat('LDN', 43)], START - 72 * 3_600_000);
  // Interleaved as a collector receives them.
  all = [hk1[0]!, hk2[0]!, ldn1[0]!, hk1[1]!, hk2[1]!, hk1[2]!, hk1[3]!, hk1[4]!];
});

describe('audit-verify', { timeout: SUBPROCESS_TIMEOUT }, () => {
  it('passes an untouched ledger and prints one summary line per browser (through the installed bin)', async () => {
    const file = write('intact.jsonl', all);
    const r = await runCli(['audit-verify', file]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/8 event\(s\) from 3 browser\(s\)/);
    expect(r.stdout).toMatch(new RegExp(`${HK1}  office HK  serial 43  seq 0–4  5 event\\(s\\).* ok\\n`));
    expect(r.stdout).toMatch(/every ledger is intact/);
  });

  it('detects an edited field', async () => {
    const edited = all.map((e) => (e === hk1[2] ? { ...e, url: 'https://claude.ai/other' } : e));
    const r = await runInProcess(['audit-verify', write('edited.jsonl', edited)]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /edited: line 7 \(seq 3\) records prev .* but line 6 \(seq 2\) hashes to .*: one of them was edited/,
    );
    expect(r.stdout).toMatch(new RegExp(`${HK1} .* 1 PROBLEM\\(S\\)`));
  });

  it('detects a deleted line', async () => {
    const r = await runInProcess([
      'audit-verify',
      write(
        'deleted.jsonl',
        all.filter((e) => e !== hk1[1]),
      ),
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /gap: seq 1 of browser aaaaaaaa-0000-4000-8000-000000000001 missing between line 1 and line 5/,
    );
  });

  it('detects swapped lines', async () => {
    const swapped = [...all];
    [swapped[5], swapped[6]] = [swapped[6]!, swapped[5]!];
    const r = await runInProcess(['audit-verify', write('swapped.jsonl', swapped)]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/reordered: line 6 \(seq 3\) comes before line 7 \(seq 2\)/);
  });

  it('accepts identical repeats, flags a different one, and reports unreadable lines', async () => {
    const repeated = await runInProcess(['audit-verify', write('repeat.jsonl', [...all, hk2[1]])]);
    expect(repeated.code, repeated.stdout).toBe(0);
    expect(repeated.stdout).toMatch(/\+1 identical repeat/);
    const conflict = await runInProcess([
      'audit-verify',
      write('conflict.jsonl', [...all, { ...hk2[1]!, tool: 'chatgpt' }]),
    ]);
    expect(conflict.code).toBe(1);
    expect(conflict.stdout).toMatch(/conflict: lines 5 and 9: event .* appears twice with different content/);
    writeFileSync(p('garbage.jsonl'), `${JSON.stringify(all[0])}\n{"id":\n`);
    const garbage = await runInProcess(['audit-verify', p('garbage.jsonl')]);
    expect(garbage.code).toBe(1);
    expect(garbage.stdout).toMatch(/malformed: line 2: not JSON/);
  });

  it('accepts a file that starts mid-ledger only with --partial, and prints JSON with --json', async () => {
    const rotated = write(
      'rotated.jsonl',
      all.filter((e) => e !== hk1[0] && e !== hk1[1]),
    );
    expect((await runInProcess(['audit-verify', rotated])).code).toBe(1);
    const r = await runInProcess(['audit-verify', rotated, '--partial', '--json']);
    expect(r.code, r.stdout).toBe(0);
    const report = JSON.parse(r.stdout) as {
      problems: unknown[];
      warnings: Array<{ kind: string }>;
      sources: unknown[];
    };
    expect(report.problems).toEqual([]);
    expect(report.warnings.map((w) => w.kind)).toEqual(['partial']);
    expect(report.sources).toHaveLength(3);
  });

  it('exits 1 for a missing file and 2 without one', async () => {
    expect((await runInProcess(['audit-verify', p('nope.jsonl')])).code).toBe(1);
    expect((await runInProcess(['audit-verify'])).code).toBe(2);
  });
});

describe('help', () => {
  it.each(['sign-exception', 'audit-verify', 'coverage'])(
    '%s --help prints its usage and exit codes',
    async (command) => {
      const r = await runInProcess([command, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: ai-geofence ${command} `));
      expect(r.stdout).toMatch(/Exit codes/);
      expect((await runInProcess(['--help'])).stdout).toContain(`  ${command} `);
    },
  );
});

describe('coverage', { timeout: SUBPROCESS_TIMEOUT }, () => {
  it('reports per office the browsers on the current serial, stale and silent ones', async () => {
    const r = await runInProcess(['coverage', write('coverage.jsonl', all), '--at', AT]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/current serial 43 \(first seen 2026-11-21T09:00:00.000Z\) · silent after 48 h/);
    expect(lines).toContain('  office  browsers  current  stale  silent');
    expect(lines).toContain('  HK             2        1      1       0');
    expect(lines).toContain('  LDN            1        0      0       1');
    expect(r.stdout).toContain(
      `stale HK ${HK2}: serial 42 (enforcing), last heartbeat 2026-11-24T09:00:00.000Z, last event 2026-11-24T09:01:00.000Z`,
    );
    expect(r.stdout).toContain(`silent LDN ${LDN1}: serial 43 (enforcing), last heartbeat 2026-11-21T09:00:00.000Z`);
  });

  it('takes --current-serial and prints JSON with --json', async () => {
    const r = await runInProcess([
      'coverage',
      write('coverage2.jsonl', all),
      '--at',
      AT,
      '--current-serial',
      '42',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      currentSerial: number;
      offices: Array<{ office: string; current: number; stale: number }>;
    };
    expect(report.currentSerial).toBe(42);
    expect(report.offices.find((o) => o.office === 'HK')).toMatchObject({ current: 1, stale: 1 });
  });

  it('ignores events after --at', async () => {
    const r = await runInProcess(['coverage', write('early.jsonl', all), '--at', '2026-11-24T09:30:00Z', '--json']);
    const report = JSON.parse(r.stdout) as { offices: Array<{ office: string; browsers: number }> };
    expect(report.offices.find((o) => o.office === 'HK')?.browsers).toBe(2);
    const hk = (
      JSON.parse(r.stdout) as { offices: Array<{ office: string; list: Array<{ source: string; lastSeen: string }> }> }
    ).offices[0]!;
    expect(hk.list.find((b) => b.source === HK1)?.lastSeen).toBe('2026-11-24T09:00:00.000Z');
  });
});
