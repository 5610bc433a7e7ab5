import { describe, expect, it } from 'vitest';
import {
  describeDecidingLocation,
  describeExceptions,
  describeLocation,
  describePolicyState,
  describeSite,
  noPolicyCauses,
  officeLabel,
  upcomingLabel,
} from './status-text.ts';
import { explanation, i18nFor, status } from './test-fixtures.ts';

const en = i18nFor(['en-US']);
/** The help-desk summary's wording: English with the technical detail. */
const desk = { ...en, helpDesk: true };
/** Words that are configuration, not something an employee can act on. */
const CONFIG_WORDS =
  /policyUrl|trustedKeys|auditUrl|managed|failMode|fail-closed|fail-open|JWS|collector|signature does not verify|rollback|HTTP \d|serial 41/i;

describe('describePolicyState', () => {
  it('says Verified for an enforcing, current policy', () => {
    const s = describePolicyState(status(), en);
    expect(s).toEqual({ tone: 'ok', headline: 'Verified', lines: ['Signature checked 2026-11-24T08:00:00Z.'] });
  });

  it('puts a refused update first, keeps the policy in force, and says what to do', () => {
    const refused = status({
      lastRefusal: { at: '2026-11-24T09:00:00Z', code: 'rollback', message: 'serial 41 is lower than 42 in force' },
    });
    const s = describePolicyState(refused, en);
    expect(s.tone).toBe('warn');
    expect(s.headline).toBe('Verified');
    expect(s.lines[0]).toBe('The latest policy update failed its check and was not used.');
    expect(s.lines).toContain('The verified policy with serial 42 stays in force.');
    expect(s.lines.at(-1)).toBe('Please contact ai-governance@bank.example and share the details below.');
    expect([s.headline, ...s.lines].join('\n')).not.toMatch(CONFIG_WORDS);
    // The help desk gets what was refused and why.
    const d = describePolicyState(refused, desk);
    expect(d.lines[0]).toBe('Latest update refused: serial 41 is lower than 42 in force');
    expect(d.lines.join('\n')).toMatch(/\(rollback\)/);
    expect(d.lines.at(-1)).toBe('If this persists, contact ai-governance@bank.example.');
  });

  it('says when IT removed or broke the configuration while the last policy keeps enforcing', () => {
    const broken = status({ configErrors: ['no managed configuration'] });
    const s = describePolicyState(broken, en);
    expect(s.tone).toBe('warn');
    expect(s.lines[0]).toBe('This browser is not set up correctly.');
    expect(s.lines).toContain('The verified policy with serial 42 stays in force.');
    expect([s.headline, ...s.lines].join('\n')).not.toMatch(CONFIG_WORDS);
    expect(describePolicyState(broken, desk).lines[0]).toMatch(/no managed configuration/);
  });

  it('names the serial whose rules are installed while a newer verified one is applying', () => {
    const base = status();
    const applying = status({ policy: { ...base.policy!, serial: 43 }, applied: { serial: 42, error: null } });
    const s = describePolicyState(applying, en);
    expect(s.tone).toBe('info');
    expect(s.headline).toBe('Policy 43 verified; applying…');
    expect(s.lines[0]).toBe('The verified policy with serial 42 stays in force.');
    // Once installed, the same status says Verified again.
    const done = describePolicyState(
      status({ policy: { ...base.policy!, serial: 43 }, applied: { serial: 43, error: null } }),
      en,
    );
    expect(done).toMatchObject({ tone: 'ok', headline: 'Verified' });
  });

  it('says a newer policy failed to apply and the old serial stays in force', () => {
    const base = status();
    const error = 'the browser refused the network rules: too many regex rules';
    const failed = status({ policy: { ...base.policy!, serial: 43 }, applied: { serial: 42, error } });
    const s = describePolicyState(failed, en);
    expect(s.tone).toBe('warn');
    expect(s.headline).toBe('Policy 43 verified, but could not be applied');
    expect(s.lines).toContain('The verified policy with serial 42 stays in force.');
    expect(s.lines.join('\n')).not.toContain(error);
    expect(describePolicyState(failed, desk).lines[0]).toBe(error);
    // No rules installed before: nothing is in force, said so.
    const first = describePolicyState(status({ applied: { serial: null, error } }), en);
    expect(first.lines).toContain('No verified policy is in force.');
  });

  it('says Expired with the date', () => {
    const base = status();
    const s = describePolicyState(status({ policy: { ...base.policy!, expired: true } }), en);
    expect(s).toMatchObject({ tone: 'error', headline: 'Expired on 2027-11-20T00:00:00Z' });
  });

  it('says when no policy was received yet', () => {
    expect(describePolicyState(status({ policy: null }), en).headline).toBe('No policy received yet');
  });

  it('says the browser is not set up, and lists what IT has to fix only for the help desk', () => {
    const waiting = status({
      mode: 'waiting-config',
      policy: null,
      configErrors: ['office: missing', 'trustedKeys: at least one trusted key is required'],
    });
    const s = describePolicyState(waiting, en);
    expect(s.tone).toBe('error');
    expect(s.headline).toBe('This browser is not set up correctly');
    expect(s.lines).toEqual(['Please contact your IT help desk and share the details below.']);
    const d = describePolicyState(waiting, desk);
    expect(d.headline).toBe('Not configured by IT: office: missing; trustedKeys: at least one trusted key is required');
    expect(d.lines).toEqual(['IT must set office, policyUrl and trustedKeys through enterprise policy.']);
  });

  it('explains fail-closed and fail-open', () => {
    const closed = describePolicyState(status({ mode: 'fail-closed', policy: null }), en);
    expect(closed.tone).toBe('error');
    expect(closed.headline).toBe('No valid policy: every known AI tool is blocked until one arrives.');
    expect(closed.lines).toContain('No policy has been received yet.');
    expect(closed.lines.at(-1)).toBe('If this persists, contact your IT help desk.');
    const open = describePolicyState(status({ mode: 'fail-open', policy: null }), en);
    expect(open.tone).toBe('warn');
    expect(open.headline).toMatch(/not restricted/);
  });

  it('reports a failed fetch once, not twice when it is also the refusal', () => {
    const fetchFailed = { at: '2026-11-24T09:00:00Z', ok: false, message: 'HTTP 503' };
    const only = describePolicyState(status({ lastFetch: fetchFailed }), en);
    expect(only.tone).toBe('warn');
    expect(only.lines).toContain('The last check for an update failed (2026-11-24T09:00:00Z).');
    expect(describePolicyState(status({ lastFetch: fetchFailed }), desk).lines).toContain(
      'The last update attempt failed at 2026-11-24T09:00:00Z: HTTP 503',
    );
    const both = describePolicyState(
      status({ lastFetch: fetchFailed, lastRefusal: { at: fetchFailed.at, code: 'http-error', message: 'HTTP 503' } }),
      desk,
    );
    expect(both.lines.filter((l) => l.includes('HTTP 503'))).toHaveLength(1);
    // The employee reads one sentence about it, not two.
    const plain = describePolicyState(
      status({
        lastFetch: { ...fetchFailed, message: 'downloaded, but refused' },
        lastRefusal: { at: fetchFailed.at, code: 'bad-signature', message: 'x' },
      }),
      en,
    );
    expect(plain.lines.filter((l) => /update/.test(l))).toEqual([
      'The latest policy update failed its check and was not used.',
    ]);
  });

  it('speaks the UI language', () => {
    expect(describePolicyState(status(), i18nFor(['zh-HK'], 'zh_HK')).headline).toBe('已核實');
    expect(describePolicyState(status(), i18nFor(['zh-TW'], 'zh_TW')).headline).toBe('已驗證');
  });
});

