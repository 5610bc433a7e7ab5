/**
 * JSON.parse with two refusals it lacks: duplicate object keys (JSON.parse keeps the last one, so
 * two readers of a signed document could disagree on what it says) and excessive nesting.
 */
export const MAX_JSON_DEPTH = 64;

export type StrictJsonResult = { ok: true; value: unknown } | { ok: false; message: string };

/** Characters the scan stops at; everything between them (numbers, literals, spaces) is skipped natively. */
const STRUCTURAL = /[{}[\],"]/g;

/**
 * One linear pass outside JSON.parse: the deepest nesting, or the first duplicate key. Runs before
 * parsing so a nesting bomb costs one cheap scan, not a full parse; bounded on invalid input.
 * It jumps from one structural character to the next with a regular expression and over strings
 * with indexOf: a signed 3 MiB policy has about 30 characters per token, and the worker runs this
 * once per verification, cold, where a loop over every character cost tens of milliseconds.
 */
function scan(text: string, maxDepth: number): { depthExceeded: true } | { duplicate: string } | null {
  const stack: Array<Set<string> | null> = [];
  let expectKey = false;
  let duplicate: string | null = null;
  const structural = new RegExp(STRUCTURAL);
  for (let m = structural.exec(text); m !== null; m = structural.exec(text)) {
    const i = m.index;
    const c = text.charCodeAt(i);
    if (c === 123 /* { */ || c === 91 /* [ */) {
      stack.push(c === 123 ? new Set() : null);
      if (stack.length > maxDepth) return { depthExceeded: true };
      expectKey = c === 123;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (c === 44 /* , */) {
      expectKey = stack[stack.length - 1] instanceof Set;
    } else {
      // A string: its closing quote is the next one not escaped by an odd run of backslashes.
      let j = text.indexOf('"', i + 1);
      while (j !== -1) {
        let k = j - 1;
        while (text.charCodeAt(k) === 92 /* \ */) k--;
        if ((j - 1 - k) % 2 === 0) break;
        j = text.indexOf('"', j + 1);
      }
      if (j === -1) return null; // unterminated: JSON.parse will say why
      if (expectKey && duplicate === null) {
        const keys = stack[stack.length - 1];
        // Without a backslash the key is its text; escapes ("\u0061" is "a") go through JSON.parse.
        let key = text.slice(i + 1, j);
        if (key.includes('\\')) {
          try {
            key = JSON.parse(text.slice(i, j + 1)) as string;
          } catch {
            return null; // invalid JSON: JSON.parse will say why
          }
        }
        if (keys instanceof Set) {
          if (keys.has(key)) duplicate = key;
          else keys.add(key);
        }
      }
      expectKey = false;
      structural.lastIndex = j + 1;
    }
  }
  return duplicate === null ? null : { duplicate };
}

/** Parse JSON, refusing duplicate keys and nesting deeper than `maxDepth`. Never throws. */
export function parseStrictJson(text: string, maxDepth = MAX_JSON_DEPTH): StrictJsonResult {
  if (typeof text !== 'string') return { ok: false, message: 'expected JSON text' };
  const found = scan(text, maxDepth);
  if (found && 'depthExceeded' in found) return { ok: false, message: `nesting deeper than ${maxDepth} levels` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
  if (found) return { ok: false, message: `duplicate key ${JSON.stringify(found.duplicate)}` };
  return { ok: true, value };
}
