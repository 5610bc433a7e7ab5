/**
 * Fuzzing. Short by default, so `npm run test:unit` stays fast; `npm run test:fuzz` runs
 * the same properties long (FUZZ_RUNS, default there 200000 for the cheap properties; the
 * signature-verifying ones run FUZZ_RUNS / 20, as each verifies a real signature).
 *
 * - decide() against an independent reference model written from the documented matching rules (hosts:
 *   WHATWG parsing, lower case, trailing dots, subdomains, longest domain wins; first matching rule).
 * - verifyPolicy, parsePolicy, lintPolicy and parseStrictJson never throw, whatever the input
 *   (arbitrary strings as JWS, JWS-shaped strings, arbitrary JSON values, signed arbitrary JSON).
 */
import fc from 'fast-check';
import { CompactSign, exportJWK, generateKeyPair, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { compilePolicy, decide } from './decide.ts';
import { lintPolicy } from '../lint/lint.ts';
import { parsePolicy, POLICY_JWS_TYP, type Policy } from '../policy/policy-schema.ts';
import { parseStrictJson } from '../policy/strict-json.ts';
import { verifyPolicy } from '../policy/verify.ts';

const LONG = process.env.FUZZ_RUNS !== undefined;
const RUNS = Math.max(1, Number(process.env.FUZZ_RUNS ?? 150));
const SLOW_RUNS = Math.max(1, Math.floor(LONG ? RUNS / 20 : 40));
const TIMEOUT = LONG ? 0 : 60_000;
const NOW = Date.parse('2026-11-25T00:00:00Z');

// ---------------------------------------------------------------------------------------------
// decide vs reference model

const DOMAINS = ['fuzz.example', 'a.fuzz.example', 'b.a.fuzz.example', 'other.test', 'xn--bcher-kva.test'];
const TOOL_IDS = ['t1', 't2', 't3', 't4'];
const OFFICES = ['HK', 'NY', 'LDN'];
const ACTIONS = ['block', 'warn', 'monitor', 'allow'] as const;

const toolsArb = fc.dictionary(
  fc.constantFrom(...TOOL_IDS),
  fc.record({ name: fc.constant('T'), domains: fc.subarray(DOMAINS, { minLength: 1 }) }),
  { minKeys: 1, maxKeys: 4 },
);
const ruleArb = fc.record(
  {
    id: fc.constantFrom('R1', 'R2', 'R3', 'R4', 'R5'),
    tools: fc.subarray(TOOL_IDS, { minLength: 1 }),
    offices: fc.subarray(OFFICES),
    exceptOffices: fc.subarray(OFFICES),
    action: fc.constantFrom(...ACTIONS),
    notice: fc.constant({ title: 'x' }),
  },
  { requiredKeys: ['id', 'tools', 'action', 'notice'] },
);
const policyArb = fc
  .record({ tools: toolsArb, rules: fc.array(ruleArb, { maxLength: 6 }), defaultAction: fc.constantFrom(...ACTIONS) })
  .map((p) => {
    const seen = new Set<string>();
    const rules = p.rules.filter((r) => !seen.has(r.id) && seen.add(r.id));
    return parsePolicy({
      type: 'ai-geofence-policy',
      version: 1,
      serial: 1,
      issued: '2026-11-20T00:00:00Z',
      expires: '2026-12-20T00:00:00Z',
      offices: {
        HK: { name: 'HK', jurisdiction: 'HK' },
        NY: { name: 'NY', jurisdiction: 'US' },
        LDN: { name: 'LDN', jurisdiction: 'GB' },
      },
      ...p,
      rules,
    });
  })
  .filter((r) => r.ok)
  .map((r) => (r as { ok: true; policy: Policy }).policy);

const mangleCase = (s: string, mask: number) =>
  [...s].map((c, i) => ((mask >> (i % 30)) & 1 ? c.toUpperCase() : c)).join('');
const urlArb = fc
  .tuple(
    fc.constantFrom('https://', 'http://', 'HTTPS://', 'ftp://', 'ws://', 'view-source:https://', 'blob:https://'),
    fc.constantFrom('', 'user@', 'fuzz.example@', 'a:b@', 'x%40y@'),
    fc.constantFrom('', 'www.', 'c.', 'not', 'x-', 'b.'),
    fc.constantFrom(
      ...DOMAINS,
      'fuzz.example.evil.test',
      'bücher.test',
      'BÜCHER.test',
      '127.0.0.1',
      '[::1]',
      'fuzz.examplе' /* Cyrillic е */,
    ),
    fc.constantFrom('', '.', '..', ':443', ':8443', '.:443'),
    fc.constantFrom('/', '/chat', '', '/%2e%2e/', '?q=1', '#f'),
    fc.integer({ min: 0, max: 2 ** 30 }),
  )
  .map(([s, u, sub, d, port, path, mask]) => `${s}${u}${mangleCase(sub + d, mask)}${port}${path}`);

/** Reference: written from docs/enforcement.md#which-tool-which-rule, sharing no code with decide(). */
function reference(policy: Policy, office: string, url: string): { action: string; toolId: string | null } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { action: 'allow', toolId: null };
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return { action: 'allow', toolId: null };
  const host = u.hostname.replace(/\.+$/, '');
  // The URL's tools: every tool listing the longest listed domain the host falls under.
  let len = -1;
  let ids: string[] = [];
  for (const [id, tool] of Object.entries(policy.tools)) {
    for (const d of tool.domains) {
      if (!(host === d || host.endsWith(`.${d}`)) || d.length < len) continue;
      if (d.length > len) ids = [];
      len = d.length;
      if (!ids.includes(id)) ids.push(id);
    }
  }
  if (ids.length === 0) return { action: 'allow', toolId: null };
  // The first rule naming any of them decides.
  for (const r of policy.rules) {
    const named = ids.find((id) => (r.tools ?? []).includes(id));
    if (named === undefined) continue;
    if (r.offices !== undefined && !r.offices.includes(office)) continue;
    if (r.exceptOffices?.includes(office)) continue;
    return { action: r.action, toolId: named };
  }
  return { action: policy.defaultAction, toolId: ids[0]! };
}