describe('noPolicyCauses', () => {
  it('names the expiry and the refusal', () => {
    const base = status();
    const causes = noPolicyCauses(
      status({
        mode: 'fail-closed',
        policy: { ...base.policy!, expired: true },
        lastRefusal: { at: 'x', code: 'bad-signature', message: 'signature does not verify' },
      }),
      en,
    );
    expect(causes).toEqual([
      'The policy expired on 2027-11-20T00:00:00Z.',
      'The latest policy update failed its check and was not used.',
    ]);
  });
  it('names an office the policy does not define, the valid ones and the near match', () => {
    const officeProblem = { office: 'HONGKONG', valid: ['HK', 'NY', 'LDN'], suggestion: 'HK', message: 'x' };
    const s = status({ mode: 'fail-closed', officeProblem });
    expect(noPolicyCauses(s, en)[0]).toBe(
      'Your office code "HONGKONG" is not one of the offices in the policy (HK, NY, LDN). IT must correct the office in the extension\'s configuration. Did you mean "HK"?',
    );
    const state = describePolicyState(s, en);
    expect(state.tone).toBe('error');
    expect(state.lines[0]).toMatch(/"HONGKONG".*HK, NY, LDN.*Did you mean "HK"\?/);
    expect(
      describePolicyState(status({ mode: 'fail-open', officeProblem: { ...officeProblem, suggestion: null } }), en)
        .lines[0],
    ).not.toMatch(/Did you mean/);
    expect(
      describePolicyState(status({ mode: 'fail-open', officeProblem }), i18nFor(['zh-HK'], 'zh_TW')).lines[0],
    ).toContain('「HONGKONG」');
  });

  it('falls back to "no policy yet"', () => {
    expect(noPolicyCauses(status({ mode: 'fail-closed', policy: null }), en)).toEqual([
      'No policy has been received yet.',
    ]);
  });
});

