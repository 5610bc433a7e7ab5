import { CompactSign, exportJWK, generateKeyPair, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { actionsByTool, compilePolicy, decide, decideWithoutPolicy, nextRuleChange } from '../decide/decide.ts';
import {
  applyException,
  EXCEPTIONS_JWS_TYP,
  exceptionsFor,
  exceptionWarnings,
  findException,
  parseExceptions,
  policyWithExceptions,
  verifyExceptions,
  type ExceptionsDoc,
  type VerifyExceptionsOptions,
  type VerifyExceptionsResult,
} from './exceptions.ts';
import { parsePolicy, POLICY_JWS_TYP, type Policy } from '../policy/policy-schema.ts';
import { sha256Hex, verifyPolicy } from '../policy/verify.ts';

const NOW = Date.parse('2026-11-25T00:00:00Z');
const enc = new TextEncoder();

type Signer = { kid: string; privateKey: CryptoKey; publicJwk: JWK & { kid: string } };
async function makeSigner(kid: string): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid } };
}
function sign(payload: unknown, s: Signer, typ = EXCEPTIONS_JWS_TYP): Promise<string> {
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return new CompactSign(enc.encode(text)).setProtectedHeader({ alg: 'EdDSA', kid: s.kid, typ }).sign(s.privateKey);
}

function exceptionsOf(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'ai-geofence-exceptions',
    version: 1,
    serial: 7,
    issued: '2026-11-20T00:00:00Z',
    expires: '2026-12-20T00:00:00Z',
    issuer: 'Example Bank — Global Compliance',
    exceptions: [
      {
        id: 'EXC-2026-031',
        user: 'jdoe',
        tool: 'claude',
        offices: ['HK'],
        until: '2026-12-01T00:00:00Z',
        ticket: 'CHG-88412',
        approver: 'Head of Compliance APAC',
        reason: 'Vendor due-diligence review',
      },
      {
        id: 'EXC-2026-032',
        user: 'asmith',
        tool: 'deepseek',
        until: '2026-12-15T00:00:00Z',
        ticket: 'CHG-88500',
        approver: 'CISO',
      },
    ],
    ...overrides,
  };
}

