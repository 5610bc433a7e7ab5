import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance, nearestMatch, quoteList } from './near-match.ts';

describe('near-match', () => {
  it('counts a transposition as one edit, case-insensitively', () => {
    expect(editDistance('emae', 'emea')).toBe(1);
    expect(editDistance('fabel', 'fable')).toBe(1);
    expect(editDistance('Claude', 'claude')).toBe(0);
    expect(editDistance('abc', '')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('finds the id a typo most likely meant, or nothing', () => {
    expect(nearestMatch('claud', ['chatgpt', 'claude'])).toBe('claude');
    expect(nearestMatch('hk', ['HK', 'NY'])).toBe('HK');
    expect(nearestMatch('HKG', ['HK', 'NY'])).toBe('HK');
    expect(nearestMatch('HKGX', ['HK', 'NY'])).toBe('HK');
    expect(nearestMatch('HKGX', ['HK', 'NY'], { abbreviations: false })).toBeUndefined();
    expect(nearestMatch('HONGKONG', ['HK', 'NY'])).toBeUndefined();
    expect(nearestMatch('zzz', [])).toBeUndefined();
  });

  it('words hints and lists', () => {
    expect(didYouMean('claud', ['claude'])).toBe('; did you mean "claude"?');
    expect(didYouMean('xyz', ['claude'])).toBe('');
    expect(quoteList(['a', 'b', 'c'], 2)).toBe('"a", "b", … (1 more)');
  });
});