describe('describeSite', () => {
  it('names the action, and leaves the rule id to the help desk', () => {
    expect(describeSite(explanation(), en)).toEqual({ tone: 'error', text: 'Blocked by company policy', note: null });
    expect(describeSite(explanation({ action: 'monitor', ruleId: 'CHATGPT-MONITOR' }), en).text).toBe(
      'Monitored by company policy',
    );
  });
  it('covers no page, not a tool, the default and the fail modes', () => {
    expect(describeSite(null, en).text).toBe('No web page in this tab');
    expect(describeSite(explanation({ basis: 'not-a-tool', action: 'allow', ruleId: null, tool: null }), en).text).toBe(
      'Not an AI tool',
    );
    expect(describeSite(explanation({ basis: 'default', action: 'allow', ruleId: null }), en)).toMatchObject({
      tone: 'ok',
      text: 'Allowed by the policy default',
    });
    expect(describeSite(explanation({ basis: 'fail-closed', ruleId: null }), en).text).toBe('Blocked: no valid policy');
    expect(describeSite(explanation({ basis: 'fail-open', action: 'allow', ruleId: null }), en).text).toBe(
      'Allowed: no valid policy',
    );
  });
  it('mentions a running acknowledgement of a warning, not an expired one', () => {
    const now = Date.parse('2026-11-24T10:00:00Z');
    const warn = (until: string) =>
      explanation({ action: 'warn', ruleId: 'NON-US-ANTHROPIC', acknowledgedUntil: until });
    expect(describeSite(warn('2026-11-24T18:00:00Z'), en, now).note).toBe(
      'You confirmed the warning until 2026-11-24T18:00:00Z.',
    );
    expect(describeSite(warn('2026-11-24T09:00:00Z'), en, now).note).toBeNull();
  });
  it('says when a signed exception is what lets the employee in, until when, the ticket and the approver', () => {
    const site = explanation({
      action: 'allow',
      ruleId: 'EXCEPTION:ex-7',
      exception: { id: 'ex-7', until: '2026-12-01T00:00:00Z', ticket: 'CHG-1234', approver: 'Head of Compliance APAC' },
    });
    expect(describeSite(site, en).note).toBe(
      'You have an exception until 2026-12-01T00:00:00Z (ticket CHG-1234, approved by Head of Compliance APAC).',
    );
  });
});

