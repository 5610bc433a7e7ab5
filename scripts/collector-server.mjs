/**
 * Reference audit collector (docs/audit.md): accepts the extension's JSON, Splunk HEC and
 * OpenTelemetry (OTLP/HTTP JSON logs) bodies, plain or gzip, and stores each event in a SQLite
 * file (src/cli/audit-store.mjs), de-duplicated by id and content. An event is acknowledged (200)
 * only once its transaction is committed to disk; a restart opens the store without reading it.
 *
 * Defences, because the collector faces every browser of the fleet: a bearer token (`token`), a
 * limit on the body before and after decompression, on JSON nesting and on requests in progress
 * (beyond it: 503 and Retry-After, which the extension retries), timeouts for half-sent requests,
 * and every storage error answered with 503 (the extension keeps the events and retries) rather
 * than a crash.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { dirname, resolve } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { openAuditStore, readAuditStore } from '../src/cli/audit-store.mjs';

const gunzipAsync = promisify(gunzip);

export const COLLECTOR_DEFAULTS = {
  /** The extension's batches are at most 256 KB; a megabyte leaves room for other senders. */
  maxBodyBytes: 1024 * 1024,
  /** After gzip: a small compressed body must not expand into gigabytes. */
  maxDecodedBytes: 8 * 1024 * 1024,
  /** Events are a few levels deep; a deeply nested body is an attack on the parser. */
  maxDepth: 32,
  /** Requests being received or stored at once; beyond: 503 (memory ≤ maxConcurrent × maxDecodedBytes). */
  maxConcurrent: 32,
  /** Open connections (each costs a file descriptor): refuse more rather than run out (EMFILE). */
  maxConnections: 512,
  /** A request must arrive whole within this time (slowloris). */
  requestTimeoutMs: 30_000,
};

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type, Content-Encoding, Authorization',
};

class BadEvent extends Error {}

/** Deepest nesting of JSON text, counted outside strings, in one pass (JSON.parse would recurse first). */
export function jsonDepth(text) {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++;
    } else if (c === 123 || c === 91) {
      if (++depth > max) max = depth;
    } else if (c === 125 || c === 93) {
      depth--;
    }
  }
  return max;
}

/**
 * The events in a request body: `{"events": [...]}`; OTLP logs `{"resourceLogs": [...]}` (each log
 * record's body is one event's JSON, docs/audit.md); or Splunk HEC objects
 * `{"time": …, "sourcetype": …, "event": {...}}`, one per line (a single one needs no newline).
 * Throws an Error whose message is the answer to a malformed body.
 */
export function parseAuditBody(text, maxDepth = COLLECTOR_DEFAULTS.maxDepth) {
  if (jsonDepth(text) > maxDepth) throw new BadEvent(`JSON nested deeper than ${maxDepth} levels`);
  let items;
  try {
    const whole = JSON.parse(text);
    if (whole && typeof whole === 'object' && Array.isArray(whole.events))
      return { format: 'json', events: whole.events.map(checkEvent) };
    if (whole && typeof whole === 'object' && Array.isArray(whole.resourceLogs))
      return { format: 'otlp', events: otlpEvents(whole) };
    items = [whole];
  } catch (err) {
    if (err instanceof BadEvent) throw err;
    const lines = text.split('\n').filter((l) => l.trim());
    items = lines.map((line, i) => {
      try {
        return JSON.parse(line);
      } catch {
        throw new BadEvent(`line ${i + 1} is not JSON`);
      }
    });
  }
  if (items.length === 0) throw new BadEvent('empty body');
  return {
    format: 'splunk-hec',
    events: items.map((item, i) => {
      if (!item || typeof item !== 'object' || !('event' in item))
        throw new BadEvent(
          `item ${i + 1}: expected {"events": [...]}, {"resourceLogs": [...]} or HEC objects with "event"`,
        );
      return checkEvent(item.event, i);
    }),
  };
}

/** Every log record's event (its body's string value is the event's JSON). */
function otlpEvents(doc) {
  const events = [];
  for (const rl of doc.resourceLogs) {
    for (const sl of Array.isArray(rl?.scopeLogs) ? rl.scopeLogs : []) {
      for (const record of Array.isArray(sl?.logRecords) ? sl.logRecords : []) {
        const body = record?.body?.stringValue;
        let event;
        try {
          event = typeof body === 'string' ? JSON.parse(body) : undefined;
        } catch {
          // named below
        }
        if (!event)
          throw new BadEvent(`log record ${events.length + 1}: body.stringValue must be an audit event's JSON`);
        events.push(checkEvent(event, events.length));
      }
    }
  }
  if (events.length === 0) throw new BadEvent('no log records');
  return events;
}

