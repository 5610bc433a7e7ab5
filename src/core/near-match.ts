/**
 * "Did you mean …?" for ids a person typed: tool ids, office codes, property names. A near miss
 * ("claud", "HKG") is far more often a typo than a new name, so messages offer the closest valid one.
 */

/** Edit distance counting an adjacent transposition ("emae" for "emea") as one edit; case-insensitive. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  // Optimal string alignment: Levenshtein plus transpositions, over three rolling rows.
  let before: number[] = [];
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      row.push(d);
    }
    before = prev;
    prev = row;
  }
  return prev[y.length]!;
}

/** How far a typo may be from the name it meant: 1 edit for short names, up to 3 for long ones. */
function tolerance(name: string): number {
  return Math.max(1, Math.min(3, Math.floor(name.length / 4)));
}

/**
 * The valid name `value` most likely meant, or undefined: a case-insensitive equal, one the value
 * starts or ends with ("HKG" → "HK"), or the closest within a few edits.
 */
export function nearestMatch(value: string, candidates: Iterable<string>, opts: { abbreviations?: boolean } = {}): string | undefined {
  const list = [...candidates];
  const lower = value.toLowerCase();
  const sameCase = list.find((c) => c.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of list) {
    const d = editDistance(value, c);
    if (d <= tolerance(c) && d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  if (best !== undefined || opts.abbreviations === false) return best;
  // Abbreviations and expansions ("HKG" for "HK", "hongkong" for "HK" does not qualify).
  return list.find((c) => c.length >= 2 && (lower.startsWith(c.toLowerCase()) || c.toLowerCase().startsWith(lower)) && Math.abs(c.length - value.length) <= 2);
}

/** `; did you mean "X"?`, or '' when nothing is near. */
export function didYouMean(value: string, candidates: Iterable<string>): string {
  const near = nearestMatch(value, candidates);
  return near === undefined ? '' : `; did you mean "${near}"?`;
}

/** `"a", "b", "c"` — for "valid ones are …" messages; long lists are cut with a count. */
export function quoteList(values: readonly string[], max = 20): string {
  const shown = values.slice(0, max).map((v) => JSON.stringify(v));
  if (values.length > max) shown.push(`… (${values.length - max} more)`);
  return shown.join(', ');
}
