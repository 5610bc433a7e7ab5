/**
 * JSON.parse with two refusals it lacks: duplicate object keys (JSON.parse keeps the last one, so
 * two readers of a signed document could disagree on what it says) and excessive nesting.
 */
export const MAX_JSON_DEPTH = 64;

export type StrictJsonResult = { ok: true; value: unknown } | { ok: false; message: string };

/** Parse JSON, refusing duplicate keys and nesting deeper than `maxDepth`. Never throws. */
export function parseStrictJson(text: string, maxDepth = MAX_JSON_DEPTH): StrictJsonResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
  // A linear scan over the (already valid) text: track the keys of each open object.
  const stack: Array<Set<string> | null> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{' || c === '[') {
      stack.push(c === '{' ? new Set() : null);
      if (stack.length > maxDepth) return { ok: false, message: `nesting deeper than ${maxDepth} levels` };
      expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      stack.pop();
      expectKey = false;
    } else if (c === ',') {
      expectKey = stack[stack.length - 1] instanceof Set;
    } else if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        const keys = stack[stack.length - 1] as Set<string>;
        if (keys.has(key)) return { ok: false, message: `duplicate key ${JSON.stringify(key)}` };
        keys.add(key);
        expectKey = false;
      }
      i = j;
    }
  }
  return { ok: true, value };
}
