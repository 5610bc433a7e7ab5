import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  EXAMPLE_JWS,
  EXAMPLE_POLICY,
  EXAMPLE_TRUSTED,
  makeTempDir,
  REPO_ROOT,
  runCli,
  runInProcess,
  SUBPROCESS_TIMEOUT,
} from './test-helpers.ts';

const DEMO_KEY = join(REPO_ROOT, 'examples', 'keys', 'demo.private.jwk');
// Inside the example policy's validity and the exceptions below.
const AT = '2026-12-01T00:00:00Z';
const tmp = makeTempDir('exceptions');
afterAll(() => tmp.cleanup());
const p = (name: string) => join(tmp.dir, name);

function writeExceptions(name: string, overrides: Record<string, unknown> = {}): string {
  writeFileSync(
    p(name),
    JSON.stringify(
      {
        type: 'ai-geofence-exceptions',
        version: 1,
        serial: 3,
        issued: '2026-11-25T00:00:00Z',
        expires: '2026-12-25T00:00:00Z',
        issuer: 'Example Bank — Global Compliance',
        exceptions: [
          {
            id: 'EXC-2026-031',
            user: 'jdoe',
            tool: 'claude',
            offices: ['HK'],
            until: '2026-12-10T00:00:00Z',
            ticket: 'CHG-88412',
            approver: 'Head of Compliance APAC',
            reason: 'Vendor due-diligence review',
          },
        ],
        ...overrides,
      },
      null,
      2,
    ),
  );
  return p(name);
}

async function signed(name: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const out = p(`${name}.jws`);
  const r = await runInProcess([
    'sign-exception',
    writeExceptions(`${name}.json`, overrides),
    '--key',
    DEMO_KEY,
    '--out',
    out,
    '--at',
    AT,
  ]);
  expect(r.code, r.stderr).toBe(0);
  return out;
}

const explain = (...args: string[]) =>
  runInProcess(['explain', '--policy', EXAMPLE_JWS, '--keys', EXAMPLE_TRUSTED, '--office', 'HK', '--at', AT, ...args]);

describe('sign-exception', { timeout: SUBPROCESS_TIMEOUT }, () => {
  it('signs the exact bytes with typ ai-geofence-exceptions+jws (through the installed bin)', async () => {
    const source = writeExceptions('bin.json');
    const out = p('bin.jws');
    const r = await runCli(['sign-exception', source, '--key', DEMO_KEY, '--out', out, '--at', AT]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/exceptions serial 3, 1 exception\(s\)\) with demo-2026/);
    const [header, payload] = readFileSync(out, 'utf8').trim().split('.');
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toEqual({
      alg: 'EdDSA',
      kid: 'demo-2026',
      typ: 'ai-geofence-exceptions+jws',
    });
    expect(Buffer.from(payload!, 'base64url').equals(readFileSync(source))).toBe(true);
  });

  it('refuses a document that does not match the schema, naming the path', async () => {
    const bad = writeExceptions('bad.json', {
      exceptions: [{ id: 'X', user: 'jdoe', tool: 'claude', until: '2026-12-10T00:00:00Z', approver: 'CISO' }],
    });
    const r = await runInProcess(['sign-exception', bad, '--key', DEMO_KEY, '--out', p('bad.jws'), '--at', AT]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error \$\.exceptions\[0\]\.ticket/);
    expect(r.stderr).toMatch(/refusing to sign/);
  });

  it('refuses an expired document and warns about entries that already ended', async () => {
    const expired = await runInProcess([
      'sign-exception',
      writeExceptions('old.json', { expires: '2026-11-30T00:00:00Z' }),
      '--key',
      DEMO_KEY,
      '--out',
      p('old.jws'),
      '--at',
      AT,
    ]);
    expect(expired.code).toBe(1);
    expect(expired.stderr).toMatch(/expired 2026-11-30T00:00:00Z/);
    const ended = writeExceptions('ended.json', {
      exceptions: [{ id: 'E', user: 'u', tool: 'claude', until: '2026-11-28T00:00:00Z', ticket: 't', approver: 'a' }],
    });
    const r = await runInProcess(['sign-exception', ended, '--key', DEMO_KEY, '--out', p('ended.jws'), '--at', AT]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning \$\.exceptions\[0\]\.until: exception "E" already ended/);
  });

  it('is a usage error without --key', async () => {
    const r = await runInProcess(['sign-exception', writeExceptions('nokey.json'), '--out', p('x.jws')]);
    expect(r.code).toBe(2);
  });
});

