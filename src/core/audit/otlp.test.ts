/**
 * The OTLP body against the OTLP/HTTP JSON mapping of opentelemetry-proto (logs/v1/logs.proto,
 * common/v1/common.proto, resource/v1/resource.proto, collector/logs/v1/logs_service.proto):
 * every field is one the proto defines, under its lowerCamelCase JSON name, with the JSON type the
 * proto3 JSON mapping gives it (64-bit integers as decimal strings, enums as integers, bytes as
 * hex for trace and span ids). No OpenTelemetry Collector binary is available from npm or Debian,
 * so this schema stands in for it (docs/audit-pipeline.md).
 */
import { describe, expect, it } from 'vitest';
import { makeAuditEvent, type AuditEvent } from './audit.ts';
import { encodeAuditBatch } from './audit.ts';
import { parseEventLines, sealAuditEvent, startLedger, verifyLedger } from './ledger.ts';
import { OTLP_SEVERITY } from './otlp.ts';

type Check = (value: unknown, path: string) => void;
const fail = (path: string, why: string): never => {
  throw new Error(`${path}: ${why}`);
};
const string: Check = (v, p) => void (typeof v !== 'string' && fail(p, 'expected a string'));
const bool: Check = (v, p) => void (typeof v !== 'boolean' && fail(p, 'expected a boolean'));
const uint32: Check = (v, p) =>
  void (!(Number.isInteger(v) && (v as number) >= 0 && (v as number) < 2 ** 32) && fail(p, 'expected a uint32 number'));
/** fixed64/int64: proto3 JSON writes them as decimal strings (numbers are accepted by parsers, strings are canonical). */
const int64: Check = (v, p) =>
  void (!(typeof v === 'string' && /^-?\d+$/.test(v)) && fail(p, 'expected a 64-bit integer as a decimal string'));
const enumInt: Check = (v, p) => void (!Number.isInteger(v) && fail(p, 'expected an enum as an integer (OTLP JSON)'));
const hexBytes: Check = (v, p) =>
  void (!(typeof v === 'string' && /^([0-9a-f]{2})*$/.test(v)) && fail(p, 'expected hex bytes'));
const repeated =
  (item: Check): Check =>
  (v, p) => {
    if (!Array.isArray(v)) return fail(p, 'expected an array');
    for (const [i, x] of v.entries()) item(x, `${p}[${i}]`);
  };
function message(fields: Record<string, Check>): Check {
  return (v, p) => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) fail(p, 'expected an object');
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const check = fields[k];
      if (!check) fail(`${p}.${k}`, 'not a field of this message in the proto');
      check!(x, `${p}.${k}`);
    }
  };
}
const anyValue: Check = (v, p) => {
  const fields: Record<string, Check> = {
    stringValue: string,
    boolValue: bool,
    intValue: int64,
    doubleValue: (x, q) => void (typeof x !== 'number' && fail(q, 'expected a number')),
    arrayValue: message({ values: repeated((x, q) => anyValue(x, q)) }),
    kvlistValue: message({ values: repeated((x, q) => keyValue(x, q)) }),
    bytesValue: string,
  };
  message(fields)(v, p);
  if (Object.keys(v as object).length !== 1) fail(p, 'AnyValue is a oneof: exactly one field');
};
const keyValue: Check = message({ key: string, value: anyValue });
const resource = message({ attributes: repeated(keyValue), droppedAttributesCount: uint32 });
const scope = message({
  name: string,
  version: string,
  attributes: repeated(keyValue),
  droppedAttributesCount: uint32,
});
const logRecord = message({
  timeUnixNano: int64,
  observedTimeUnixNano: int64,
  severityNumber: enumInt,
  severityText: string,
  body: anyValue,
  attributes: repeated(keyValue),
  droppedAttributesCount: uint32,
  flags: uint32,
  traceId: hexBytes,
  spanId: hexBytes,
  eventName: string,
});
const exportLogsServiceRequest = message({
  resourceLogs: repeated(
    message({
      resource,
      scopeLogs: repeated(message({ scope, logRecords: repeated(logRecord), schemaUrl: string })),
      schemaUrl: string,
    }),
  ),
});

