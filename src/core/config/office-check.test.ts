import { describe, expect, it } from 'vitest';
import { checkOffice, suggestOffice } from './office-check.ts';

const POLICY = {
  offices: {
    HK: { name: 'Hong Kong' },
    NY: { name: 'New York' },
    LDN: { name: 'London' },
    SG: { name: 'Singapore' },
  },
};

describe('checkOffice', () => {
  it('accepts an office the policy defines, exactly', () => {
    expect(checkOffice(POLICY, 'HK')).toBeNull();
    expect(checkOffice(POLICY, 'LDN')).toBeNull();
  });

  it.each([
    ['hk', 'HK'],
    ['Hk', 'HK'],
    ['HONGKONG', 'HK'],
    ['Hong Kong', 'HK'],
    ['HKG', 'HK'],
    ['LON', 'LDN'],
    ['ldn', 'LDN'],
    ['new york', 'NY'],
    ['SGP', 'SG'],
  ])('names "%s" with the valid codes and suggests %s', (typed, suggestion) => {
    const p = checkOffice(POLICY, typed)!;
    expect(p).toMatchObject({ office: typed, valid: ['HK', 'NY', 'LDN', 'SG'], suggestion });
    expect(p.message).toBe(
      `the configured office "${typed}" is not an office of the policy in force (its offices: HK, NY, LDN, SG); did you mean "${suggestion}"?`,
    );
  });

  it('suggests nothing when nothing is close, and still lists the valid codes', () => {
    const p = checkOffice(POLICY, 'ZURICH')!;
    expect(p.suggestion).toBeNull();
    expect(p.message).toBe(
      'the configured office "ZURICH" is not an office of the policy in force (its offices: HK, NY, LDN, SG)',
    );
  });

  it('is not fooled by inherited property names', () => {
    expect(checkOffice(POLICY, 'constructor')).not.toBeNull();
    expect(checkOffice(POLICY, '__proto__')).not.toBeNull();
  });

  it('matches office names given as language maps', () => {
    expect(suggestOffice({ offices: { HK: { name: { en: 'Hong Kong', 'zh-Hant': '香港' } } } } as never, '香港')).toBe(
      'HK',
    );
  });
});
