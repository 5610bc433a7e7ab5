/** Types for src/cli/audit-store.mjs. */
export interface AuditStore {
  path: string;
  /** Store a batch in one durable transaction; returns how many events were new. */
  add(events: ReadonlyArray<{ id: string }>): number;
  size(): number;
  close(): void;
}
export function openAuditStore(path: string): AuditStore;
export function isSqliteHeader(bytes: Uint8Array): boolean;
export function readAuditStore(path: string, onRow: (row: number, body: string) => void): void;
/** JSON with object keys sorted at every level. */
export function canonicalText(value: unknown): string;
