/**
 * Audit events as OpenTelemetry logs: the OTLP/HTTP JSON encoding of an ExportLogsServiceRequest
 * (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding, proto:
 * opentelemetry/proto/logs/v1/logs.proto). Field names in lowerCamelCase, enums as integers,
 * 64-bit integers as decimal strings. One log record per event:
 * - `body.stringValue` is the event's JSON exactly as the ledger hashed it, so the evidence
 *   commands can verify events that went through an OpenTelemetry pipeline;
 * - `eventName` and `attributes` carry the fields a SIEM filters on (type, office, tool, rule,
 *   browser, seq), with keys under `ai_geofence.` (OpenTelemetry semantic conventions reserve the
 *   unprefixed namespaces).
 */
import type { AuditEvent } from './audit.ts';

/** OTLP AnyValue, as much of it as we write. */
export type OtlpAnyValue = { stringValue: string } | { intValue: string } | { boolValue: boolean };
export interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}
export interface OtlpLogRecord {
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  eventName: string;
  body: { stringValue: string };
  attributes: OtlpKeyValue[];
}

/** SeverityNumber (logs.proto): INFO = 9, WARN = 13. */
export const OTLP_SEVERITY = { INFO: 9, WARN: 13 } as const;
/** Events that tell of something withheld, refused or broken: WARN; the rest INFO. */
const WARN_TYPES: ReadonlySet<string> = new Set([
  'block',
  'policy-refused',
  'config-invalid',
  'fail-closed-entered',
  'data-control',
  'dropped',
  'exceptions-refused',
  'stale-closed-entered',
]);

const str = (key: string, value: string): OtlpKeyValue => ({ key, value: { stringValue: value } });
const int = (key: string, value: number): OtlpKeyValue => ({ key, value: { intValue: String(value) } });

/** Milliseconds to the decimal nanoseconds string OTLP JSON uses for fixed64 fields. */
function nanos(ms: number): string {
  return Number.isFinite(ms) && ms > 0 ? `${Math.round(ms)}000000` : '0';
}

/** One event as a LogRecord. */
export function otlpLogRecord(event: AuditEvent): OtlpLogRecord {
  const time = nanos(Date.parse(event.time));
  const attributes: OtlpKeyValue[] = [str('ai_geofence.event.id', event.id), str('ai_geofence.event.type', event.type)];
  if (event.office !== null) attributes.push(str('ai_geofence.office', event.office));
  if (event.tool !== null) attributes.push(str('ai_geofence.tool', event.tool));
  if (event.rule !== null) attributes.push(str('ai_geofence.rule', event.rule));
  if (event.policySerial !== null) attributes.push(int('ai_geofence.policy.serial', event.policySerial));
  if (event.source !== undefined) attributes.push(str('ai_geofence.source', event.source));
  if (event.seq !== undefined) attributes.push(int('ai_geofence.seq', event.seq));
  const warn = WARN_TYPES.has(event.type);
  return {
    timeUnixNano: time,
    observedTimeUnixNano: time,
    severityNumber: warn ? OTLP_SEVERITY.WARN : OTLP_SEVERITY.INFO,
    severityText: warn ? 'WARN' : 'INFO',
    eventName: `ai_geofence.${event.type}`,
    body: { stringValue: JSON.stringify(event) },
    attributes,
  };
}

/** The envelope around the records, with `records` standing for the joined LogRecords. */
function envelope(extensionVersion: string, records: string): string {
  const resource = { attributes: [str('service.name', 'ai-geofence'), str('service.version', extensionVersion)] };
  const head = JSON.stringify({
    resourceLogs: [
      { resource, scopeLogs: [{ scope: { name: 'ai-geofence.audit', version: extensionVersion }, logRecords: [] }] },
    ],
  });
  return head.replace('"logRecords":[]', `"logRecords":[${records}]`);
}

/** An ExportLogsServiceRequest for a batch (one resource: this browser's extension). */
export function encodeOtlpLogs(events: readonly AuditEvent[]): string {
  return envelope(
    events[0]?.extensionVersion ?? 'unknown',
    events.map((e) => JSON.stringify(otlpLogRecord(e))).join(','),
  );
}

/** Bytes of the envelope alone, for batch sizing. */
export const OTLP_ENVELOPE_OVERHEAD = envelope('0000.0000.0000.0000', '').length;
