import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeAuditEvent, type AuditInput } from '../core/audit/audit.ts';
import { EXAMPLE_POLICY, makeTempDir, runCli, runInProcess, SUBPROCESS_TIMEOUT } from './test-helpers.ts';

const tmp = makeTempDir('discovered');
afterAll(() => tmp.cleanup());

let n = 0;
function event(input: Partial<AuditInput>, office: string, source: string, at: string) {
  n += 1;
  const e = makeAuditEvent(
    { type: 'discovered-tool', ...input },
    { office, groups: [], policySerial: 42, urlDetail: 'path', policyHash: null },
    {
      id: `cccccccc-0000-4000-8000-${String(n).padStart(12, '0')}`,
      now: Date.parse(at),
      extensionVersion: '0.1.0',
    },
  );
  return { ...e, source };
}
const S1 = 'dddddddd-0000-4000-8000-000000000001';
const S2 = 'dddddddd-0000-4000-8000-000000000002';
const found = (host: string, signals: string[], action: string) => ({
  url: `https://${host}/`,
  detail: { host, origin: `https://${host}`, signals, action, enforceable: true },
});

const EVENTS = [
  event(found('chat.novaai.example', ['name', 'chat-input', 'send-button'], 'block'), 'HK', S1, '2026-11-24T09:00:00Z'),
  event(
    found('chat.novaai.example', ['name', 'chat-input', 'model-picker'], 'warn'),
    'LDN',
    S2,
    '2026-11-24T10:00:00Z',
  ),
  event(
    { type: 'block', tool: 'claude', rule: 'HK-ANTHROPIC-2026-11', url: 'https://claude.ai/' },
    'HK',
    S1,
    '2026-11-24T09:01:00Z',
  ),
  event(found('chatgpt.com', ['name', 'chat-input'], 'allow'), 'NY', S2, '2026-11-24T11:00:00Z'),
];

function writeEvents(name: string, extra = ''): string {
  const file = join(tmp.dir, name);
  writeFileSync(file, `${EVENTS.map((e) => JSON.stringify(e)).join('\n')}\n${extra}`);
  return file;
}

describe('discovered', () => {
  it(
    'lists every discovered host with browsers, offices, signals and what was applied (text, real binary)',
    async () => {
      const file = writeEvents('events.jsonl');
      const r = await runCli(['discovered', file]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('3 discovered-tool event(s), 2 host(s)');
      const nova = r.stdout.split('\n').find((l) => l.includes('chat.novaai.example'))!;
      expect(nova).toMatch(/chat\.novaai\.example\s+2\s+2\s+HK,LDN/);
      expect(nova).toContain('name+chat-input+send-button+model-picker / block 1, warn 1');
      expect(r.stdout).not.toContain('claude.ai');
    },
    SUBPROCESS_TIMEOUT,
  );

  it('with --json prints the report, and --policy marks the hosts a policy or the catalogue lists now', async () => {
    const r = await runInProcess(['discovered', writeEvents('json.jsonl'), '--policy', EXAMPLE_POLICY, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      events: number;
      hosts: Array<{ host: string; browsers: number; listedAs: string | null; actions: Record<string, number> }>;
    };
    expect(out.events).toBe(3);
    expect(out.hosts.map((h) => [h.host, h.browsers, h.listedAs])).toEqual([
      ['chat.novaai.example', 2, null],
      ['chatgpt.com', 1, 'chatgpt'],
    ]);
    const text = await runInProcess(['discovered', writeEvents('text.jsonl'), '--policy', EXAMPLE_POLICY]);
    expect(text.stdout).toMatch(/chat\.novaai\.example.*still unlisted/);
    expect(text.stdout).toMatch(/chatgpt\.com.*now listed as "chatgpt"/);
  });

  it('skips a damaged line with a warning, says when nothing was found, and refuses bad usage', async () => {
    const damaged = await runInProcess(['discovered', writeEvents('damaged.jsonl', '{not json\n')]);
    expect(damaged.code).toBe(0);
    expect(damaged.stderr).toMatch(/line 5: not JSON.*skipped/);
    const empty = join(tmp.dir, 'empty.jsonl');
    writeFileSync(empty, `${JSON.stringify(EVENTS[2])}\n`);
    expect((await runInProcess(['discovered', empty])).stdout).toContain('no unlisted AI tool has been reported');
    expect((await runInProcess(['discovered'])).code).toBe(2);
    expect((await runInProcess(['discovered', empty, '--keys', 'k.json'])).code).toBe(2);
    const missing = await runInProcess(['discovered', join(tmp.dir, 'nope.jsonl')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.jsonl/);
  });
});
