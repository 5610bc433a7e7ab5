/**
 * "Did you mean …?" for names a person typed: a misspelt field, office or tool code that would
 * otherwise match nothing. Shared by the policy schema, lint, the CLI and the worker's configuration check.
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

/**
 * The known name that `typed` most likely meant: the same name in another case first ("hk" → "HK"),
 * else the closest within a few edits ("exceptOffice" → "exceptOffices"), else one that starts or is
 * that it starts with ("HKG" → "HK"; off with `prefixes: false`). Undefined when nothing is close.
 */
export function suggestName(
  typed: string,
  known: Iterable<string>,
  opts: { prefixes?: boolean } = {},
): string | undefined {
  const names = [...known];
  const lower = typed.toLowerCase();
  const sameCase = names.find((n) => n.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase;
  let best: { name: string; distance: number } | undefined;
  for (const n of names) {
    const distance = editDistance(typed, n);
    const allowed = Math.max(1, Math.min(3, Math.floor(n.length / 4)));
    if (distance <= allowed && (!best || distance < best.distance)) best = { name: n, distance };
  }
  if (best) return best.name;
  if (opts.prefixes === false) return undefined;
  // Short codes typed long ("HKG" for "HK", "LONDON" for "LDN" does not qualify): a known code of
  // two or more characters that the typed one starts with.
  return names.find((n) => n.length >= 2 && lower.startsWith(n.toLowerCase()));
}

/** `; did you mean "X"?`, or '' when nothing is near. */
export function didYouMean(typed: string, known: Iterable<string>): string {
  const near = suggestName(typed, known);
  return near === undefined ? '' : `; did you mean "${near}"?`;
}

/** `"a", "b", "c"` — for "valid ones are …" messages; long lists are cut with a count. */
export function quoteList(values: readonly string[], max = 20): string {
  const shown = values.slice(0, max).map((v) => JSON.stringify(v));
  if (values.length > max) shown.push(`… (${values.length - max} more)`);
  return shown.join(', ');
}
