import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeAuditEvent, type AuditEvent } from '../src/core/audit/audit.ts';
import { sealAuditEventWith, startLedger } from '../src/core/audit/ledger.ts';
import { openAuditStore, readAuditStore } from '../src/cli/audit-store.mjs';
import { sha256Sync } from '../src/cli/sha256.ts';
import { main } from '../src/cli/index.ts';
import { jsonDepth, parseAuditBody, startCollector, type Collector } from './collector-server.mjs';

let dir: string;
let collector: Collector | null = null;
let child: ChildProcess | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'collector-'));
});
afterEach(async () => {
  await collector?.close();
  collector = null;
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = null;
  rmSync(dir, { recursive: true, force: true });
});

const ev = (id: string) => ({ id, time: '2026-11-20T09:00:00.000Z', type: 'block', tool: 'claude' });
const stored = (file: string) => {
  const rows: Array<{ id: string }> = [];
  readAuditStore(file, (_n, body) => rows.push(JSON.parse(body) as { id: string }));
  return rows;
};

async function post(
  body: string | Uint8Array<ArrayBuffer>,
  headers: Record<string, string> = {},
  url = collector!.url,
): Promise<{ status: number; json: Record<string, unknown>; cors: string | null }> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });
  return {
    status: res.status,
    json: (await res.json()) as Record<string, unknown>,
    cors: res.headers.get('Access-Control-Allow-Origin'),
  };
}

