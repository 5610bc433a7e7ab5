/**
 * Regular expressions a policy hands to the data-controls guard run on every paste and send in the
 * vendor's page: one that backtracks catastrophically freezes the tab (ReDoS,
 * https://owasp.org/www-community/attacks/Regular_expression_Denial_of_Service_-_ReDoS). `lint`
 * refuses such patterns, and the worker screens them again, since a policy may be signed unlinted.
 */
/** Quantifiers that can repeat many times: `*`, `+`, `{n,}` and `{n,m}` with a large m. */
function readQuantifier(re: string, i: number): { end: number; unbounded: boolean } | null {
  const c = re[i];
  if (c === '*' || c === '+') return { end: i + 1, unbounded: true };
  if (c === '?') return { end: i + 1, unbounded: false };
  if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(re.slice(i));
    if (!m) return null;
    const max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
    return { end: i + m[0].length, unbounded: max > 16 };
  }
  return null;
}

/**
 * Heuristic for catastrophic backtracking: a group that contains an unbounded quantifier and is
 * itself repeated without bound, as in `(a+)+`, `(\w+\s?)*` or `((ab)*c){2,}`.
 */
export function canBacktrackCatastrophically(re: string): boolean {
  return hasNestedQuantifier(re) || hasRepeatedAlternation(re);
}

/**
 * A repeated group of alternatives that can match the same text, like "(\\w|\\d)+$", backtracks
 * exponentially just as "(a+)+" does (measured: 6.5 s on 28 characters). Telling overlapping
 * alternatives from disjoint ones needs a regex engine, so every repeated alternation is refused;
 * a character class ("[\\w\\d]+") says the same thing safely.
 */
export function hasRepeatedAlternation(re: string): boolean {
  // Blank out escapes and character classes, then look for (…|…) followed by an unbounded repeat.
  const flat = re.replace(/\\./g, 'x').replace(/\[(?:\\.|[^\]])*\]/g, 'x');
  return /\((?:\?:)?[^()]*\|[^()]*\)(?:[*+]|\{\d+,\})/.test(flat);
}

/** True when a repeated group itself contains an unbounded repeat, like "(a+)+". */
export function hasNestedQuantifier(re: string): boolean {
  const stack: boolean[] = [false]; // per open group: does it contain an unbounded quantifier?
  let lastGroupUnbounded: boolean | null = null; // the atom just closed was a group (and its flag)
  for (let i = 0; i < re.length; ) {
    const c = re[i]!;
    if (c === '\\') {
      i += 2;
      lastGroupUnbounded = null;
      continue;
    }
    if (c === '[') {
      let j = i + 1;
      if (re[j] === '^') j++;
      if (re[j] === ']') j++;
      while (j < re.length && re[j] !== ']') j += re[j] === '\\' ? 2 : 1;
      i = j + 1;
      lastGroupUnbounded = null;
      continue;
    }
    if (c === '(') {
      stack.push(false);
      i++;
      if (re[i] === '?') {
        // (?:  (?=  (?!  (?<=  (?<!  (?<name>
        const m = /^\?(:|=|!|<=|<!|<[A-Za-z_$][\w$]*>)/.exec(re.slice(i));
        i += m ? m[0].length : 1;
      }
      lastGroupUnbounded = null;
      continue;
    }
    if (c === ')') {
      const inner = stack.length > 1 ? stack.pop()! : false;
      lastGroupUnbounded = inner;
      if (inner) stack[stack.length - 1] = true;
      i++;
      continue;
    }
    const q = readQuantifier(re, i);
    if (q) {
      if (q.unbounded) {
        if (lastGroupUnbounded) return true;
        stack[stack.length - 1] = true;
      }
      i = q.end;
      if (re[i] === '?') i++; // lazy
      lastGroupUnbounded = null;
      continue;
    }
    lastGroupUnbounded = null;
    i++;
  }
  return false;
}