describe('fuzz: decide vs reference model', () => {
  it('agrees on random policies, offices and hostile URL spellings', { timeout: TIMEOUT }, () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.array(fc.tuple(fc.constantFrom(...OFFICES), urlArb), { minLength: 1, maxLength: 10 }),
        (policy, cases) => {
          const compiled = compilePolicy(policy);
          for (const [office, url] of cases) {
            const d = decide(compiled, { office }, url, NOW);
            expect({ action: d.action, toolId: d.toolId }, url).toEqual(reference(policy, office, url));
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// never throw

let signer: { privateKey: CryptoKey; publicJwk: JWK & { kid: string } };
beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  signer = { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid: 'k' } };
});
const b64chars = fc.string({ unit: fc.constantFrom(...'ABCabc019-_=+/.{}"'.split('')), maxLength: 40 });

describe('fuzz: nothing throws on hostile input', () => {
  it('parseStrictJson, parsePolicy and lintPolicy on arbitrary strings and JSON values', { timeout: TIMEOUT }, () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc.json({ depthSize: 'large' }),
          fc.constantFrom('[[[[', '{"a":1,"a":2}', '"\\ud800"'),
        ),
        fc.jsonValue(),
        (text, value) => {
          const r = parseStrictJson(text);
          if (r.ok) {
            expect(() => parsePolicy(r.value)).not.toThrow();
            expect(() => lintPolicy(r.value, NOW)).not.toThrow();
          }
          expect(() => parsePolicy(value)).not.toThrow();
          expect(() => lintPolicy(value, NOW)).not.toThrow();
          // A policy-shaped object with arbitrary values in every field.
          const shaped = {
            type: 'ai-geofence-policy',
            version: 1,
            serial: 1,
            issued: value,
            expires: value,
            offices: value,
            tools: value,
            rules: [value],
            defaultAction: value,
          };
          expect(() => parsePolicy(shaped)).not.toThrow();
          expect(() => lintPolicy(shaped, NOW)).not.toThrow();
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('verifyPolicy on arbitrary strings and JWS-shaped strings (resolves, never accepts)', {
    timeout: TIMEOUT,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc.tuple(b64chars, b64chars, b64chars).map((p) => p.join('.')),
          fc.json().map((j) => `{"payload":"x","signatures":[${j}]}`),
        ),
        async (text) => {
          const r = await verifyPolicy(text, { trustedKeys: [signer.publicJwk], now: NOW });
          expect(r.ok).toBe(false);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('verifyPolicy on validly signed arbitrary JSON (schema, lint and decide downstream never throw)', {
    timeout: TIMEOUT,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue(),
          fc.jsonValue().map((v) => ({
            type: 'ai-geofence-policy',
            version: 1,
            serial: 1,
            issued: '2026-11-20T00:00:00Z',
            expires: '2026-12-20T00:00:00Z',
            offices: {},
            rules: v,
          })),
        ),
        async (value) => {
          const doc = await new CompactSign(new TextEncoder().encode(JSON.stringify(value) ?? 'null'))
            .setProtectedHeader({ alg: 'EdDSA', kid: 'k', typ: POLICY_JWS_TYP })
            .sign(signer.privateKey);
          const r = await verifyPolicy(doc, { trustedKeys: [signer.publicJwk], now: NOW });
          if (r.ok)
            expect(() => decide(compilePolicy(r.policy), { office: 'HK' }, 'https://claude.ai/', NOW)).not.toThrow();
        },
      ),
      { numRuns: SLOW_RUNS },
    );
  });
});
