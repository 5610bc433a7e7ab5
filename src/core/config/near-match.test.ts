import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance, quoteList, suggestName } from './near-match.ts';

describe('near-match', () => {
  it('counts a transposition as one edit, case-insensitively', () => {
    expect(editDistance('emae', 'emea')).toBe(1);
    expect(editDistance('fabel', 'fable')).toBe(1);
    expect(editDistance('Claude', 'claude')).toBe(0);
    expect(editDistance('abc', '')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('finds the id a typo most likely meant, or nothing', () => {
    expect(suggestName('claud', ['chatgpt', 'claude'])).toBe('claude');
    expect(suggestName('hk', ['HK', 'NY'])).toBe('HK');
    expect(suggestName('HKGX', ['HK', 'NY'])).toBe('HK');
    expect(suggestName('HONGKONG', ['HK', 'NY'])).toBeUndefined();
    expect(suggestName('zzz', [])).toBeUndefined();
  });

  it('words hints and lists', () => {
    expect(didYouMean('claud', ['claude'])).toBe('; did you mean "claude"?');
    expect(didYouMean('xyz', ['claude'])).toBe('');
    expect(quoteList(['a', 'b', 'c'], 2)).toBe('"a", "b", … (1 more)');
  });
});