describe('reference collector', () => {
  it('stores JSON-body events and de-duplicates by id', async () => {
    const out = join(dir, 'events.sqlite');
    collector = await startCollector({ port: 0, out, log: false });
    expect(await post(JSON.stringify({ events: [ev('a'), ev('b')] }))).toEqual({
      status: 200,
      json: { accepted: 2, duplicates: 0 },
      cors: '*',
    });
    expect((await post(JSON.stringify({ events: [ev('b'), ev('c')] }))).json).toEqual({ accepted: 1, duplicates: 1 });
    expect(stored(out).map((e) => e.id)).toEqual(['a', 'b', 'c']);
    expect(stored(out)[0]).toEqual(ev('a'));
  });

  it('stores a resent event once even when its keys come back in another order (browser storage sorts them)', async () => {
    const out = join(dir, 'events.sqlite');
    collector = await startCollector({ port: 0, out, log: false });
    const e = { ...ev('a'), detail: { z: 1, a: [{ y: 2, b: 3 }] } };
    await post(JSON.stringify({ events: [e] }));
    const reordered = JSON.parse(JSON.stringify(e, Object.keys(e).reverse().concat('z', 'a', 'y', 'b'))) as typeof e;
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(e));
    expect((await post(JSON.stringify({ events: [reordered] }))).json).toEqual({ accepted: 0, duplicates: 1 });
    expect(stored(out)).toEqual([e]);
  });

  it('keeps a repeated id with different content, so audit-verify names the conflict', async () => {
    const out = join(dir, 'events.sqlite');
    collector = await startCollector({ port: 0, out, log: false });
    await post(JSON.stringify({ events: [ev('a')] }));
    expect((await post(JSON.stringify({ events: [{ ...ev('a'), tool: 'chatgpt' }] }))).json).toEqual({
      accepted: 1,
      duplicates: 0,
    });
    expect(stored(out)).toHaveLength(2);
  });

  it('accepts Splunk HEC and OTLP bodies, plain or gzip', async () => {
    const out = join(dir, 'events.sqlite');
    collector = await startCollector({ port: 0, out, log: false });
    const hec = [ev('a'), ev('b')]
      .map((event) => JSON.stringify({ time: 1795165200, sourcetype: 'ai-geofence', event }))
      .join('\n');
    expect((await post(hec)).json).toEqual({ text: 'Success', code: 0, accepted: 2, duplicates: 0 });
    expect((await post(JSON.stringify({ time: 1, event: ev('a') }))).json).toMatchObject({
      accepted: 0,
      duplicates: 1,
    });
    const otlp = {
      resourceLogs: [
        {
          resource: { attributes: [] },
          scopeLogs: [
            {
              scope: { name: 'ai-geofence' },
              logRecords: [{ timeUnixNano: '1', body: { stringValue: JSON.stringify(ev('c')) } }],
            },
          ],
        },
      ],
    };
    expect((await post(new Uint8Array(gzipSync(JSON.stringify(otlp))), { 'Content-Encoding': 'gzip' })).json).toEqual({
      accepted: 1,
      duplicates: 0,
    });
    expect(stored(out).map((e) => e.id)).toEqual(['a', 'b', 'c']);
  });

  it('requires the bearer token when one is set (Splunk-style too), and says so with 401', async () => {
    collector = await startCollector({
      port: 0,
      out: join(dir, 'e.sqlite'),
      log: false,
      token: 'correct-horse-battery-staple',
    });
    const body = JSON.stringify({ events: [ev('a')] });
    expect((await post(body)).status).toBe(401);
    expect((await post(body, { Authorization: 'Bearer wrong-horse-battery-staple' })).status).toBe(401);
    expect((await post(body, { Authorization: 'Bearer correct-horse-battery-staple' })).status).toBe(200);
    expect((await post(body, { Authorization: 'Splunk correct-horse-battery-staple' })).json).toMatchObject({
      duplicates: 1,
    });
    expect(collector.stats.unauthorized).toBe(2);
  });

  it('refuses oversized, deeply nested, badly encoded and gzip-bomb bodies with a reason, storing nothing', async () => {
    collector = await startCollector({
      port: 0,
      out: join(dir, 'e.sqlite'),
      log: false,
      maxBodyBytes: 64 * 1024,
      maxDecodedBytes: 256 * 1024,
    });
    expect((await post('x'.repeat(100 * 1024))).status).toBe(413);
    const nested = `{"events":[{"id":"a","detail":${'['.repeat(5000)}${']'.repeat(5000)}}]}`;
    expect(await post(nested)).toMatchObject({ status: 400, json: { error: 'JSON nested deeper than 32 levels' } });
    expect((await post(JSON.stringify({ events: [ev('a')] }), { 'Content-Encoding': 'br' })).status).toBe(415);
    const bomb = gzipSync(JSON.stringify({ events: [{ ...ev('a'), pad: ' '.repeat(2 * 1024 * 1024) }] }));
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(await post(new Uint8Array(bomb), { 'Content-Encoding': 'gzip' })).toMatchObject({
      status: 400,
      json: { error: expect.stringMatching(/once decoded/) },
    });
    expect(collector.size()).toBe(0);
    expect(jsonDepth('{"a":"[[[[","b":[[1]]}')).toBe(3);
  });

  it('answers 503 (kept and retried by the extension) when busy or when storage fails, and keeps running', async () => {
    collector = await startCollector({ port: 0, out: join(dir, 'e.sqlite'), log: false, maxConcurrent: 1 });
    // A half-sent request holds the only slot.
    const held = request(collector.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Length': '1000' },
    });
    held.on('error', () => {});
    held.write('{"events":[');
    await expect.poll(() => collector!.inProgress()).toBe(1);
    const busy = await post(JSON.stringify({ events: [ev('a')] }));
    expect(busy.status).toBe(503);
    held.destroy();
    await collector.close();
    const failing = {
      add: () => {
        throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
      },
      size: () => 0,
      close: () => {},
    };
    collector = await startCollector({ port: 0, log: false, store: failing });
    expect(await post(JSON.stringify({ events: [ev('a')] }))).toMatchObject({
      status: 503,
      json: { error: 'the collector cannot store events right now' },
    });
    expect(collector.stats.storageErrors).toBe(1);
    expect((await fetch(collector.url)).status).toBe(200);
    await collector.close();
    const unreadable = {
      ...failing,
      size: () => {
        throw new Error('database disk image is malformed');
      },
    };
    collector = await startCollector({ port: 0, log: false, store: unreadable });
    expect((await fetch(collector.url)).status).toBe(503);
    expect((await post(JSON.stringify({ events: [ev('a')] }))).status).toBe(503);
  });

  it('refuses to start on a missing folder or a .jsonl store name, with the reason', async () => {
    await expect(startCollector({ port: 0, out: join(dir, 'missing', 'e.sqlite'), log: false })).rejects.toThrow(
      /does not exist/,
    );
    await expect(startCollector({ port: 0, out: join(dir, 'e.jsonl'), log: false })).rejects.toThrow(
      /stores events in SQLite/,
    );
  });

  it('simulates failures, and de-duplicates across a restart that does not read the store', {
    timeout: 60_000,
  }, async () => {
    const out = join(dir, 'events.sqlite');
    const store = openAuditStore(out);
    for (let i = 0; i < 20; i++) store.add(Array.from({ length: 5000 }, (_, j) => ev(`bulk-${i}-${j}`)));
    store.close();
    const started = performance.now();
    collector = await startCollector({ port: 0, out, log: false, failFirst: 1, failStatus: 500 });
    expect(performance.now() - started).toBeLessThan(1000);
    expect((await post(JSON.stringify({ events: [ev('a')] }))).status).toBe(500);
    expect((await post(JSON.stringify({ events: [ev('a'), ev('bulk-3-7')] }))).json).toEqual({
      accepted: 1,
      duplicates: 1,
    });
    expect(collector.size()).toBe(100_001);
  });

  it('stores before a delayed answer, like a collector whose reply comes too late', async () => {
    const out = join(dir, 'events.sqlite');
    collector = await startCollector({ port: 0, out, log: false, delayMs: 5_000 });
    const aborted = fetch(collector.url, {
      method: 'POST',
      body: JSON.stringify({ events: [ev('a')] }),
      signal: AbortSignal.timeout(300),
    });
    await expect(aborted).rejects.toThrow();
    expect(stored(out).map((e) => e.id)).toEqual(['a']);
    collector.setDelayMs(0);
    expect((await post(JSON.stringify({ events: [ev('a')] }))).json).toEqual({ accepted: 0, duplicates: 1 });
  });

  it('answers CORS preflights', async () => {
    collector = await startCollector({ port: 0, out: join(dir, 'e.sqlite'), log: false });
    const res = await fetch(collector.url, { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.get('Access-Control-Allow-Headers')).toContain('Authorization');
  });

  it('parses every format without a server', () => {
    expect(parseAuditBody('{"events":[{"id":"x"}]}')).toEqual({ format: 'json', events: [{ id: 'x' }] });
    expect(parseAuditBody('{"event":{"id":"x"}}\n{"event":{"id":"y"}}\n')).toEqual({
      format: 'splunk-hec',
      events: [{ id: 'x' }, { id: 'y' }],
    });
    expect(() => parseAuditBody('[1,2]')).toThrow(/expected/);
    expect(() =>
      parseAuditBody('{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"nope"}}]}]}]}'),
    ).toThrow(/log record 1/);
  });
});