function checkEvent(event, i = 0) {
  if (!event || typeof event !== 'object' || typeof event.id !== 'string' || !event.id)
    throw new BadEvent(`event ${i + 1} has no "id"`);
  return event;
}

/**
 * Connections the process can hold without running out of file descriptors (EMFILE): the soft
 * limit (Linux: /proc/self/limits) less a margin for the store, its WAL and the runtime.
 */
function connectionsWithinFdLimit() {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m) return Math.max(8, Number(m[1]) - 64);
  } catch {
    // not Linux: the configured maximum stands
  }
  return Infinity;
}

/** Constant-time comparison of the presented token with the expected one (no length oracle beyond the hash). */
function tokenMatches(header, token) {
  const m = /^(?:Bearer|Splunk)\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  const a = createHash('sha256').update(m[1].trim()).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

/**
 * Start a collector. Options: `port` (0 = any free port), `host` (default 127.0.0.1), `out` (the
 * SQLite store; its folder must exist), `token` (require `Authorization: Bearer <token>`, or
 * `Splunk <token>`), the limits of COLLECTOR_DEFAULTS, `failFirst` (answer the first N POSTs with
 * `failStatus`, default 503, storing nothing), `delayMs` (hold every answer that long, after
 * storing: a slow collector whose answer arrives too late), `log` (a function, or false).
 */
export async function startCollector(options = {}) {
  const host = options.host ?? '127.0.0.1';
  const out = resolve(options.out ?? 'audit-events.sqlite');
  const limits = {
    ...COLLECTOR_DEFAULTS,
    ...Object.fromEntries(Object.entries(options).filter(([k, v]) => k in COLLECTOR_DEFAULTS && v !== undefined)),
  };
  const log = options.log === false ? () => {} : (options.log ?? ((m) => console.log(m)));
  if (!options.store && /\.jsonl?$/i.test(out))
    throw new Error(
      `the collector stores events in SQLite: name the store e.g. "${out.replace(/\.jsonl?$/i, '.sqlite')}" (the evidence commands read it directly)`,
    );
  if (!options.store && !existsSync(dirname(out))) throw new Error(`the folder of the store "${out}" does not exist`);
  // `store` lets a test put a failing store behind the server (storage errors must become 503s).
  const store = options.store ?? openAuditStore(out);
  const token = options.token ?? null;
  const stats = {
    requests: 0,
    accepted: 0,
    duplicates: 0,
    failed: 0,
    rejected: 0,
    unauthorized: 0,
    busy: 0,
    storageErrors: 0,
  };
  let failRemaining = options.failFirst ?? 0;
  let failStatus = options.failStatus ?? 503;
  let delayMs = options.delayMs ?? 0;
  let active = 0;
  const sockets = new Set();

  const server = createServer(
    { requestTimeout: limits.requestTimeoutMs, headersTimeout: Math.min(limits.requestTimeoutMs, 60_000) },
    (req, res) => {
      const answer = (status, body, headers = {}) => {
        if (res.writableEnded || res.destroyed) return;
        res.writeHead(status, { 'Content-Type': 'application/json', ...CORS, ...headers });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'OPTIONS') {
        res.writeHead(204, CORS);
        res.end();
        return;
      }
      if (token !== null && !tokenMatches(req.headers.authorization, token)) {
        stats.unauthorized += 1;
        log(`${req.method} ${req.url} → 401 (no valid token)`);
        answer(
          401,
          { error: 'a valid token is required (Authorization: Bearer <token>)' },
          { 'WWW-Authenticate': 'Bearer realm="ai-geofence-collector"' },
        );
        req.resume();
        return;
      }
      if (req.method === 'GET') {
        try {
          answer(200, { status: 'ok', events: store.size(), out });
        } catch (err) {
          stats.storageErrors += 1;
          answer(503, { error: 'the collector cannot read its store right now' }, { 'Retry-After': '30' });
          log(`GET → 503 storage error: ${err?.message ?? err}`);
        }
        return;
      }
      if (req.method !== 'POST') {
        answer(405, { error: 'POST events here' });
        return;
      }
      if (active >= limits.maxConcurrent) {
        stats.busy += 1;
        answer(503, { error: 'busy: too many requests in progress' }, { 'Retry-After': '5', Connection: 'close' });
        req.destroy();
        return;
      }
      const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
      if (encoding !== 'identity' && encoding !== 'gzip') {
        answer(415, { error: `Content-Encoding "${encoding}" is not supported (gzip or none)` });
        req.resume();
        return;
      }
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > limits.maxBodyBytes) {
        answer(413, { error: `body larger than ${limits.maxBodyBytes} bytes` }, { Connection: 'close' });
        req.destroy();
        return;
      }
      active += 1;
      let released = false;
      const release = () => {
        if (!released) active -= 1;
        released = true;
      };
      res.on('close', release);
      const chunks = [];
      let size = 0;
      req.on('data', (chunk) => {
        size += chunk.length;
        if (size > limits.maxBodyBytes) {
          answer(413, { error: `body larger than ${limits.maxBodyBytes} bytes` }, { Connection: 'close' });
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      req.on('error', release);
      req.on('end', async () => {
        if (size > limits.maxBodyBytes) return;
        stats.requests += 1;
        if (failRemaining > 0) {
          failRemaining -= 1;
          stats.failed += 1;
          log(`POST ${req.url} → ${failStatus} (simulated failure, ${failRemaining} more to come)`);
          answer(failStatus, { error: 'simulated failure' });
          return;
        }
        let parsed;
        try {
          let bytes = Buffer.concat(chunks);
          if (encoding === 'gzip') bytes = await gunzipAsync(bytes, { maxOutputLength: limits.maxDecodedBytes });
          if (bytes.length > limits.maxDecodedBytes)
            throw new BadEvent(`body larger than ${limits.maxDecodedBytes} bytes once decoded`);
          parsed = parseAuditBody(new TextDecoder('utf-8', { fatal: true }).decode(bytes), limits.maxDepth);
        } catch (err) {
          stats.rejected += 1;
          const message =
            err instanceof BadEvent
              ? err.message
              : err?.code === 'ERR_BUFFER_TOO_LARGE'
                ? `body larger than ${limits.maxDecodedBytes} bytes once decoded`
                : `unreadable body (${err?.message ?? err})`;
          log(`POST ${req.url} → 400 ${message}`);
          answer(400, { error: message });
          return;
        }
        let accepted;
        try {
          // One transaction, committed to disk (WAL, synchronous=FULL) before we answer.
          accepted = store.add(parsed.events);
        } catch (err) {
          stats.storageErrors += 1;
          log(`POST ${req.url} → 503 storage error: ${err?.message ?? err}`);
          answer(503, { error: 'the collector cannot store events right now' }, { 'Retry-After': '30' });
          return;
        }
        const duplicates = parsed.events.length - accepted;
        stats.accepted += accepted;
        stats.duplicates += duplicates;
        if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
        log(
          `POST ${req.url} (${parsed.format}${encoding === 'gzip' ? ', gzip' : ''}) → 200 accepted ${accepted}, duplicates ${duplicates}${delayMs ? `, answered after ${delayMs} ms` : ''}`,
        );
        const body = { accepted, duplicates };
        // Splunk's own answer, for clients that check it; OTLP's is an (empty) ExportLogsServiceResponse.
        answer(200, parsed.format === 'splunk-hec' ? { text: 'Success', code: 0, ...body } : body);
      });
    },
  );
  server.maxConnections = Math.min(limits.maxConnections, connectionsWithinFdLimit());
  server.on('clientError', (_err, socket) => socket.destroy());
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8787, host, () => resolveListen());
  });
  // After listening: an accept error (EMFILE under a descriptor limit) is logged, never fatal.
  server.on('error', (err) => log(`server error: ${err.message}`));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  return {
    url,
    port,
    out,
    stats,
    /** Rows in the store. */
    size: () => store.size(),
    /** Every stored event, in arrival order (tests, demos: small stores). */
    events() {
      const rows = [];
      readAuditStore(out, (_n, body) => rows.push(JSON.parse(body)));
      return rows;
    },
    /** POSTs being received or stored now. */
    inProgress: () => active,
    /** Answer the next `n` POSTs with `status` (default 503). */
    failNext(n, status = 503) {
      failRemaining = n;
      failStatus = status;
    },
    /** Hold every answer `ms` milliseconds from now on. */
    setDelayMs(ms) {
      delayMs = ms;
    },
    /** Stop listening, drop open connections (a held answer is never sent), close the store. */
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((r) => server.close(() => r())).finally(() => store.close());
    },
  };
}
