/** Types for scripts/collector-server.mjs, so TypeScript tests can drive the reference collector. */

export interface CollectorLimits {
  maxBodyBytes: number;
  maxDecodedBytes: number;
  maxDepth: number;
  maxConcurrent: number;
  maxConnections: number;
  requestTimeoutMs: number;
}

export const COLLECTOR_DEFAULTS: CollectorLimits;

export interface CollectorOptions extends Partial<CollectorLimits> {
  /** 0 picks a free port. Default 8787. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The SQLite store. Default audit-events.sqlite in the working directory; its folder must exist. */
  out?: string;
  /** Require `Authorization: Bearer <token>` (or `Splunk <token>`). */
  token?: string;
  /** Answer the first N POSTs with failStatus, storing nothing. */
  failFirst?: number;
  /** Default 503. */
  failStatus?: number;
  /** Hold every answer this long, after the events are stored. */
  delayMs?: number;
  /** Where request lines go; false for silence. Default console.log. */
  log?: ((message: string) => void) | false;
  /** Tests: the store behind the server instead of opening `out`. */
  store?: { add(events: ReadonlyArray<{ id: string }>): number; size(): number; close(): void };
}

export interface CollectorStats {
  requests: number;
  accepted: number;
  duplicates: number;
  failed: number;
  rejected: number;
  unauthorized: number;
  busy: number;
  storageErrors: number;
}

export interface Collector {
  url: string;
  port: number;
  out: string;
  stats: CollectorStats;
  size(): number;
  inProgress(): number;
  /** Every stored event, in arrival order. */
  events(): Array<Record<string, unknown> & { id: string }>;
  failNext(n: number, status?: number): void;
  setDelayMs(ms: number): void;
  close(): Promise<void>;
}

/** Start the reference collector. */
export function startCollector(options?: CollectorOptions): Promise<Collector>;

/** Parse a JSON ({"events": [...]}), OTLP logs or Splunk HEC body; throws on a malformed one. */
export function parseAuditBody(
  text: string,
  maxDepth?: number,
): { format: 'json' | 'otlp' | 'splunk-hec'; events: Array<Record<string, unknown> & { id: string }> };

/** Deepest nesting of a JSON text. */
export function jsonDepth(text: string): number;
