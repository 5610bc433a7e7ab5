import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, parseStrictJson } from './strict-json.ts';

describe('parseStrictJson', () => {
  it('parses ordinary JSON like JSON.parse', () => {
    expect(parseStrictJson('{"a":[1,{"b":"x"}],"c":null}')).toEqual({
      ok: true,
      value: { a: [1, { b: 'x' }], c: null },
    });
  });

  it('refuses duplicate keys, also when spelt with escapes', () => {
    expect(parseStrictJson('{"serial":1,"serial":2}')).toEqual({ ok: false, message: 'duplicate key "serial"' });
    expect(parseStrictJson('{"serial":1,"s\\u0065rial":2}')).toMatchObject({
      ok: false,
      message: 'duplicate key "serial"',
    });
  });

  it('allows the same key in sibling objects and in arrays of objects', () => {
    expect(parseStrictJson('[{"a":1},{"a":2}]').ok).toBe(true);
    expect(parseStrictJson('{"x":{"a":1},"y":{"a":2}}').ok).toBe(true);
  });

  it('does not mistake string values or keys with quotes and brackets for structure', () => {
    expect(parseStrictJson('{"a":"{\\"a\\":1,","b":"[","c":"\\\\"}').ok).toBe(true);
  });

  it('refuses nesting deeper than the limit before parsing', () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    expect(parseStrictJson(deep(MAX_JSON_DEPTH)).ok).toBe(true);
    expect(parseStrictJson(deep(MAX_JSON_DEPTH + 1))).toEqual({
      ok: false,
      message: `nesting deeper than ${MAX_JSON_DEPTH} levels`,
    });
    const started = performance.now();
    expect(parseStrictJson(deep(2_000_000)).ok).toBe(false);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('reports invalid JSON, unterminated strings and non-text without throwing', () => {
    expect(parseStrictJson('{"a":').ok).toBe(false);
    expect(parseStrictJson('{"a').ok).toBe(false);
    expect(parseStrictJson(42 as unknown as string).ok).toBe(false);
  });

  it('agrees with JSON.parse on any JSON without duplicates (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const text = JSON.stringify(value);
        const r = parseStrictJson(text);
        expect(r).toEqual({ ok: true, value: JSON.parse(text) });
      }),
      { numRuns: 300 },
    );
  });

  it('finds a duplicate key wherever it sits, spelt plainly or with escapes (property)', () => {
    const key = fc.string({ unit: fc.constantFrom(...'ab"\\/{}[],:é'), maxLength: 6 });
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), key, fc.boolean(), (value, k, escaped) => {
        // An object with the key twice, the second time possibly written with \u escapes, nested in `value`.
        const second = escaped
          ? `"${[...k].map((ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"`
          : JSON.stringify(k);
        const dup = `{${JSON.stringify(k)}:${JSON.stringify(value)},${second}:1}`;
        expect(parseStrictJson(`{"outer":[${JSON.stringify(value)},${dup}]}`)).toEqual({
          ok: false,
          message: `duplicate key ${JSON.stringify(k)}`,
        });
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary text (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'grapheme', maxLength: 200 }),
          fc.string({ unit: fc.constantFrom(...'{}[]",:\\ a1u'), maxLength: 200 }),
        ),
        (text) => {
          parseStrictJson(text);
        },
      ),
      { numRuns: 500 },
    );
  });
});
