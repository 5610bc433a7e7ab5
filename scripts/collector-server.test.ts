import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAuditBody, startCollector, type Collector } from './collector-server.mjs';

let dir: string;
let collector: Collector | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'collector-'));
});
afterEach(async () => {
  await collector?.close();
  collector = null;
  rmSync(dir, { recursive: true, force: true });
});

const ev = (id: string) => ({ id, time: '2026-11-20T09:00:00.000Z', type: 'block', tool: 'claude' });
const lines = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { id: string });

async function post(body: string): Promise<{ status: number; json: Record<string, unknown>; cors: string | null }> {
  const res = await fetch(collector!.url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  return { status: res.status, json: (await res.json()) as Record<string, unknown>, cors: res.headers.get('Access-Control-Allow-Origin') };
}

describe('reference collector', () => {
  it('appends JSON-body events as lines and de-duplicates by id', async () => {
    const out = join(dir, 'events.jsonl');
    collector = await startCollector({ port: 0, out, log: false });
    expect(await post(JSON.stringify({ events: [ev('a'), ev('b')] }))).toEqual({ status: 200, json: { accepted: 2, duplicates: 0 }, cors: '*' });
    expect((await post(JSON.stringify({ events: [ev('b'), ev('c')] }))).json).toEqual({ accepted: 1, duplicates: 1 });
    expect(lines(out).map((e) => e.id)).toEqual(['a', 'b', 'c']);
    expect(lines(out)[0]).toEqual(ev('a'));
  });

  it('accepts Splunk HEC bodies', async () => {
    const out = join(dir, 'events.jsonl');
    collector = await startCollector({ port: 0, out, log: false });
    const hec = [ev('a'), ev('b')].map((event) => JSON.stringify({ time: 1795165200, sourcetype: 'ai-geofence', event })).join('\n');
    expect((await post(hec)).json).toEqual({ text: 'Success', code: 0, accepted: 2, duplicates: 0 });
    expect((await post(JSON.stringify({ time: 1, event: ev('a') }))).json).toMatchObject({ accepted: 0, duplicates: 1 });
    expect(lines(out).map((e) => e.id)).toEqual(['a', 'b']);
  });

  it('answers 400 to a malformed body and stores nothing', async () => {
    const out = join(dir, 'events.jsonl');
    collector = await startCollector({ port: 0, out, log: false });
    expect(await post('{"events":[{"type":"block"}]}')).toMatchObject({ status: 400, json: { error: 'event 1 has no "id"' } });
    expect((await post('not json')).status).toBe(400);
    expect(collector.stats.rejected).toBe(2);
    expect(() => readFileSync(out)).toThrow();
  });

  it('simulates failures and still de-duplicates across a restart of the collector', async () => {
    const out = join(dir, 'events.jsonl');
    collector = await startCollector({ port: 0, out, log: false, failFirst: 2, failStatus: 500 });
    expect((await post(JSON.stringify({ events: [ev('a')] }))).status).toBe(500);
    expect((await post(JSON.stringify({ events: [ev('a')] }))).status).toBe(500);
    expect((await post(JSON.stringify({ events: [ev('a')] }))).json).toEqual({ accepted: 1, duplicates: 0 });
    await collector.close();
    collector = await startCollector({ port: 0, out, log: false });
    expect((await post(JSON.stringify({ events: [ev('a'), ev('b')] }))).json).toEqual({ accepted: 1, duplicates: 1 });
    expect(lines(out).map((e) => e.id)).toEqual(['a', 'b']);
  });

  it('stores before a delayed answer, like a collector whose reply comes too late', async () => {
    const out = join(dir, 'events.jsonl');
    collector = await startCollector({ port: 0, out, log: false, delayMs: 5_000 });
    const aborted = fetch(collector.url, { method: 'POST', body: JSON.stringify({ events: [ev('a')] }), signal: AbortSignal.timeout(300) });
    await expect(aborted).rejects.toThrow();
    expect(lines(out).map((e) => e.id)).toEqual(['a']);
    collector.setDelayMs(0);
    expect((await post(JSON.stringify({ events: [ev('a')] }))).json).toEqual({ accepted: 0, duplicates: 1 });
  });

  it('answers CORS preflights', async () => {
    collector = await startCollector({ port: 0, out: join(dir, 'e.jsonl'), log: false });
    const res = await fetch(collector.url, { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.get('Access-Control-Allow-Headers')).toContain('Content-Type');
  });

  it('parses both formats without a server', () => {
    expect(parseAuditBody('{"events":[{"id":"x"}]}')).toEqual({ format: 'json', events: [{ id: 'x' }] });
    expect(parseAuditBody('{"event":{"id":"x"}}\n{"event":{"id":"y"}}\n')).toEqual({ format: 'splunk-hec', events: [{ id: 'x' }, { id: 'y' }] });
    expect(() => parseAuditBody('[1,2]')).toThrow(/expected/);
  });
});
