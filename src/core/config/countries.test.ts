import { describe, expect, it } from 'vitest';
import { ISO_COUNTRY_CODES, isIsoCountryCode, suggestCountryCode } from './countries.ts';

describe('ISO 3166-1 alpha-2 codes', () => {
  it('holds the 249 assigned codes, each a region ICU can name', () => {
    expect(ISO_COUNTRY_CODES.size).toBe(249);
    const names = new Intl.DisplayNames(['en'], { type: 'region' });
    for (const code of ISO_COUNTRY_CODES) expect(names.of(code), code).not.toBe(code);
  });

  it('refuses three-letter, lower-case and reserved codes', () => {
    for (const bad of ['HKG', 'USA', 'hk', 'UK', 'EU', 'XK', 'ZZ', '']) expect(isIsoCountryCode(bad), bad).toBe(false);
    for (const good of ['HK', 'US', 'GB', 'CN', 'MO', 'TW']) expect(isIsoCountryCode(good), good).toBe(true);
  });

  it('suggests the code a look-alike meant', () => {
    expect(suggestCountryCode('UK')).toBe('GB');
    expect(suggestCountryCode('HKG')).toBe('HK');
    expect(suggestCountryCode('hk')).toBe('HK');
    expect(suggestCountryCode('QQ')).toBeUndefined();
  });
});