describe('explain --exceptions', { timeout: SUBPROCESS_TIMEOUT }, () => {
  it('shows the block lifted for the user with the exception, in text and in JSON', async () => {
    const jws = await signed('ok');
    const text = await explain('--exceptions', jws, '--user', 'jdoe', 'https://claude.ai/new');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/exceptions serial 3 \(verified, signed by demo-2026\) for user jdoe/);
    expect(text.stdout).toContain(
      'https://claude.ai/new → allow (claude, HK-ANTHROPIC-2026-11) — Do not use: Anthropic Claude — exception EXC-2026-031 until 2026-12-10T00:00:00Z (ticket CHG-88412, approved by Head of Compliance APAC)',
    );
    const json = await explain(
      '--exceptions',
      jws,
      '--user',
      'jdoe',
      '--json',
      'https://claude.ai/new',
      'https://chat.deepseek.com/',
    );
    expect(JSON.parse(json.stdout)).toEqual([
      {
        url: 'https://claude.ai/new',
        action: 'allow',
        tool: 'claude',
        rule: 'HK-ANTHROPIC-2026-11',
        exception: {
          id: 'EXC-2026-031',
          until: '2026-12-10T00:00:00Z',
          ticket: 'CHG-88412',
          approver: 'Head of Compliance APAC',
        },
      },
      { url: 'https://chat.deepseek.com/', action: 'block', tool: 'deepseek', rule: 'DEEPSEEK-ALL', exception: null },
    ]);
  });

  it('changes nothing for another user, another office, or after the exception ends', async () => {
    const jws = await signed('scope');
    const other = await explain('--exceptions', jws, '--user', 'asmith', '--json', 'https://claude.ai/');
    expect(JSON.parse(other.stdout)[0]).toMatchObject({ action: 'block', exception: null });
    const ldn = await runInProcess([
      'explain',
      '--policy',
      EXAMPLE_JWS,
      '--keys',
      EXAMPLE_TRUSTED,
      '--office',
      'LDN',
      '--at',
      AT,
      '--exceptions',
      jws,
      '--user',
      'jdoe',
      '--json',
      'https://claude.ai/',
    ]);
    expect(JSON.parse(ldn.stdout)[0]).toMatchObject({ action: 'warn', exception: null });
    const later = await runInProcess([
      'explain',
      '--policy',
      EXAMPLE_JWS,
      '--keys',
      EXAMPLE_TRUSTED,
      '--office',
      'HK',
      '--at',
      '2026-12-10T00:00:00Z',
      '--exceptions',
      jws,
      '--user',
      'jdoe',
      '--json',
      'https://claude.ai/',
    ]);
    expect(JSON.parse(later.stdout)[0]).toMatchObject({ action: 'block', exception: null });
  });

  it('refuses a policy presented as exceptions (typ confusion) and an exceptions document presented as a policy', async () => {
    const asExceptions = await explain('--exceptions', EXAMPLE_JWS, '--user', 'jdoe', 'https://claude.ai/');
    expect(asExceptions.code).toBe(1);
    expect(asExceptions.stderr).toMatch(/refused \(bad-header\): header "typ" must be "ai-geofence-exceptions\+jws"/);
    const jws = await signed('confused');
    const asPolicy = await runInProcess([
      'explain',
      '--policy',
      jws,
      '--keys',
      EXAMPLE_TRUSTED,
      '--office',
      'HK',
      '--at',
      AT,
      'https://claude.ai/',
    ]);
    expect(asPolicy.code).toBe(1);
    expect(asPolicy.stderr).toMatch(/refused \(bad-header\): header "typ" must be "ai-geofence-policy\+jws"/);
  });

  it('needs --user with --exceptions (and --exceptions with --user)', async () => {
    const jws = await signed('flags');
    expect((await explain('--exceptions', jws, 'https://claude.ai/')).code).toBe(2);
    expect((await explain('--user', 'jdoe', 'https://claude.ai/')).code).toBe(2);
  });

  it('keeps the four contract keys exactly without --exceptions', async () => {
    const r = await explain('--json', 'https://claude.ai/');
    expect(Object.keys(JSON.parse(r.stdout)[0]).sort()).toEqual(['action', 'rule', 'tool', 'url']);
  });
});

