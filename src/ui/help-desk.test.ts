import { describe, expect, it } from 'vitest';
import { i18nFor, popupView, status } from './test-fixtures.ts';
import { helpDeskSummary } from './help-desk.ts';

const now = new Date('2026-11-24T10:15:00Z');

describe('helpDeskSummary', () => {
  it('carries office, site, decision, rule, policy and version, in English even for a zh-HK employee', () => {
    const zh = i18nFor(['zh-HK'], 'zh_HK');
    const text = helpDeskSummary({
      view: popupView(),
      siteUrl: 'https://claude.ai/chat/9?token=s3cret',
      tEn: zh.tEn,
      now,
      languages: ['zh-HK'],
    });
    const lines = text.split('\n');
    expect(lines).toContain('Time: 2026-11-24T10:15:00.000Z');
    expect(lines).toContain('Extension version: 0.1.0');
    expect(lines).toContain('Office: Hong Kong (HK)');
    expect(lines).toContain('Site: https://claude.ai/chat/9');
    expect(lines).toContain('Decision: block (basis rule; rule HK-ANTHROPIC-2026-11; tool claude)');
    expect(lines).toContain('Site status: Blocked by company policy');
    expect(lines).toContain(
      'Policy: serial 42, issued 2026-11-20T00:00:00Z, expires 2027-11-20T00:00:00Z, issuer Example Bank — Global Compliance',
    );
    expect(lines).toContain('Policy hash: sha256:0f3c9a1b2c3d4e5f60718293a4b5c6d7e8f9');
    expect(lines).toContain('Policy status: Verified (mode enforcing)');
    expect(lines).toContain('Languages: zh-HK');
    expect(text).not.toContain('s3cret');
    expect(text).not.toMatch(/[\u4e00-\u9fff]/);
  });

  it('names the policy in force apart from a newer verified one whose rules are not installed', () => {
    const base = status();
    const pending = (error: string | null) =>
      helpDeskSummary({
        view: popupView({
          site: null,
          status: status({ policy: { ...base.policy!, serial: 43 }, applied: { serial: 42, error } }),
        }),
        siteUrl: null,
        tEn: i18nFor(['en']).tEn,
        now,
        languages: ['en'],
      }).split('\n');
    const applying = pending(null);
    expect(applying).toContain(
      'Verified policy: serial 43, issued 2026-11-20T00:00:00Z, expires 2027-11-20T00:00:00Z, issuer Example Bank — Global Compliance',
    );
    expect(applying).toContain('Policy in force: serial 42 (the network rules of serial 43 are being installed)');
    expect(applying).toContain('Policy status: Policy 43 verified; applying… (mode enforcing)');
    const failed = pending('the browser refused the network rules: rule limit');
    expect(failed).toContain(
      'Policy in force: serial 42 (the network rules of serial 43 are not installed: the browser refused the network rules: rule limit)',
    );
    expect(failed).toContain('Policy status: Policy 43 verified, but could not be applied (mode enforcing)');
  });

  it('explains a refused update, configuration problems and audit delivery', () => {
    const view = popupView({
      site: null,
      status: status({
        configErrors: ['auditUrl: must be an https: URL'],
        lastRefusal: { at: '2026-11-24T09:00:00Z', code: 'bad-signature', message: 'signature does not verify' },
        audit: { queued: 3, lastDelivery: { at: '2026-11-24T09:30:00Z', ok: false, message: 'HTTP 500' } },
      }),
    });
    const text = helpDeskSummary({ view, siteUrl: null, tEn: i18nFor(['en']).tEn, now, languages: ['en'] });
    expect(text).toContain('Site: none');
    expect(text).not.toContain('Decision:');
    expect(text).toContain('  Latest update refused: signature does not verify');
    expect(text).toContain('Last refusal: 2026-11-24T09:00:00Z bad-signature: signature does not verify');
    expect(text).toContain('Configuration problems: auditUrl: must be an https: URL');
    expect(text).toContain('Audit: 3 queued; last delivery 2026-11-24T09:30:00Z failed: HTTP 500');
  });

  it('says when no policy is in force', () => {
    const view = popupView({ status: status({ mode: 'fail-closed', policy: null }), site: null });
    const text = helpDeskSummary({ view, siteUrl: null, tEn: i18nFor(['en']).tEn, now, languages: ['en'] });
    expect(text).toContain('Policy: none in force');
    expect(text).toMatch(/Policy status: No valid policy: .* \(mode fail-closed\)/);
  });
});
