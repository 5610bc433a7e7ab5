/**
 * Reading a policy's localized text (a string, or a map from BCP 47 language tags to strings) in the
 * employee's languages. Pure: the worker, the pages, content scripts and the CLI share it.
 */
import type { LocalizedText } from './policy-schema.ts';

/**
 * The language-map tags to try for one of the employee's languages, most specific first. Hong Kong
 * and Macao read Hong Kong usage (zh-MO falls back to zh-HK), then any Traditional Chinese; Taiwan
 * reads its own usage, then Traditional; mainland China and Singapore read Simplified.
 */
export function textTagsFor(language: string): string[] {
  const l = language.toLowerCase().replace(/_/g, '-');
  const base = l.split('-')[0]!;
  const m = /^zh(?:-(hant|hans))?(?:-(hk|mo|tw|cn|sg))?$/.exec(l);
  if (!m) return l === base ? [l] : [l, base];
  const [, script, region] = m;
  const traditional = script === 'hant' || (!script && (region === 'hk' || region === 'mo' || region === 'tw'));
  const tags = [l];
  if (traditional && region === 'mo') tags.push('zh-mo', 'zh-hant-mo', 'zh-hk', 'zh-hant-hk');
  else if (traditional && region === 'hk') tags.push('zh-hk', 'zh-hant-hk');
  else if (traditional && region === 'tw') tags.push('zh-tw', 'zh-hant-tw');
  tags.push(traditional ? 'zh-hant' : 'zh-hans', 'zh');
  return [...new Set(tags)];
}

/** Pick the employee's language from a localized text; falls back to `en`, then to any entry. */
export function pickText(text: LocalizedText | undefined | null, languages: readonly string[]): string {
  if (text == null) return '';
  if (typeof text === 'string') return text;
  const byTag = new Map(Object.entries(text).map(([tag, value]) => [tag.toLowerCase().replace(/_/g, '-'), value]));
  for (const lang of languages) {
    for (const tag of textTagsFor(lang)) {
      const value = byTag.get(tag);
      if (value !== undefined) return value;
    }
  }
  return text.en ?? Object.values(text)[0] ?? '';
}
