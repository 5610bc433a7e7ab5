/** Small statistics for interleaved timing runs: medians and quartiles, never means of noisy samples. */

export interface Summary {
  n: number;
  median: number;
  p25: number;
  p75: number;
  min: number;
  max: number;
}

/** Quantile with linear interpolation between order statistics (q in [0, 1]). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function summarize(values: readonly number[]): Summary {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    n: s.length,
    median: r(quantile(s, 0.5)),
    p25: r(quantile(s, 0.25)),
    p75: r(quantile(s, 0.75)),
    min: r(s[0] ?? NaN),
    max: r(s.at(-1) ?? NaN),
  };
}

/** a / b rounded to 3 decimals (NaN when either side has no data). */
export function ratio(a: number, b: number): number {
  return Math.round((a / b) * 1000) / 1000;
}

export function geometricMean(values: readonly number[]): number {
  const v = values.filter((x) => x > 0 && Number.isFinite(x));
  return Math.round(Math.exp(v.reduce((s, x) => s + Math.log(x), 0) / v.length) * 1000) / 1000;
}

/** Numbers for tables: thousands separators, one decimal below 100. */
export function fmt(x: number, decimals?: number): string {
  if (!Number.isFinite(x)) return '–';
  const d = decimals ?? (Math.abs(x) < 10 ? 1 : 0);
  return x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}