/** A browser's sealed events, as the extension records them. */
function ledger(index: number, n: number): AuditEvent[] {
  let l = startLedger(`eeeeeeee-0000-4000-8000-${String(index).padStart(12, '0')}`);
  return Array.from({ length: n }, (_, i) => {
    const e = makeAuditEvent(
      { type: 'block', tool: 'claude', rule: 'R' },
      { office: 'HK', groups: [], policySerial: 1, urlDetail: 'path' },
      {
        id: `ffffffff-${String(index).padStart(4, '0')}-4000-8000-${String(i).padStart(12, '0')}`,
        now: Date.parse('2026-11-20T09:00:00Z') + i * 1000,
        extensionVersion: '0.3.0',
      },
    );
    const s = sealAuditEventWith(sha256Sync, l, e);
    l = s.ledger;
    return s.event;
  });
}

/** Start the collector as its own process (so it can be killed with SIGKILL); resolves to its URL. */
function spawnCollector(out: string, fdLimit?: number): Promise<string> {
  const args = [resolve(import.meta.dirname, 'collector.mjs'), '--port', '0', '--out', out];
  child = fdLimit
    ? spawn('sh', ['-c', `ulimit -n ${fdLimit} && exec "$0" "$@"`, process.execPath, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((done, fail) => {
    let text = '';
    child!.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(text);
      if (m) done(m[1]!);
    });
    child!.on('exit', (code) => fail(new Error(`collector exited (${code}): ${text}`)));
  });
}

