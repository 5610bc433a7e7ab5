/**
 * Phase timing inside the service worker without a hook in src/background: before a refresh the
 * bench wraps, in the worker's global scope, the browser APIs the update path calls (fetch,
 * crypto.subtle, storage, declarativeNetRequest, scripting) so that each call leaves a timestamp.
 * The background's code is untouched; its calls are found by what they write, e.g. the
 * `set(policyRecord…)` that follows acceptance and the `set(lastEmployee)` that follows
 * compileDnrRules. The order of those calls in src/background/enforcement.ts defines the phases.
 */

export type Mark = [name: string, t: number];

/** Runs in the worker (sw.evaluate): install the wrappers once, reset the marks every time. */
export function installWorkerProbe(policyPath: string): void {
  const g = globalThis as unknown as Record<string, unknown> & {
    __aigBench?: { marks: Mark[] };
    __aigBenchPatched?: boolean;
  };
  g.__aigBench = { marks: [] };
  if (g.__aigBenchPatched) return;
  g.__aigBenchPatched = true;
  const mark = (name: string) => g.__aigBench!.marks.push([name, performance.now()]);
  type Fn = (this: unknown, ...args: unknown[]) => unknown;
  const wrap = (
    obj: Record<string, unknown> | undefined,
    method: string,
    label: (args: unknown[]) => string | null,
  ) => {
    const orig = obj?.[method] as Fn | undefined;
    if (!obj || typeof orig !== 'function') return;
    obj[method] = function (this: unknown, ...args: unknown[]) {
      const l = label(args);
      if (l === null) return orig.apply(this, args);
      mark(`${l}:start`);
      // webextension-polyfill calls chrome.* with a trailing callback; MV3 callers get a promise.
      const cb = args.findIndex((a) => typeof a === 'function');
      if (cb >= 0) {
        const original = args[cb] as Fn;
        args[cb] = function (this: unknown, ...r: unknown[]) {
          mark(`${l}:end`);
          return original.apply(this, r);
        };
        return orig.apply(this, args);
      }
      const res = orig.apply(this, args);
      if (res && typeof (res as Promise<unknown>).then === 'function') {
        return (res as Promise<unknown>).then(
          (v) => {
            mark(`${l}:end`);
            return v;
          },
          (e: unknown) => {
            mark(`${l}:error`);
            throw e;
          },
        );
      }
      mark(`${l}:end`);
      return res;
    };
  };
  const c = chrome as unknown as Record<string, Record<string, Record<string, unknown>>>;
  wrap(g, 'fetch', (a) => (String(a[0]).includes(policyPath) ? 'fetch' : null));
  const subtle = crypto.subtle as unknown as Record<string, unknown>;
  for (const m of ['importKey', 'verify', 'digest']) wrap(subtle, m, () => m);
  wrap(c.storage!.managed, 'get', () => 'managed.get');
  wrap(c.storage!.local, 'get', () => 'get');
  wrap(c.storage!.local, 'set', (a) => `set(${Object.keys((a[0] as object | undefined) ?? {}).join(',')})`);
  wrap(c.declarativeNetRequest as unknown as Record<string, unknown>, 'getDynamicRules', () => 'getDynamicRules');
  wrap(c.declarativeNetRequest as unknown as Record<string, unknown>, 'updateDynamicRules', () => 'updateDynamicRules');
  wrap(c.scripting as unknown as Record<string, unknown>, 'registerContentScripts', () => 'registerContentScripts');
  wrap(c.scripting as unknown as Record<string, unknown>, 'unregisterContentScripts', () => 'unregisterContentScripts');
}

/** Runs in the worker: the marks since the last install. */
export function readWorkerMarks(): Mark[] {
  return (globalThis as unknown as { __aigBench?: { marks: Mark[] } }).__aigBench?.marks ?? [];
}

