/** Test data shared by the page and popup unit tests (not bundled: only *.test.ts import it). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Explanation } from '../core/decide/explain.ts';
import type { PopupView } from '../platform/messages.ts';
import type { Status } from '../core/status/status.ts';
import { createI18n, type I18n, type Locale, type Messages } from './i18n.ts';

export const LOCALES_DIR = join(import.meta.dirname, '../../static/_locales');

export function readMessages(locale: Locale): Messages {
  return JSON.parse(readFileSync(join(LOCALES_DIR, locale, 'messages.json'), 'utf8')) as Messages;
}

/** A real I18n from the shipped files; dates shown as ISO so expectations stay readable. */
export function i18nFor(languages: string[], locale: Locale = 'en'): I18n {
  const base = createI18n(languages, readMessages(locale), readMessages('en'));
  return { ...base, when: (iso) => iso };
}

export function status(overrides: Partial<Status> = {}): Status {
  return {
    mode: 'enforcing',
    extensionVersion: '0.1.0',
    config: { office: 'HK' },
    configErrors: [],
    policy: {
      serial: 42,
      issuer: 'Example Bank — Global Compliance',
      contact: 'ai-governance@bank.example',
      issued: '2026-11-20T00:00:00Z',
      expires: '2027-11-20T00:00:00Z',
      payloadHash: 'sha256:0f3c9a1b2c3d4e5f60718293a4b5c6d7e8f9',
      signers: ['compliance-2026'],
      verifiedAt: '2026-11-24T08:00:00Z',
      expired: false,
    },
    lastFetch: { at: '2026-11-24T08:00:00Z', ok: true, message: '' },
    lastRefusal: null,
    ruleCount: 7,
    audit: { queued: 0, lastDelivery: null },
    ...overrides,
  };
}

export function explanation(overrides: Partial<Explanation> = {}): Explanation {
  return {
    url: 'https://claude.ai/new?session=secret#frag',
    action: 'block',
    basis: 'rule',
    tool: { id: 'claude', name: 'Claude', vendor: 'Anthropic', url: null },
    ruleId: 'HK-ANTHROPIC-2026-11',
    notice: {
      title: { en: 'Do not use: Anthropic Claude', 'zh-Hant': '請勿使用：Anthropic Claude' },
      reason: "The vendor's licence terms restrict use from Greater China.",
      reference: 'Compliance memo CT-2026-014',
      effective: '2026-11-20',
      alternatives: ['firm-llm'],
    },
    alternatives: [
      { id: 'firm-llm', name: 'Firm LLM Suite', vendor: 'Example Bank', url: 'https://llm.bank.example/' },
    ],
    office: { code: 'HK', name: 'Hong Kong' },
    contact: 'ai-governance-apac@bank.example',
    issuer: 'Example Bank — Global Compliance',
    policySerial: 42,
    acknowledgedUntil: null,
    allowForMinutes: null,
    requireJustification: false,
    ...overrides,
  };
}

export function popupView(overrides: Partial<PopupView> = {}): PopupView {
  return {
    status: status(),
    office: { code: 'HK', name: 'Hong Kong' },
    site: explanation(),
    notices: [],
    approved: [],
    ...overrides,
  };
}
