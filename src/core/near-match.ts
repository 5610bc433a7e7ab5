/**
 * "Did you mean …?" for names a person typed: a misspelt field, office or tool code that would
 * otherwise match nothing. Shared by the policy schema, lint and the worker's configuration check.
 */

/** Levenshtein distance, case-insensitive (one row of the table at a time). */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/**
 * The known name that `typed` most likely meant: the same name in another case first ("hk" → "HK"),
 * else the closest within a few edits ("exceptOffice" → "exceptOffices"), else one that starts or is
 * that it starts with ("HKG" → "HK"; off with `prefixes: false`). Undefined when nothing is close.
 */
export function suggestName(typed: string, known: Iterable<string>, opts: { prefixes?: boolean } = {}): string | undefined {
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