export interface WorkerPhases {
  /** Re-verify, parse and compile the policy in force (every refresh does it before fetching). */
  reloadStoredMs: number | null;
  /** fetch() called → first key import (response body read, JWS split). */
  downloadMs: number | null;
  /** Key import + signature verification. */
  verifyMs: number | null;
  /** Strict JSON parse + schema validation of the payload (up to the payload hash). */
  validateMs: number | null;
  /** Payload hash + freshness checks + compilePolicy. */
  compilePolicyMs: number | null;
  /** Small state writes and reads before the rules are compiled (fetch result, acknowledgements). */
  storeMs: number | null;
  /** compileDnrRules (between the two storage writes that bracket it in applyUnqueued). */
  compileDnrMs: number | null;
  /** Reading back the installed rules (getDynamicRules) to know which ids to remove; 0 when not needed. */
  readRulesMs: number | null;
  /** Storing the verified record, started before the DNR compile and running beside it and the install. */
  recordWriteMs: number | null;
  /** First key import → `lastApplied` written: the serial named in force (rules and record stored). */
  inForceMs: number | null;
  /** updateDynamicRules, start to resolution. */
  dnrInstallMs: number | null;
  /** Headline: first key import → rules in force (verify + validate + compile + install). */
  verifyToEnforcedMs: number | null;
  /** fetch() called → rules in force. */
  fetchToEnforcedMs: number | null;
  /** Rules in force → content scripts registered and the refresh finished. */
  afterInstallMs: number | null;
}

/** Turn the marks of one refresh into phases; null where a mark is missing. */
export function phasesOf(marks: readonly Mark[]): WorkerPhases {
  const at = (pred: (name: string) => boolean, after = -Infinity): number | null => {
    const m = marks.find(([n, t]) => t >= after && pred(n));
    return m ? m[1] : null;
  };
  const last = (pred: (name: string) => boolean): number | null => {
    const m = [...marks].reverse().find(([n]) => pred(n));
    return m ? m[1] : null;
  };
  const d = (a: number | null, b: number | null) => (a === null || b === null ? null : Math.round((b - a) * 10) / 10);
  const managedEnd = at((n) => n === 'managed.get:end');
  const fetchStart = at((n) => n === 'fetch:start');
  const after = fetchStart ?? Infinity;
  const importStart = at((n) => n === 'importKey:start', after);
  const verifyEnd = at((n) => n === 'verify:end', after);
  const digestStart = at((n) => n === 'digest:start', after);
  const stateStart = digestStart === null ? null : at((n) => n.startsWith('set(') && n.endsWith(':start'), digestStart);
  const recordStart = at((n) => n.startsWith('set(') && n.includes('policyRecord') && n.endsWith(':start'), after);
  const recordEnd =
    recordStart === null
      ? null
      : at((n) => n.startsWith('set(') && n.includes('policyRecord') && n.endsWith(':end'), recordStart);
  const employeeStart = at((n) => n === 'set(lastEmployee):start', after);
  const dnrStart = at((n) => n === 'updateDynamicRules:start', after);
  const dnrEnd = at((n) => n === 'updateDynamicRules:end', after);
  const readStart = employeeStart === null ? null : at((n) => n === 'getDynamicRules:start', employeeStart);
  const readEnd = readStart === null ? null : at((n) => n === 'getDynamicRules:end', readStart);
  const read = readStart !== null && dnrStart !== null && readStart < dnrStart;
  const appliedEnd = at(
    (n) => n.startsWith('set(') && n.includes('lastApplied') && n.endsWith(':end'),
    dnrEnd ?? after,
  );
  const end = last(() => true);
  return {
    reloadStoredMs: d(managedEnd, fetchStart),
    downloadMs: d(fetchStart, importStart),
    verifyMs: d(importStart, verifyEnd),
    validateMs: d(verifyEnd, digestStart),
    compilePolicyMs: d(digestStart, stateStart),
    storeMs: d(stateStart, recordStart),
    compileDnrMs: d(recordStart, employeeStart),
    readRulesMs: read ? d(readStart, readEnd) : dnrStart === null ? null : 0,
    recordWriteMs: d(recordStart, recordEnd),
    inForceMs: d(importStart, appliedEnd),
    dnrInstallMs: d(dnrStart, dnrEnd),
    verifyToEnforcedMs: d(importStart, dnrEnd),
    fetchToEnforcedMs: d(fetchStart, dnrEnd),
    afterInstallMs: d(appliedEnd, end),
  };
}