const POLICY: Policy = (() => {
  const r = parsePolicy({
    type: 'ai-geofence-policy',
    version: 1,
    serial: 42,
    issued: '2026-11-20T00:00:00Z',
    expires: '2026-12-20T00:00:00Z',
    offices: { HK: { name: 'Hong Kong', jurisdiction: 'HK' }, LDN: { name: 'London', jurisdiction: 'GB' } },
    tools: {
      claude: { name: 'Claude', domains: ['claude.ai'] },
      chatgpt: { name: 'ChatGPT', domains: ['chatgpt.com'] },
    },
    rules: [
      { id: 'HK-CLAUDE', tools: ['claude'], offices: ['HK'], action: 'block', notice: { title: 'Do not use' } },
      { id: 'DEEPSEEK-ALL', tools: ['deepseek'], action: 'block' },
      { id: 'CLAUDE-WARN', tools: ['claude'], action: 'warn' },
      { id: 'CHATGPT-MONITOR', tools: ['chatgpt'], action: 'monitor' },
    ],
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.policy;
})();

function docOf(overrides: Record<string, unknown> = {}): ExceptionsDoc {
  const r = parseExceptions(exceptionsOf(overrides));
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.doc;
}

let compliance: Signer;
let outsider: Signer;
const opts = (over: Partial<VerifyExceptionsOptions> = {}): VerifyExceptionsOptions => ({
  trustedKeys: [compliance.publicJwk],
  now: NOW,
  ...over,
});
const refused = (r: VerifyExceptionsResult) => (r.ok ? 'accepted' : r.code);

beforeAll(async () => {
  compliance = await makeSigner('compliance-2026');
  outsider = await makeSigner('outsider');
});

describe('verifyExceptions', () => {
  it('accepts a document signed by a trusted key and reports its hash and signers', async () => {
    const text = JSON.stringify(exceptionsOf());
    const r = await verifyExceptions(await sign(text, compliance), opts());
    expect(r).toMatchObject({ ok: true, signers: ['compliance-2026'], payloadHash: await sha256Hex(text) });
    expect(r.ok && r.doc.exceptions.map((e) => e.id)).toEqual(['EXC-2026-031', 'EXC-2026-032']);
  });

  it('refuses a forgery: an untrusted key, or a trusted kid with another key', async () => {
    expect(refused(await verifyExceptions(await sign(exceptionsOf(), outsider), opts()))).toBe('untrusted-key');
    const impostor = { ...outsider, kid: 'compliance-2026' };
    expect(refused(await verifyExceptions(await sign(exceptionsOf(), impostor), opts()))).toBe('bad-signature');
  });

  it('meets the same signature threshold as policies', async () => {
    const r = await verifyExceptions(
      await sign(exceptionsOf(), compliance),
      opts({ trustedKeys: [compliance.publicJwk, outsider.publicJwk], threshold: 2 }),
    );
    expect(refused(r)).toBe('threshold-not-met');
  });

  it('refuses an expired document, and one issued in the future', async () => {
    expect(
      refused(
        await verifyExceptions(await sign(exceptionsOf({ expires: '2026-11-24T00:00:00Z' }), compliance), opts()),
      ),
    ).toBe('expired');
    expect(
      refused(await verifyExceptions(await sign(exceptionsOf({ issued: '2026-11-26T00:00:00Z' }), compliance), opts())),
    ).toBe('not-yet-valid');
  });

  it('refuses a rollback to an older serial, and a changed document under the serial in force', async () => {
    const v7 = JSON.stringify(exceptionsOf({ serial: 7 }));
    const current = { serial: 8, payloadHash: 'f'.repeat(64) };
    expect(refused(await verifyExceptions(await sign(v7, compliance), opts({ current })))).toBe('rollback');
    const same = { serial: 7, payloadHash: await sha256Hex(v7) };
    expect(refused(await verifyExceptions(await sign(v7, compliance), opts({ current: same })))).toBe('accepted');
    const changed = JSON.stringify(exceptionsOf({ serial: 7, exceptions: [] }));
    expect(refused(await verifyExceptions(await sign(changed, compliance), opts({ current: same })))).toBe('rollback');
  });

  it('revokes by a new serial: the newer document without the entry is accepted and grants nothing', async () => {
    const old = JSON.stringify(exceptionsOf({ serial: 7 }));
    const current = { serial: 7, payloadHash: await sha256Hex(old) };
    const r = await verifyExceptions(
      await sign(exceptionsOf({ serial: 8, exceptions: [] }), compliance),
      opts({ current }),
    );
    expect(r.ok).toBe(true);
    expect(r.ok && findException(r.doc, 'jdoe', 'claude', 'HK', NOW)).toBeNull();
  });

  it('refuses typ confusion in both directions', async () => {
    // A policy JWS presented as exceptions…
    const policyJws = await sign(
      JSON.stringify({
        type: 'ai-geofence-policy',
        version: 1,
        serial: 42,
        issued: '2026-11-20T00:00:00Z',
        expires: '2026-12-20T00:00:00Z',
        offices: {},
        rules: [],
      }),
      compliance,
      POLICY_JWS_TYP,
    );
    const asExceptions = await verifyExceptions(policyJws, opts());
    expect(asExceptions).toMatchObject({
      ok: false,
      code: 'bad-header',
      message: expect.stringContaining(EXCEPTIONS_JWS_TYP),
    });
    // …and an exceptions JWS presented as a policy.
    const exceptionsJws = await sign(exceptionsOf(), compliance);
    const asPolicy = await verifyPolicy(exceptionsJws, { trustedKeys: [compliance.publicJwk], now: NOW });
    expect(asPolicy).toMatchObject({ ok: false, code: 'bad-header', message: expect.stringContaining(POLICY_JWS_TYP) });
    // The payload type is checked too: a policy payload under the exceptions typ is not exceptions.
    const mislabelled = await sign({ type: 'ai-geofence-policy', version: 1 }, compliance);
    expect(refused(await verifyExceptions(mislabelled, opts()))).toBe('invalid-exceptions');
  });

  it('refuses duplicate JSON keys, duplicate exception ids and incomplete entries', async () => {
    const dupKey = `{"type":"ai-geofence-exceptions","type":"ai-geofence-exceptions","version":1,"serial":1,"issued":"2026-11-20T00:00:00Z","expires":"2026-12-20T00:00:00Z","exceptions":[]}`;
    expect(refused(await verifyExceptions(await sign(dupKey, compliance), opts()))).toBe('bad-payload');
    const twice = exceptionsOf();
    (twice.exceptions as Array<Record<string, unknown>>)[1]!.id = 'EXC-2026-031';
    expect(refused(await verifyExceptions(await sign(twice, compliance), opts()))).toBe('invalid-exceptions');
    const noTicket = parseExceptions(
      exceptionsOf({
        exceptions: [{ id: 'X', user: 'u', tool: 'claude', until: '2026-12-01T00:00:00Z', approver: 'a' }],
      }),
    );
    expect(noTicket.ok).toBe(false);
    expect(!noTicket.ok && noTicket.issues[0]?.path).toBe('$.exceptions[0].ticket');
  });

  it('never throws on hostile input', async () => {
    expect(refused(await verifyExceptions('not a jws', opts()))).toBe('malformed-jws');
    expect(refused(await verifyExceptions(undefined as unknown as string, opts()))).toBe('malformed-jws');
  });
});

describe('findException', () => {
  const doc = docOf();
  it('finds the entry for the user, tool and office', () => {
    expect(findException(doc, 'jdoe', 'claude', 'HK', NOW)?.id).toBe('EXC-2026-031');
  });
  it('applies to nobody else: another user, no user id, another tool, an office not listed', () => {
    expect(findException(doc, 'asmith', 'claude', 'HK', NOW)).toBeNull();
    expect(findException(doc, undefined, 'claude', 'HK', NOW)).toBeNull();
    expect(findException(doc, '', 'claude', 'HK', NOW)).toBeNull();
    expect(findException(doc, 'jdoe', 'chatgpt', 'HK', NOW)).toBeNull();
    expect(findException(doc, 'jdoe', 'claude', 'LDN', NOW)).toBeNull();
  });
  it('applies in any office when the entry lists none', () => {
    expect(findException(doc, 'asmith', 'deepseek', 'LDN', NOW)?.id).toBe('EXC-2026-032');
    expect(findException(doc, 'asmith', 'deepseek', 'HK', NOW)?.id).toBe('EXC-2026-032');
  });
  it('never applies an expired entry, nor any entry of an expired document', () => {
    expect(findException(doc, 'jdoe', 'claude', 'HK', Date.parse('2026-12-01T00:00:00Z'))).toBeNull();
    const short = docOf({ expires: '2026-11-24T00:00:00Z' });
    expect(findException(short, 'asmith', 'deepseek', 'LDN', NOW)).toBeNull();
  });
  it('picks the longest-running of several matching entries', () => {
    const two = docOf({
      exceptions: [
        { id: 'A', user: 'jdoe', tool: 'claude', until: '2026-11-28T00:00:00Z', ticket: 't', approver: 'a' },
        { id: 'B', user: 'jdoe', tool: 'claude', until: '2026-12-10T00:00:00Z', ticket: 't', approver: 'a' },
      ],
    });
    expect(findException(two, 'jdoe', 'claude', 'HK', NOW)?.id).toBe('B');
    expect(exceptionsFor(two, 'jdoe', 'HK', NOW).map((e) => e.id)).toEqual(['B']);
  });
});

describe('applyException', () => {
  const doc = docOf();
  const compiled = compilePolicy(POLICY);
  it('lifts a block to allow for the listed tool, keeping the rule and attaching the exception', () => {
    const d = decide(compiled, { office: 'HK' }, 'https://claude.ai/new', NOW);
    expect(d.action).toBe('block');
    const lifted = applyException(d, findException(doc, 'jdoe', d.toolId, 'HK', NOW), doc);
    expect(lifted).toMatchObject({
      action: 'allow',
      rule: { id: 'HK-CLAUDE' },
      exception: {
        id: 'EXC-2026-031',
        until: '2026-12-01T00:00:00Z',
        ticket: 'CHG-88412',
        approver: 'Head of Compliance APAC',
      },
    });
  });
  it('lifts a warn too, but leaves monitor, allow and fail-closed alone', () => {
    const warned = decide(compiled, { office: 'LDN' }, 'https://claude.ai/', NOW);
    expect(warned.action).toBe('warn');
    const entry = findException(
      docOf({
        exceptions: [
          { id: 'W', user: 'jdoe', tool: 'claude', until: '2026-12-01T00:00:00Z', ticket: 't', approver: 'a' },
        ],
      }),
      'jdoe',
      'claude',
      'LDN',
      NOW,
    );
    expect(applyException(warned, entry).action).toBe('allow');
    const monitored = decide(compiled, { office: 'HK' }, 'https://chatgpt.com/', NOW);
    const forChatgpt = { ...entry!, tool: 'chatgpt' };
    expect(applyException(monitored, forChatgpt)).toMatchObject({ action: 'monitor', exception: null });
    expect(applyException(decideWithoutPolicy('closed', 'https://claude.ai/'), entry)).toMatchObject({
      action: 'block',
      exception: null,
    });
  });
  it('does not lift another tool with an exception meant for one', () => {
    const d = decide(compiled, { office: 'HK' }, 'https://chat.deepseek.com/', NOW);
    expect(applyException(d, findException(doc, 'jdoe', 'claude', 'HK', NOW))).toMatchObject({
      action: 'block',
      exception: null,
    });
  });
  it('reports the document expiry when it comes before the entry ends', () => {
    const short = docOf({ expires: '2026-11-28T00:00:00Z' });
    const d = decide(compiled, { office: 'HK' }, 'https://claude.ai/', NOW);
    expect(applyException(d, findException(short, 'jdoe', 'claude', 'HK', NOW), short).exception?.until).toBe(
      '2026-11-28T00:00:00Z',
    );
  });
});

describe('policyWithExceptions (enforcement)', () => {
  const doc = docOf();
  it('allows the excepted tool for that employee until the exception ends, then the rule is back', () => {
    const enforced = compilePolicy(policyWithExceptions(POLICY, doc, 'jdoe', 'HK', NOW));
    expect(actionsByTool(enforced, { office: 'HK' }, NOW).get('claude')).toMatchObject({
      action: 'allow',
      rule: { id: 'exception:EXC-2026-031' },
    });
    expect(actionsByTool(enforced, { office: 'HK' }, NOW).get('deepseek')?.action).toBe('block'); // asmith's, not jdoe's
    expect(actionsByTool(enforced, { office: 'HK' }, Date.parse('2026-12-01T00:00:00Z')).get('claude')?.action).toBe(
      'block',
    );
    // The existing rule-window alarm fires when the exception ends.
    expect(nextRuleChange(enforced.policy, NOW)).toBe(Date.parse('2026-12-01T00:00:00Z'));
  });
  it('agrees with applyException for every tool, office and instant (DNR and pages say the same)', () => {
    const grants = docOf({
      exceptions: [
        { id: 'C', user: 'jdoe', tool: 'claude', until: '2026-12-01T00:00:00Z', ticket: 't', approver: 'a' },
        {
          id: 'D',
          user: 'jdoe',
          tool: 'deepseek',
          offices: ['LDN'],
          until: '2026-11-28T00:00:00Z',
          ticket: 't',
          approver: 'a',
        },
        { id: 'M', user: 'jdoe', tool: 'chatgpt', until: '2026-12-01T00:00:00Z', ticket: 't', approver: 'a' },
        { id: 'G', user: 'jdoe', tool: 'gemini', until: '2026-12-01T00:00:00Z', ticket: 't', approver: 'a' },
      ],
    });
    const blockingDefault: Policy = { ...POLICY, defaultAction: 'block' };
    const plain = compilePolicy(blockingDefault);
    for (const office of ['HK', 'LDN']) {
      for (const at of [NOW, Date.parse('2026-11-28T00:00:00Z'), Date.parse('2026-12-01T00:00:00Z')]) {
        const enforced = actionsByTool(
          compilePolicy(policyWithExceptions(blockingDefault, grants, 'jdoe', office, at)),
          { office },
          at,
        );
        for (const [tool, url] of [
          ['claude', 'https://claude.ai/'],
          ['deepseek', 'https://chat.deepseek.com/'],
          ['chatgpt', 'https://chatgpt.com/'],
          ['gemini', 'https://gemini.google.com/'],
        ] as const) {
          const d = decide(plain, { office }, url, at);
          const expected = applyException(d, findException(grants, 'jdoe', tool, office, at), grants).action;
          expect(enforced.get(tool)?.action, `${tool} in ${office} at ${new Date(at).toISOString()}`).toBe(expected);
        }
      }
    }
    // The monitored tool stays monitored (its banner and visit events remain evidence).
    expect(
      actionsByTool(compilePolicy(policyWithExceptions(POLICY, grants, 'jdoe', 'HK', NOW)), { office: 'HK' }, NOW).get(
        'chatgpt',
      )?.action,
    ).toBe('monitor');
  });

  it('changes nothing for other users or without a document', () => {
    expect(policyWithExceptions(POLICY, doc, 'someone', 'HK', NOW)).toBe(POLICY);
    expect(policyWithExceptions(POLICY, null, 'jdoe', 'HK', NOW)).toBe(POLICY);
  });
});

describe('exceptionWarnings', () => {
  it('flags entries already ended and entries outliving the document', () => {
    const doc = docOf({
      exceptions: [
        { id: 'OLD', user: 'u', tool: 'claude', until: '2026-11-01T00:00:00Z', ticket: 't', approver: 'a' },
        { id: 'LONG', user: 'u', tool: 'claude', until: '2027-06-01T00:00:00Z', ticket: 't', approver: 'a' },
        { id: 'OK', user: 'u', tool: 'claude', until: '2026-12-01T00:00:00Z', ticket: 't', approver: 'a' },
      ],
    });
    expect(exceptionWarnings(doc, NOW).map((w) => w.path)).toEqual(['$.exceptions[0].until', '$.exceptions[1].until']);
  });
});
