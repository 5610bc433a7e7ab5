import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pickText } from '../core/policy/localized-text.ts';
import { createI18n, formatMinutes, formatWhen, formattingTag, LOCALES, makeTranslate, resolveLocale } from './i18n.ts';
import { pickLocalized } from './status-text.ts';
import { LOCALES_DIR, readMessages } from './test-fixtures.ts';

describe('resolveLocale', () => {
  it.each([
    [['zh-HK'], 'zh_HK'],
    [['zh-MO'], 'zh_HK'],
    [['zh-TW'], 'zh_TW'],
    [['zh-Hant-HK'], 'zh_HK'],
    [['zh-Hant-MO'], 'zh_HK'],
    [['zh_HK'], 'zh_HK'],
    [['zh-Hant'], 'zh_TW'],
    [['zh-Hant-TW'], 'zh_TW'],
    [['zh-Hans-HK'], 'zh_CN'],
    [['zh-CN'], 'zh_CN'],
    [['zh-SG'], 'zh_CN'],
    [['zh'], 'zh_CN'],
    [['ja-JP'], 'ja'],
    [['fr-CA'], 'fr'],
    [['de-CH'], 'de'],
    [['en-GB'], 'en'],
    [['ko-KR', 'fr-FR', 'en'], 'fr'],
    [['ko-KR'], 'en'],
    [[], 'en'],
  ] as const)('%j → %s', (langs, expected) => {
    expect(resolveLocale(langs)).toBe(expected);
  });

  it('gives a zh-HK employee the same language for interface and notice', () => {
    const title = {
      en: 'Do not use: Anthropic Claude',
      'zh-Hant': '請勿使用：Anthropic Claude',
      'zh-Hans': '请勿使用：Anthropic Claude',
    };
    const i18n = createI18n(['zh-HK', 'en-US'], readMessages('zh_HK'), readMessages('en'));
    expect(i18n.lang).toBe('zh-HK');
    expect(i18n.t('useInstead')).toBe('請改用');
    expect(pickText(title, i18n.languages)).toBe('請勿使用：Anthropic Claude');
    expect(pickLocalized(title, i18n.languages)).toEqual({ text: '請勿使用：Anthropic Claude', lang: 'zh-Hant' });
  });
});

describe('Hong Kong and Taiwan usage', () => {
  const hk = createI18n(['zh-HK'], readMessages('zh_HK'), readMessages('en'));
  const tw = createI18n(['zh-TW'], readMessages('zh_TW'), readMessages('en'));
  it('speaks Hong Kong written Chinese to zh-HK and zh-MO, Taiwan usage to zh-TW', () => {
    expect(hk.t('contactPrefix')).toBe('查詢：');
    expect(hk.t('popupAudit')).toBe('審計記錄');
    expect(hk.t('ackProceed', 'claude.ai')).toBe('我明白，繼續前往 claude.ai');
    expect(hk.t('stateVerifiedDetail', 'x')).toContain('簽署');
    expect(tw.t('contactPrefix')).toBe('聯絡窗口：');
    expect(tw.t('popupAudit')).toBe('稽核紀錄');
    expect(tw.t('ackProceed', 'claude.ai')).toBe('我了解，繼續前往 claude.ai');
    expect(tw.t('stateVerifiedDetail', 'x')).toContain('簽章');
  });
  it("keeps Taiwan's and mainland vocabulary out of the Hong Kong file", () => {
    // Words a Hong Kong reader takes for Taiwanese or mainland usage (HK: 查詢/聯絡人, 簽署, 審計, 我明白, 上載, 檔案 kept).
    const foreign = /聯絡窗口|簽章|稽核|我了解|紀錄|上傳|預設值|資訊安全|軟體|網路|品質|信息|文件夹|默认|设置/;
    for (const [key, value] of Object.entries(readMessages('zh_HK'))) expect(value!.message, key).not.toMatch(foreign);
  });
});

