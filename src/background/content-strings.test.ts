import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

const LOCALES_DIR = join(import.meta.dirname, '../../static/_locales');
vi.mock('../platform/browser.ts', async () => ({
  browser: (await import('../../test/fakes/browser.ts')).fake.browser,
}));

const { CONTENT_STRING_PREFIXES, contentStrings, pageLanguagesOf, pickMessages } = await import('./content-strings.ts');

/** fetch() of the package's files, served from static/ (counts the reads, so the cache shows). */
const reads: string[] = [];
vi.stubGlobal('fetch', async (url: string) => {
  const path = url.replace(/^chrome-extension:\/\/test\//, '');
  reads.push(path);
  try {
    return new Response(await readFile(join(LOCALES_DIR, '..', path), 'utf8'));
  } catch {
    return new Response('missing', { status: 404 });
  }
});
afterEach(() => {
  reads.length = 0;
});

describe('contentStrings', () => {
  it("gives the guard its messages in the page's language, Hong Kong usage for zh-HK and zh-MO", async () => {
    const hk = await contentStrings(['zh-HK', 'en'], CONTENT_STRING_PREFIXES.guard);
    expect(hk.dcBlockedUpload?.message).toBe('AI Geofence 已封鎖此次上載');
    expect((await contentStrings(['zh-MO'], 'dc')).dcBlockedUpload?.message).toBe('AI Geofence 已封鎖此次上載');
    expect((await contentStrings(['zh-TW'], 'dc')).dcBlockedUpload?.message).toBe('AI Geofence 已封鎖此次上傳');
    expect((await contentStrings(['de-CH'], 'dc')).dcCancel?.message).toBe('Abbrechen');
    // Only the script's own keys travel to the page.
    expect(Object.keys(hk).every((k) => k.startsWith('dc'))).toBe(true);
    expect(Object.keys(hk).length).toBeGreaterThan(20);
  });

  it('gives the models overlay its three messages, and English for a language we do not ship', async () => {
    const ko = await contentStrings(['ko-KR'], CONTENT_STRING_PREFIXES.models);
    expect(Object.keys(ko).sort()).toEqual(['modelBlocked', 'modelContinue', 'modelWarn']);
    expect(ko.modelContinue?.message).toBe('I understand, continue');
    expect((await contentStrings(['zh-HK'], 'model')).modelContinue?.message).toBe('我明白，繼續');
  });

  it('reads each locale file once', async () => {
    await contentStrings(['fr'], 'dc');
    await contentStrings(['fr-CA'], 'model');
    expect(reads.filter((p) => p.includes('/fr/'))).toEqual(['_locales/fr/messages.json']);
  });

  it('ignores what a page cannot have sent: non-strings, long tags, more than 8', () => {
    expect(pageLanguagesOf(['zh-HK', 7, 'x'.repeat(100), null])).toEqual(['zh-HK']);
    expect(pageLanguagesOf('zh-HK')).toEqual([]);
    expect(pageLanguagesOf(Array.from({ length: 20 }, () => 'en'))).toHaveLength(8);
  });

  it('fills a missing translation with English', () => {
    expect(pickMessages({}, { dcA: { message: 'A' }, other: { message: 'B' } }, 'dc')).toEqual({
      dcA: { message: 'A' },
    });
  });
});
