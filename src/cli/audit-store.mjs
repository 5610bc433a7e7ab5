/**
 * The reference collector's store: audit events in one SQLite file (better-sqlite3), shared by the
 * collector (which writes it) and the CLI's evidence commands (which read it). Plain JavaScript so
 * the collector runs on Node 20 without a build step.
 *
 * Durability: WAL journal with synchronous=FULL. In WAL mode NORMAL survives a killed process but
 * may lose the last transactions on a power cut or OS crash (https://www.sqlite.org/pragma.html#pragma_synchronous);
 * the collector acknowledges an event only once it is committed, and an acknowledged event is gone
 * from the browser's queue, so the commit must reach the disk: FULL, one fsync per request.
 *
 * De-duplication: one row per (id, digest of the body). The body is stored as canonical JSON (keys
 * sorted, as the ledger hashes it: src/core/audit/ledger.ts canonicalJson), because a browser's storage
 * may hand a resent event back with its keys in another order. An identical repeat (at-least-once
 * delivery) is stored once; a repeat of an id with different content is kept as a second row, so
 * `audit-verify` names the conflict instead of the store hiding it.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';

const SCHEMA_VERSION = 1;
const require = createRequire(import.meta.url);

/** better-sqlite3, loaded on first use (it is a native module; most CLI commands never need it). */
function sqlite() {
  try {
    return require('better-sqlite3');
  } catch (e) {
    throw new Error(
      `the SQLite driver (better-sqlite3) is not installed or did not build: run "npm ci" (${e instanceof Error ? e.message : String(e)})`,
    );
  }
}

/** JSON with object keys sorted at every level (same text as the ledger's canonicalJson for JSON data). */
export function canonicalText(value) {
  const sorted = (v) => {
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(sorted);
    // No prototype: a "__proto__" key stays a key. Integer-like keys would be enumerated first by
    // JSON.stringify whatever the order: the body is then kept as received (still de-duplicated by id).
    const out = Object.create(null);
    for (const k of Object.keys(v).sort()) {
      if (/^(?:0|[1-9]\d*)$/.test(k)) throw new Error('integer-like key');
      out[k] = sorted(v[k]);
    }
    return out;
  };
  try {
    return JSON.stringify(sorted(value));
  } catch {
    return JSON.stringify(value);
  }
}

/** Open (creating if needed) a store for writing. */
export function openAuditStore(path) {
  const Database = sqlite();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  // Another process (audit-verify) may read while we write: wait for a lock rather than fail.
  db.pragma('busy_timeout = 5000');
  const version = db.pragma('user_version', { simple: true });
  if (version > SCHEMA_VERSION) throw new Error(`${path} was written by a newer collector (store version ${version})`);
  db.exec(`
    CREATE TABLE IF NOT EXISTS events (
      n        INTEGER PRIMARY KEY,
      id       TEXT NOT NULL,
      digest   TEXT NOT NULL,
      received TEXT NOT NULL,
      body     TEXT NOT NULL,
      UNIQUE (id, digest)
    );
    PRAGMA user_version = ${SCHEMA_VERSION};
  `);
  const insert = db.prepare(
    'INSERT INTO events (id, digest, received, body) VALUES (?, ?, ?, ?) ON CONFLICT (id, digest) DO NOTHING',
  );
  const count = db.prepare('SELECT coalesce(max(n), 0) AS n FROM events');
  /** Store a batch in one transaction; resolves to how many were new. Committed (durably) on return. */
  const add = db.transaction((events, received) => {
    let accepted = 0;
    for (const event of events) {
      const body = canonicalText(event);
      accepted += insert.run(event.id, createHash('sha256').update(body).digest('hex'), received, body).changes;
    }
    return accepted;
  });
  return {
    path,
    add: (events) => add(events, new Date().toISOString()),
    /** Rows stored (the highest row number: cheap, unlike COUNT(*) over millions of rows). */
    size: () => count.get().n,
    close: () => db.close(),
  };
}

/** True when the bytes start a SQLite database file. */
export function isSqliteHeader(bytes) {
  return Buffer.from(bytes.subarray(0, 16)).toString('latin1') === 'SQLite format 3\0';
}

/** Every stored event in arrival order: `onRow(rowNumber, bodyText)`. Read-only. */
export function readAuditStore(path, onRow) {
  const Database = sqlite();
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const hasEvents = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'").get();
    if (!hasEvents) throw new Error(`${path} is a SQLite file but not an audit store (no "events" table)`);
    for (const row of db.prepare('SELECT n, body FROM events ORDER BY n').raw(true).iterate()) onRow(row[0], row[1]);
  } finally {
    db.close();
  }
}