describe('pickText', () => {
  const map = { en: 'English', 'zh-Hant': '繁體', 'zh-HK': '香港', 'zh-Hans': '简体', fr: 'Français' };
  it('falls back zh-HK → zh-Hant → en, and zh-MO likewise', () => {
    expect(pickText(map, ['zh-HK'])).toBe('香港');
    expect(pickText(map, ['zh-MO'])).toBe('香港');
    expect(pickText(map, ['zh-Hant-HK'])).toBe('香港');
    expect(pickText({ en: 'English', 'zh-Hant': '繁體' }, ['zh-HK'])).toBe('繁體');
    expect(pickText({ en: 'English', 'zh-Hant': '繁體' }, ['zh-MO'])).toBe('繁體');
    expect(pickText({ en: 'English', 'zh-TW': '臺灣' }, ['zh-HK'])).toBe('English');
    expect(pickText({ en: 'English', 'zh-MO': '澳門', 'zh-HK': '香港' }, ['zh-MO'])).toBe('澳門');
  });
  it('gives zh-TW its own entry, then zh-Hant, never zh-HK', () => {
    expect(pickText(map, ['zh-TW'])).toBe('繁體');
    expect(pickText({ ...map, 'zh-TW': '臺灣' }, ['zh-TW'])).toBe('臺灣');
  });
  it('reads Simplified for zh-CN, zh-SG, zh and zh-Hans-HK; the base language and then English otherwise', () => {
    expect(pickText(map, ['zh-CN'])).toBe('简体');
    expect(pickText(map, ['zh'])).toBe('简体');
    expect(pickText(map, ['zh-Hans-HK'])).toBe('简体');
    expect(pickText(map, ['fr-CA'])).toBe('Français');
    expect(pickText(map, ['ko', 'fr'])).toBe('Français');
    expect(pickText(map, ['ko'])).toBe('English');
    expect(pickText({ en: 'English', 'ZH-hk': '香港' }, ['zh_HK'])).toBe('香港');
  });
});

describe('formattingTag', () => {
  it("keeps the employee's own region for dates", () => {
    expect(formattingTag(['zh-HK'], 'zh_HK')).toBe('zh-HK');
    expect(formattingTag(['ko', 'en-GB'], 'en')).toBe('en-GB');
    expect(formattingTag(['ko'], 'en')).toBe('en');
  });
});

describe('makeTranslate', () => {
  const t = makeTranslate(
    { a: { message: 'Serial $1 of $2 costs $$5' } },
    { a: { message: 'x' }, b: { message: 'English $1' } },
  );
  it('substitutes $1..$9 and keeps $$ as a dollar', () => {
    expect(t('a' as never, 42, 'HK')).toBe('Serial 42 of HK costs $5');
  });
  it('falls back to English, then shows the key', () => {
    expect(t('b' as never, 'only')).toBe('English only');
    expect(t('missing' as never)).toBe('missing');
  });
});

describe('formatWhen', () => {
  it('shows a bare date as that calendar day in every time zone', () => {
    const saved = process.env.TZ;
    try {
      process.env.TZ = 'America/Los_Angeles';
      expect(formatWhen('2026-11-20', 'en-US')).toBe('November 20, 2026');
    } finally {
      process.env.TZ = saved;
    }
  });
  it('formats instants with time and zone, and leaves garbage as is', () => {
    expect(formatWhen('2026-11-20T09:00:00Z', 'en-US')).toMatch(/November 20, 2026.*\d{2}:\d{2}/);
    expect(formatWhen('not a date', 'en')).toBe('not a date');
  });
});

describe('formatMinutes', () => {
  it('uses the largest whole unit in the UI language', () => {
    expect(formatMinutes(480, 'en')).toBe('8 hours');
    expect(formatMinutes(90, 'en')).toBe('90 minutes');
    expect(formatMinutes(2880, 'en')).toBe('2 days');
    expect(formatMinutes(60, 'de')).toBe('1 Stunde');
    expect(formatMinutes(480, 'ja')).toMatch(/^8\s?時間$/);
  });
});

describe('shipped messages.json files', () => {
  const en = readMessages('en');
  const placeholders = (s: string) =>
    [...s.matchAll(/\$([1-9])/g)]
      .map((m) => m[1])
      .sort()
      .join(',');

  it('exist for exactly the locales we resolve to', () => {
    expect(readdirSync(LOCALES_DIR).sort()).toEqual([...LOCALES].sort());
  });

  it.each(LOCALES.filter((l) => l !== 'en'))('%s has every English key with the same substitutions', (locale) => {
    const messages = readMessages(locale);
    expect(Object.keys(messages).sort()).toEqual(Object.keys(en).sort());
    for (const [key, value] of Object.entries(en)) {
      const own = messages[key]?.message ?? '';
      expect(own.trim(), `${locale}.${key}`).not.toBe('');
      expect(placeholders(own), `${locale}.${key}`).toBe(placeholders(value!.message));
    }
  });

  it('are valid Chrome message files (key names, no undefined $name$ placeholders)', () => {
    for (const locale of LOCALES) {
      for (const [key, value] of Object.entries(readMessages(locale))) {
        expect(key).toMatch(/^[A-Za-z0-9_@]+$/);
        expect(value!.message).not.toMatch(/\$[A-Za-z_][A-Za-z0-9_]*\$/);
      }
    }
  });
});
