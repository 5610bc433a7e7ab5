/**
 * Reference audit collector (docs/audit.md): accepts the extension's JSON and Splunk HEC bodies,
 * appends each event as one JSON line to a file and de-duplicates by event id, which is what turns
 * the extension's at-least-once delivery into exactly-once in the file. Plain Node, no dependencies,
 * so tests, demos and a trial deployment can run it; production points at the company's SIEM.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { resolve } from 'node:path';

const MAX_BODY_BYTES = 10 * 1024 * 1024;
const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type, Authorization',
};

/** Ids already in the output file, so a restarted collector still de-duplicates. */
function readKnownIds(file) {
  const ids = new Set();
  if (!existsSync(file)) return ids;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const id = JSON.parse(line)?.id;
      if (typeof id === 'string') ids.add(id);
    } catch {
      // a torn last line from a crash: ignore it, the extension will resend that event
    }
  }
  return ids;
}

/**
 * The events in a request body: `{"events": [...]}`, or Splunk HEC objects
 * `{"time": …, "sourcetype": …, "event": {...}}`, one per line (a single one needs no newline).
 * Throws an Error whose message is the answer to a malformed body.
 */
export function parseAuditBody(text) {
  let items;
  try {
    const whole = JSON.parse(text);
    if (whole && typeof whole === 'object' && Array.isArray(whole.events)) return { format: 'json', events: whole.events.map(checkEvent) };
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
      if (!item || typeof item !== 'object' || !('event' in item)) throw new BadEvent(`item ${i + 1}: expected {"events": [...]} or HEC objects with "event"`);
      return checkEvent(item.event, i);
    }),
  };
}

class BadEvent extends Error {}

function checkEvent(event, i = 0) {
  if (!event || typeof event !== 'object' || typeof event.id !== 'string' || !event.id) throw new BadEvent(`event ${i + 1} has no "id"`);
  return event;
}

/**
 * Start a collector. Options: `port` (0 = any free port), `host` (default 127.0.0.1), `out` (the
 * JSON-lines file), `failFirst` (answer the first N POSTs with `failStatus`, default 503, storing
 * nothing), `delayMs` (hold every answer that long, after storing: a slow collector whose answer
 * arrives too late), `log` (a function, or false for silence).
 */
export async function startCollector(options = {}) {
  const host = options.host ?? '127.0.0.1';
  const out = resolve(options.out ?? 'audit-events.jsonl');
  const log = options.log === false ? () => {} : (options.log ?? ((m) => console.log(m)));
  const ids = readKnownIds(out);
  const stats = { requests: 0, accepted: 0, duplicates: 0, failed: 0, rejected: 0 };
  let failRemaining = options.failFirst ?? 0;
  let failStatus = options.failStatus ?? 503;
  let delayMs = options.delayMs ?? 0;
  const sockets = new Set();

  const server = createServer((req, res) => {
    const answer = (status, body) => {
      if (res.writableEnded || res.destroyed) return;
      res.writeHead(status, { 'Content-Type': 'application/json', ...CORS });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, CORS);
      res.end();
      return;
    }
    if (req.method === 'GET') {
      answer(200, { status: 'ok', events: ids.size, out });
      return;
    }
    if (req.method !== 'POST') {
      answer(405, { error: 'POST events here' });
      return;
    }
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        answer(413, { error: `body larger than ${MAX_BODY_BYTES} bytes` });
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', async () => {
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
        parsed = parseAuditBody(Buffer.concat(chunks).toString('utf8'));
      } catch (err) {
        stats.rejected += 1;
        log(`POST ${req.url} → 400 ${err.message}`);
        answer(400, { error: err.message });
        return;
      }
      let accepted = 0;
      let duplicates = 0;
      const lines = [];
      for (const event of parsed.events) {
        if (ids.has(event.id)) {
          duplicates += 1;
          continue;
        }
        ids.add(event.id);
        lines.push(JSON.stringify(event) + '\n');
        accepted += 1;
      }
      // Synchronous, so the events are on disk before anyone is told they were accepted.
      if (lines.length) appendFileSync(out, lines.join(''));
      stats.accepted += accepted;
      stats.duplicates += duplicates;
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      log(`POST ${req.url} (${parsed.format}) → 200 accepted ${accepted}, duplicates ${duplicates}${delayMs ? `, answered after ${delayMs} ms` : ''}`);
      const body = { accepted, duplicates };
      // Splunk's own answer, for clients that check it.
      answer(200, parsed.format === 'splunk-hec' ? { text: 'Success', code: 0, ...body } : body);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8787, host, () => resolveListen());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  return {
    url,
    port,
    out,
    stats,
    ids,
    /** Answer the next `n` POSTs with `status` (default 503). */
    failNext(n, status = 503) {
      failRemaining = n;
      failStatus = status;
    },
    /** Hold every answer `ms` milliseconds from now on. */
    setDelayMs(ms) {
      delayMs = ms;
    },
    /** Stop listening and drop open connections (a held answer is never sent). */
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