describe('reference collector, descriptor limit', () => {
  it('keeps answering with more half-sent requests than file descriptors (no EMFILE crash)', {
    timeout: 60_000,
  }, async () => {
    const out = join(dir, 'fd.sqlite');
    const url = await spawnCollector(out, 128);
    const { port } = new URL(url);
    const sockets = await Promise.all(
      Array.from(
        { length: 200 },
        () =>
          new Promise<Socket>((done) => {
            const s = connect(Number(port), '127.0.0.1', () => {
              s.write(
                'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"ev',
              );
              done(s);
            });
            s.on('error', () => done(s));
          }),
      ),
    );
    for (const s of sockets) s.destroy();
    await expect
      .poll(
        async () =>
          (await fetch(url, { method: 'POST', body: JSON.stringify({ events: [ev('after')] }) }).catch(() => null))
            ?.status,
        { timeout: 20_000 },
      )
      .toBe(200);
    expect(child!.exitCode).toBeNull();
  });
});

describe('reference collector, crash safety', () => {
  it('loses nothing it acknowledged to kill -9 mid-ingest and a torn WAL write, and raises no false alarm', {
    timeout: 60_000,
  }, async () => {
    const out = join(dir, 'crash.sqlite');
    const browsers = Array.from({ length: 8 }, (_, i) => ledger(i, 400));
    const acked = new Set<string>();
    const next = browsers.map(() => 0); // per browser: first event not yet acknowledged
    /** Each browser posts batches of 20 in order, moving on only after a 200 (as the extension does). */
    const pump = async (url: string, stopAfter: number) => {
      let sent = 0;
      await Promise.all(
        browsers.map(async (events, b) => {
          while (next[b]! < events.length && sent < stopAfter) {
            const batch = events.slice(next[b]!, next[b]! + 20);
            sent += 1;
            let ok = false;
            try {
              ok = (
                await fetch(url, {
                  method: 'POST',
                  headers: { 'Content-Type': 'application/json' },
                  body: JSON.stringify({ events: batch }),
                })
              ).ok;
            } catch {
              return; // the collector died: this browser keeps its queue
            }
            if (!ok) return;
            for (const e of batch) acked.add(e.id);
            next[b] = next[b]! + batch.length;
          }
        }),
      );
    };
    const first = await spawnCollector(out);
    const pumping = pump(first, Infinity);
    // Kill once some batches are acknowledged and others are in flight.
    while (acked.size < 600) await new Promise((r) => setTimeout(r, 5));
    child!.kill('SIGKILL');
    await pumping;
    expect(acked.size).toBeGreaterThan(0);
    expect(next.some((n) => n < 400)).toBe(true); // it really died mid-ingest
    // A torn write: the tail of a frame that never completed (bytes after the last commit).
    const wal = `${out}-wal`;
    if (existsSync(wal)) appendFileSync(wal, Buffer.alloc(1500, 0xa5));
    const again = await spawnCollector(out);
    const ids = new Set(stored(out).map((e) => e.id));
    for (const id of acked) expect(ids.has(id)).toBe(true);
    // The browsers resend what was not acknowledged; the ledger is then whole, without a false alarm.
    await pump(again, Infinity);
    expect(next.every((n) => n === 400)).toBe(true);
    let stdout = '';
    const code = await main(['audit-verify', out, '--json'], { out: (t) => void (stdout += t), err: () => {} });
    const report = JSON.parse(stdout) as {
      problems: unknown[];
      warnings: unknown[];
      sources: Array<{ events: number }>;
    };
    expect(report.problems).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(report.sources.map((s) => s.events)).toEqual(Array(8).fill(400));
    expect(code).toBe(0);
  });
});
