/**
 * Blocked navigations one right after another: an employee who meets the block page
 * and at once tries the vendor again, or another blocked vendor. Each pair starts after a quiet
 * pause (the worker idle but running); the second navigation starts the moment the first notice
 * is painted. Work the worker does after showing a block (the audit event, tab events, badge,
 * injections) lands on the second navigation: its notice must not wait for it.
 */
import { fmt, ratio, summarize, type Summary } from './stats.ts';

export interface SequenceSample {
  ok: boolean;
  notice: number;
  failure?: string;
}

export interface SequenceResult {
  domains: number;
  /** The worker before the first navigation of each pair: idle but running, or stopped. */
  worker: 'awake' | 'asleep';
  pairs: number;
  first: Summary;
  second: Summary;
  /** Every navigation of the series, first and second alike. */
  all: Summary;
  /** The slowest navigation ÷ the median of all (target ≤ 2). */
  slowestRatio: number | null;
  failures: number;
  failureReasons: string[];
}

export const SEQUENCE_TARGET = 2;

/**
 * `pairs` pairs of blocked navigations; `measure(url)` navigates the notice tab and returns when
 * the notice is painted (the time-to-notice measurement of the browser benchmark).
 */
export async function blockedSequence(
  domains: number,
  worker: SequenceResult['worker'],
  pairs: number,
  measure: (url: string) => Promise<SequenceSample>,
  urlFor: (pair: number, second: boolean) => string,
  pause: () => Promise<void>,
): Promise<SequenceResult> {
  const first: SequenceSample[] = [];
  const second: SequenceSample[] = [];
  for (let i = 0; i < pairs; i++) {
    await pause();
    first.push(await measure(urlFor(i, false)));
    second.push(await measure(urlFor(i, true)));
  }
  const ok = (list: SequenceSample[]) => list.filter((s) => s.ok).map((s) => s.notice);
  const all = summarize([...ok(first), ...ok(second)]);
  const slowest = Math.max(...ok(first), ...ok(second));
  const failed = [...first, ...second].filter((s) => !s.ok);
  return {
    domains,
    worker,
    pairs,
    first: summarize(ok(first)),
    second: summarize(ok(second)),
    all,
    slowestRatio: all.n && Number.isFinite(slowest) ? ratio(slowest, all.median) : null,
    failures: failed.length,
    failureReasons: [...new Set(failed.flatMap((s) => (s.failure ? [s.failure] : [])))].slice(0, 3),
  };
}

/** The markdown section for the report. */
export function renderSequence(results: readonly SequenceResult[]): string {
  if (!results.length) return '';
  const ms = (s: Summary) => (s.n ? `${fmt(s.median)} ms (${fmt(s.p25)}–${fmt(s.p75)}; max ${fmt(s.max)})` : '–');
  const rows = results.map(
    (r) =>
      `| ${r.domains.toLocaleString('en-US')} domains | ${r.worker} | ${r.pairs} | ${ms(r.first)} | ${ms(r.second)} | ${ms(r.all)} | ${r.slowestRatio ?? '–'} | ${r.failures} |`,
  );
  return [
    '#### 1b. Blocked navigations back to back',
    '',
    'Pairs of blocked navigations in the visible tab: the first after a quiet second with the worker idle but running ("awake"), or just after the worker was stopped ("asleep"); the second the moment the first notice is painted. Navigation start → notice title painted (Element Timing). Target: no navigation slower than 2× the median of all.',
    '',
    '| Policy | Worker before the first | Pairs | First of a pair | Second, right after | All | Slowest ÷ median | Failed runs |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}