describe('sign-exception --policy', { timeout: SUBPROCESS_TIMEOUT }, () => {
  const entry = (changes: Record<string, unknown>) => ({
    id: 'EXC-1',
    user: 'jdoe',
    tool: 'claude',
    offices: ['HK'],
    until: '2026-12-10T00:00:00Z',
    ticket: 'CHG-1',
    approver: 'CISO',
    ...changes,
  });
  const sign = (file: string, ...extra: string[]) =>
    runInProcess([
      'sign-exception',
      file,
      '--key',
      DEMO_KEY,
      '--out',
      p(`${file.split('/').pop()}.jws`),
      '--at',
      AT,
      ...extra,
    ]);

  it('refuses a tool or office the policy does not know, with the valid names and a near match', async () => {
    const file = writeExceptions('typos.json', {
      exceptions: [entry({ tool: 'claud', offices: ['HKG', 'PARIS'] }), entry({ id: 'EXC-2', tool: 'gpt-9' })],
    });
    for (const policy of [
      ['--policy', EXAMPLE_POLICY],
      ['--policy', EXAMPLE_JWS, '--keys', EXAMPLE_TRUSTED],
    ]) {
      const r = await sign(file, ...policy);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/error \$\.exceptions\[0\]\.tool: unknown tool "claud": .*did you mean "claude"\?/);
      expect(r.stderr).toMatch(
        /error \$\.exceptions\[0\]\.offices\[0\]: unknown office "HKG": .*did you mean "HK"\? \(offices: HK, NY, LDN, SG, TYO\)/,
      );
      expect(r.stderr).toMatch(/error \$\.exceptions\[0\]\.offices\[1\]: unknown office "PARIS"/);
      expect(r.stderr).toMatch(
        /error \$\.exceptions\[1\]\.tool: unknown tool "gpt-9": .*\(tools the policy names: claude, chatgpt, firm-llm/,
      );
      expect(r.stderr).toMatch(/refusing to sign .*: 4 tool or office names the policy \(serial 42\) does not know/);
    }
  });

  it('signs known names; warns about an exception that lifts nothing, and about an unchecked policy signature', async () => {
    const file = writeExceptions('known.json', {
      exceptions: [entry({}), entry({ id: 'EXC-2', tool: 'mistral-le-chat', offices: undefined })],
    });
    const r = await sign(file, '--policy', EXAMPLE_JWS);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/policy's signature was NOT checked/);
    expect(r.stderr).toMatch(
      /warning \$\.exceptions\[1\]\.tool: no rule of the policy \(serial 42\) blocks or warns about "mistral-le-chat": this exception lifts nothing/,
    );
    expect(r.stderr).not.toMatch(/exceptions\[0\]/);
  });

  it('without --policy, says the names were not checked; a bad --policy is refused', async () => {
    const file = writeExceptions('plain.json');
    const r = await sign(file);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/tools and offices were not checked against a policy \(pass --policy/);
    const missing = await sign(file, '--policy', p('nope.json'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/does not exist/);
  });
});