async function events(n: number): Promise<AuditEvent[]> {
  let ledger = startLedger('12345678-1234-4123-8123-123456789abc');
  const out: AuditEvent[] = [];
  for (let i = 0; i < n; i++) {
    const e = makeAuditEvent(
      {
        type: i === 0 ? 'heartbeat' : 'block',
        tool: i === 0 ? null : 'claude',
        rule: i === 0 ? null : 'HK-ANTHROPIC',
        url: 'https://claude.ai/x',
        detail: { n: i },
      },
      { office: 'HK', groups: ['traders'], policySerial: 42, urlDetail: 'path' },
      { id: crypto.randomUUID(), now: Date.parse('2026-11-20T09:00:00.123Z') + i, extensionVersion: '0.3.0' },
    );
    const sealed = await sealAuditEvent(ledger, e);
    out.push(sealed.event);
    ledger = sealed.ledger;
  }
  return out;
}

describe('OTLP logs body', () => {
  it('is an ExportLogsServiceRequest in the OTLP JSON mapping', async () => {
    const batch = await events(3);
    const { body, contentType } = encodeAuditBatch(batch, 'otlp');
    expect(contentType).toBe('application/json');
    const doc = JSON.parse(body) as {
      resourceLogs: Array<{
        resource: { attributes: unknown[] };
        scopeLogs: Array<{ logRecords: Array<Record<string, unknown>> }>;
      }>;
    };
    expect(() => exportLogsServiceRequest(doc, '$')).not.toThrow();
    const records = doc.resourceLogs[0]!.scopeLogs[0]!.logRecords;
    expect(records).toHaveLength(3);
    expect(records[1]).toMatchObject({
      timeUnixNano: '1795165200124000000',
      severityNumber: OTLP_SEVERITY.WARN,
      severityText: 'WARN',
      eventName: 'ai_geofence.block',
      attributes: expect.arrayContaining([
        { key: 'ai_geofence.seq', value: { intValue: '1' } },
        { key: 'ai_geofence.office', value: { stringValue: 'HK' } },
      ]),
    });
    expect(records[0]!.severityNumber).toBe(OTLP_SEVERITY.INFO);
    expect(doc.resourceLogs[0]!.resource.attributes).toContainEqual({
      key: 'service.name',
      value: { stringValue: 'ai-geofence' },
    });
  });

  it('the checker refuses what the proto does not define (so the test above can fail)', () => {
    expect(() =>
      exportLogsServiceRequest(
        { resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: 1795165200 }] }] }] },
        '$',
      ),
    ).toThrow(/decimal string/);
    expect(() =>
      exportLogsServiceRequest({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ severity_number: 9 }] }] }] }, '$'),
    ).toThrow(/not a field/);
    expect(() =>
      exportLogsServiceRequest(
        { resourceLogs: [{ scopeLogs: [{ logRecords: [{ severityNumber: 'SEVERITY_NUMBER_INFO' }] }] }] },
        '$',
      ),
    ).toThrow(/enum/);
    expect(() =>
      exportLogsServiceRequest(
        { resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'a', intValue: '1' } }] }] }] },
        '$',
      ),
    ).toThrow(/oneof/);
  });

  it('carries each event verbatim in body.stringValue, so a ledger survives an OpenTelemetry pipeline', async () => {
    const batch = await events(4);
    const doc = JSON.parse(encodeAuditBatch(batch, 'otlp').body) as {
      resourceLogs: Array<{ scopeLogs: Array<{ logRecords: Array<{ body: { stringValue: string } }> }> }>;
    };
    const lines = doc.resourceLogs[0]!.scopeLogs[0]!.logRecords.map((r) => r.body.stringValue).join('\n');
    const report = await verifyLedger(parseEventLines(lines).events);
    expect(report.problems).toEqual([]);
    expect(report.sources[0]!.events).toBe(4);
  });
});
