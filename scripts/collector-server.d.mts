/** Types for scripts/collector-server.mjs, so TypeScript tests can drive the reference collector. */

export interface CollectorOptions {
  /** 0 picks a free port. Default 8787. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The JSON-lines output file. Default audit-events.jsonl in the working directory. */
  out?: string;
  /** Answer the first N POSTs with failStatus, storing nothing. */
  failFirst?: number;
  /** Default 503. */
  failStatus?: number;
  /** Hold every answer this long, after the events are stored. */
  delayMs?: number;
  /** Where request lines go; false for silence. Default console.log. */
  log?: ((message: string) => void) | false;
}

export interface CollectorStats {
  requests: number;
  accepted: number;
  duplicates: number;
  failed: number;
  rejected: number;
}

export interface Collector {
  url: string;
  port: number;
  out: string;
  stats: CollectorStats;
  ids: Set<string>;
  failNext(n: number, status?: number): void;
  setDelayMs(ms: number): void;
  close(): Promise<void>;
}

/** Start the reference collector. */
export function startCollector(options?: CollectorOptions): Promise<Collector>;

/** Parse a JSON ({"events": [...]}) or Splunk HEC body; throws on a malformed one. */
export function parseAuditBody(text: string): { format: 'json' | 'splunk-hec'; events: Array<Record<string, unknown> & { id: string }> };
