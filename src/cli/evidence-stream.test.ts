import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAuditBatch, makeAuditEvent, type AuditEvent } from '../core/audit/audit.ts';
import { sealAuditEventWith, startLedger, type LedgerReport } from '../core/audit/ledger.ts';
import { openAuditStore } from './audit-store.mjs';
import { main } from './index.ts';
import { processBlock } from './event-stream.ts';
import { sha256Sync } from './sha256.ts';
import { makeTempDir, runCli, SUBPROCESS_TIMEOUT } from './test-helpers.ts';

const tmp = makeTempDir('evidence');
afterAll(() => tmp.cleanup());
const p = (name: string) => join(tmp.dir, name);
const START = Date.parse('2026-11-24T09:00:00Z');
let counter = 0;

/** `n` sealed events of one browser, hashed synchronously (the same chain WebCrypto would make). */
function browser(index: number, n: number): AuditEvent[] {
  let ledger = startLedger(`cccccccc-0000-4000-8000-${String(index).padStart(12, '0')}`);
  return Array.from({ length: n }, (_, i) => {
    counter += 1;
    const e = makeAuditEvent(
      { type: i % 5 === 0 ? 'heartbeat' : 'block', tool: 'claude', rule: 'R' },
      { office: index % 2 ? 'HK' : 'LDN', groups: [], policySerial: 43, urlDetail: 'path' },
      {
        id: `dddddddd-0000-4000-8000-${String(counter).padStart(12, '0')}`,
        now: START + i * 60_000,
        extensionVersion: '0.3.0',
      },
    );
    const sealed = sealAuditEventWith(sha256Sync, ledger, e);
    ledger = sealed.ledger;
    return sealed.event;
  });
}
const text = (events: readonly unknown[]) => `${events.map((e) => JSON.stringify(e)).join('\n')}\n`;
const write = (name: string, events: readonly unknown[]) => (writeFileSync(p(name), text(events)), p(name));

/** Run in this process, with standard input from `stdin`. */
async function run(args: string[], stdin?: Buffer): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    out: (t) => void (stdout += `${t}\n`),
    err: (t) => void (stderr += `${t}\n`),
    ...(stdin ? { stdin: Readable.from([stdin]) } : {}),
  });
  return { code, stdout, stderr };
}
const report = async (args: string[], stdin?: Buffer) => {
  const r = await run([...args, '--json'], stdin);
  return { code: r.code, json: JSON.parse(r.stdout) as LedgerReport, stderr: r.stderr };
};

let a: AuditEvent[];
let b: AuditEvent[];
let all: AuditEvent[];
beforeAll(() => {
  a = browser(1, 30);
  b = browser(2, 30);
  all = a.flatMap((e, i) => [e, b[i]!]);
});