describe('describeExceptions', () => {
  const ex = {
    url: 'https://policy.bank.example/exceptions.jws',
    serial: 7,
    verifiedAt: '2026-11-24T08:00:00Z',
    expires: '2026-12-24T00:00:00Z',
    forYou: 1,
    lastFetch: { at: '2026-11-24T08:00:00Z', ok: true, message: 'exceptions serial 7 verified' },
  };
  it('says nothing when IT configured no exceptions', () => {
    expect(describeExceptions(status({ exceptions: null }), en)).toBeNull();
    expect(describeExceptions(status(), en)).toBeNull();
  });
  it('names the document in force and how many apply to the employee', () => {
    expect(describeExceptions(status({ exceptions: ex }), en)).toEqual({
      tone: 'ok',
      lines: ['Serial 7, verified 2026-11-24T08:00:00Z; 1 for you.'],
    });
    expect(describeExceptions(status({ exceptions: ex }), desk)?.lines).toContain(
      'Exceptions document: https://policy.bank.example/exceptions.jws',
    );
  });
  it('says a failed update out loud, and that the exceptions in force stay', () => {
    const failed = { ...ex, lastFetch: { at: '2026-11-24T09:00:00Z', ok: false, message: 'HTTP 503' } };
    const d = describeExceptions(status({ exceptions: failed }), en)!;
    expect(d.tone).toBe('warn');
    expect(d.lines[1]).toBe(
      'The last update failed (2026-11-24T09:00:00Z). The exceptions in force stay until they expire.',
    );
    expect(describeExceptions(status({ exceptions: failed }), desk)!.lines[1]).toBe(
      'Last update failed (2026-11-24T09:00:00Z): HTTP 503. The exceptions in force stay until they expire.',
    );
    const never = describeExceptions(
      status({ exceptions: { ...failed, serial: null, verifiedAt: null, expires: null, forYou: 0 } }),
      en,
    )!;
    expect(never.lines[0]).toBe('None received yet.');
  });
});

describe('officeLabel', () => {
  it("names the office in the employee's language, with its code", () => {
    const hk = { code: 'HK', name: { en: 'Hong Kong', 'zh-Hant': '香港' } };
    expect(officeLabel(hk, ['zh-HK'])).toBe('香港 (HK)');
    expect(officeLabel(hk, ['en-GB'])).toBe('Hong Kong (HK)');
    expect(officeLabel({ code: 'HK', name: 'HK' }, ['en'])).toBe('HK');
  });
});

describe('upcomingLabel', () => {
  it('says what will happen, not what happens now', () => {
    expect(upcomingLabel('block', en.t)).toBe('Will be blocked');
    expect(upcomingLabel('block', i18nFor(['zh-HK'], 'zh_HK').t)).toBe('將被封鎖');
  });
});

describe('the location line and "used from"', () => {
  const at = {
    since: '2026-11-24T08:00:00Z',
    verifiedAt: '2026-11-24T09:00:00Z',
    expires: '2026-11-24T09:30:00Z',
    url: 'https://where.bank.example/',
    lastCheck: null,
  };
  it('says where, how it was established and since when; "Not verified" plainly', () => {
    expect(
      describeLocation(status({ location: { basis: 'verified', country: 'HK', zone: 'HK-OFFICE', ...at } }), en),
    ).toEqual({
      tone: 'ok',
      text: "Hong Kong (network HK-OFFICE) · verified by your company's location service · since 2026-11-24T08:00:00Z",
    });
    const none = { since: null, verifiedAt: null, expires: null, url: null, lastCheck: null };
    expect(
      describeLocation(status({ location: { basis: 'office', country: 'US', zone: null, ...none } }), en)!.text,
    ).toBe("Not verified — your office's location (United States) is assumed");
    expect(
      describeLocation(status({ location: { basis: 'closed', country: null, zone: null, ...none } }), en)!.text,
    ).toMatch(/^Not verified — the rules for restricted places apply/);
    expect(
      describeLocation(status({ location: { basis: 'office', country: null, zone: null, ...none } }), en)!.text,
    ).toBe('Not verified');
    expect(describeLocation(status(), en)).toBeNull();
    expect(
      describeLocation(
        status({ location: { basis: 'verified', country: 'HK', zone: null, ...at } }),
        i18nFor(['zh-HK'], 'zh_HK'),
      )!.text,
    ).toMatch(/^香港 · 已由公司的位置服務核實/);
  });

  it('says on a notice when a place decided it', () => {
    expect(
      describeDecidingLocation(explanation({ location: { basis: 'verified', country: 'HK', zone: null } }), en),
    ).toBe('This applies because this browser is being used from Hong Kong.');
    expect(
      describeDecidingLocation(explanation({ location: { basis: 'office', country: 'HK', zone: null } }), en),
    ).toMatch(/could not be verified, so your office's location \(Hong Kong\) is assumed/);
    expect(
      describeDecidingLocation(explanation({ location: { basis: 'closed', country: null, zone: null } }), en),
    ).toBe("This applies because this browser's location could not be verified.");
    expect(describeDecidingLocation(explanation(), en)).toBeNull();
  });
});