describe('evidence inputs', { timeout: SUBPROCESS_TIMEOUT }, () => {
  it('reads several files in order as one stream, and finds an event deleted at the boundary even with --partial', async () => {
    const one = write('part-1.jsonl', all.slice(0, 20));
    const two = write('part-2.jsonl', all.slice(20));
    expect((await report(['audit-verify', one, two])).json.problems).toEqual([]);
    const cut = write('part-2-cut.jsonl', all.slice(21)); // all[20] was the first line of part 2
    for (const extra of [[], ['--partial']]) {
      const r = await report(['audit-verify', one, cut, ...extra]);
      expect(r.code).toBe(1);
      expect(r.json.problems).toEqual([expect.objectContaining({ kind: 'gap', files: [one, cut] })]);
    }
    // The second file alone is a rotated log: --partial accepts where it starts, nothing else.
    const alone = await report(['audit-verify', two, '--partial']);
    expect(alone.json.problems).toEqual([]);
    expect(alone.json.warnings.map((w) => w.kind)).toEqual(['partial', 'partial']);
    // ...but not when it comes second: a ledger starting mid-way in a later input is a gap.
    const late = await report([
      'audit-verify',
      write('only-a.jsonl', a.slice(0, 10)),
      write('b-late.jsonl', b.slice(5)),
      '--partial',
    ]);
    expect(late.json.problems.map((x) => x.kind)).toEqual(['gap']);
    expect(late.json.problems[0]!.message).toMatch(/only the first input may begin mid-ledger/);
  });

  it('reads gzip (by content), globs in natural order, and standard input', async () => {
    writeFileSync(p('g-2.jsonl.gz'), gzipSync(text(all.slice(20))));
    writeFileSync(p('g-10.jsonl.gz'), gzipSync(text([])));
    writeFileSync(p('g-1.jsonl.gz'), gzipSync(text(all.slice(0, 20))));
    const globbed = await report(['audit-verify', p('g-*.jsonl.gz')]);
    expect(globbed.json.problems).toEqual([]);
    expect(globbed.json.sources.map((s) => s.events)).toEqual([30, 30]);
    const piped = await report(['audit-verify', '-'], gzipSync(text(all)));
    expect(piped.json.problems).toEqual([]);
    expect((await run(['audit-verify', p('nothing-*.jsonl')])).stderr).toMatch(/matches no file/);
  });

  it("reads what an OpenTelemetry Collector's file exporter writes: one OTLP logs request per line", async () => {
    const lines = [all.slice(0, 25), all.slice(25, 50), all.slice(50)].map(
      (batch) => encodeAuditBatch(batch, 'otlp').body,
    );
    writeFileSync(p('otel.jsonl'), `${lines.join('\n')}\n`);
    const r = await report(['audit-verify', p('otel.jsonl')]);
    expect(r.json.problems).toEqual([]);
    expect(r.json.sources.map((x) => x.events)).toEqual([30, 30]);
    writeFileSync(p('otel-bad.jsonl'), `${lines[0]!.replace('"stringValue":"{', '"stringValue":"x{')}\n`);
    expect((await report(['audit-verify', p('otel-bad.jsonl')])).json.problems[0]!.message).toMatch(
      /line 1: OTLP log record 1: body is not JSON/,
    );
  });

  it('names a torn last line, invalid UTF-8 and a truncated .gz instead of losing them silently', async () => {
    const torn = text(all).slice(0, -40);
    writeFileSync(p('torn.jsonl'), torn);
    const r = await report(['audit-verify', p('torn.jsonl')]);
    expect(r.json.problems.map((x) => x.kind)).toEqual(['malformed']);
    expect(r.json.problems[0]!.lines).toEqual([60]);
    writeFileSync(
      p('latin1.jsonl'),
      Buffer.concat([Buffer.from(text(all.slice(0, 2))), Buffer.from([0x7b, 0xe9, 0x7d, 0x0a])]),
    );
    expect((await report(['audit-verify', p('latin1.jsonl')])).json.problems[0]!.message).toMatch(
      /line 3: not valid UTF-8/,
    );
    const gz = gzipSync(text(all));
    writeFileSync(p('cut.jsonl.gz'), gz.subarray(0, gz.length - 30));
    const cut = await report(['audit-verify', p('cut.jsonl.gz')]);
    expect(cut.code).toBe(1);
    expect(cut.json.problems.map((x) => x.message).join('\n')).toMatch(/compressed input is damaged or cut short/);
  });

  it("reads the collector's SQLite store like a file", async () => {
    const store = openAuditStore(p('store.sqlite'));
    store.add(all.slice(0, 30));
    store.add(all.slice(25)); // a repeated batch: stored once
    store.close();
    const r = await report(['audit-verify', p('store.sqlite')]);
    expect(r.json.problems).toEqual([]);
    expect(r.json.events).toBe(60);
    const cov = await run(['coverage', p('store.sqlite'), '--at', '2026-11-24T10:00:00Z', '--json']);
    expect(JSON.parse(cov.stdout)).toMatchObject({
      offices: [
        expect.objectContaining({ office: 'HK', browsers: 1 }),
        expect.objectContaining({ office: 'LDN', browsers: 1 }),
      ],
    });
  });

  it('hashes in worker threads through the installed bin, with the same findings', async () => {
    const deleted = write('deleted.jsonl', [...all.slice(0, 40), ...all.slice(41)]);
    const threaded = await runCli(['audit-verify', deleted, '--threads', '2', '--json']);
    const inline = await report(['audit-verify', deleted]);
    expect(threaded.code).toBe(1);
    expect(JSON.parse(threaded.stdout)).toEqual(inline.json);
  });

  it('processes a block of lines the same way in a worker as on the main thread', () => {
    const block = Buffer.from(`${JSON.stringify(a[0])}\n\nnot json\n${JSON.stringify(a[1])}`);
    const r = processBlock(block, sha256Sync);
    expect(r.lines).toBe(4);
    expect(r.records.map((x) => [x[0], x[1] === 'malformed' ? 'malformed' : x[1].kind])).toEqual([
      [1, 'link'],
      [3, 'malformed'],
      [4, 'link'],
    ]);
  });
});
