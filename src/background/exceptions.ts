/**
 * Signed exceptions, the worker's half (docs/compliance.md): keep the verified exceptions document in step
 * with the managed `exceptionsUrl`, say in the status what is in force and whether the last update
 * failed, and tell pages which exception lets the employee in. The document itself is checked by
 * src/core/exceptions/exceptions.ts; the planner applies it (src/core/plan/plan.ts).
 */
import { exceptionRef, exceptionsFor, findException, verifyExceptions } from '../core/exceptions/exceptions.ts';
import type { ExceptionRef } from '../core/exceptions/exceptions.ts';
import type { Status } from '../core/status/status.ts';
import { recordAudit } from './audit.ts';
import { fetchPolicy } from './policy-fetch.ts';
import { stateOf, type Runtime } from './runtime.ts';
import { saveState, type ExceptionsRecord, type StoredState } from './storage.ts';

const nowIso = () => new Date().toISOString();

/**
 * Re-verify the stored exceptions document with today's keys (as the policy). Dropped when IT
 * removed or moved `exceptionsUrl`: exceptions come only from where IT says they are published.
 */
export async function loadStoredExceptions(r: Runtime): Promise<void> {
  r.exceptions = null;
  const rec = r.state.exceptionsRecord;
  if (!rec || !r.config) return;
  if (rec.url !== r.config.exceptionsUrl) {
    r.state.exceptionsRecord = null;
    await saveState({ exceptionsRecord: null });
    return;
  }
  const v = await verifyExceptions(rec.jws, {
    trustedKeys: r.config.trustedKeys,
    threshold: r.config.signatureThreshold,
    now: Date.now(),
  });
  // An expired document is refused here and grants nothing, which is what it should do.
  if (v.ok) r.exceptions = v.doc;
}

/** Fetch and verify the exceptions document after the policy; keeps the one in force on any failure. */
export async function refreshExceptions(r: Runtime): Promise<void> {
  const url = r.config?.exceptionsUrl;
  if (!r.config || !url) {
    if (r.state.exceptionsFetch) await noteExceptionsFetch(r, null);
    return;
  }
  const res = await fetchPolicy(url, null);
  const at = nowIso();
  // Unreachable: the document in force stays until it expires (docs/compliance.md, "Revoking"),
  // and the popup says the update failed.
  if (res.kind !== 'ok') {
    await noteExceptionsFetch(r, {
      at,
      ok: res.kind === 'not-modified',
      message: res.kind === 'error' ? res.message : 'not modified',
    });
    return;
  }
  const rec = r.state.exceptionsRecord;
  const current = rec && r.exceptions ? { serial: rec.serial, payloadHash: rec.payloadHash } : null;
  const now = Date.now();
  const v = await verifyExceptions(res.text, {
    trustedKeys: r.config.trustedKeys,
    threshold: r.config.signatureThreshold,
    now,
    current,
  });
  if (!v.ok) {
    await noteExceptionsFetch(r, { at, ok: false, message: `downloaded, but refused (${v.code}): ${v.message}` });
    await recordAudit({ type: 'exceptions-refused', detail: { code: v.code, reason: v.message } });
    return;
  }
  const record: ExceptionsRecord = {
    jws: res.text,
    payloadHash: v.payloadHash,
    serial: v.doc.serial,
    signers: v.signers,
    verifiedAt: new Date(now).toISOString(),
    url,
  };
  r.state.exceptionsRecord = record;
  r.exceptions = v.doc;
  await saveState({ exceptionsRecord: record });
  await noteExceptionsFetch(r, { at, ok: true, message: `exceptions serial ${v.doc.serial} verified` });
  if (!current || current.payloadHash !== v.payloadHash) {
    const count = exceptionsFor(v.doc, r.config.userId, r.config.office, now).length;
    await recordAudit({
      type: 'exceptions-applied',
      detail: { serial: v.doc.serial, payloadHash: v.payloadHash, signers: v.signers, count },
    });
  }
}

async function noteExceptionsFetch(r: Runtime, fetch: StoredState['exceptionsFetch']): Promise<void> {
  r.state.exceptionsFetch = fetch;
  await saveState({ exceptionsFetch: fetch });
}

/** What the popup says about signed exceptions: null when IT configured none. */
export function exceptionsSummary(r: Runtime, now = Date.now()): Status['exceptions'] {
  const url = r.config?.exceptionsUrl;
  if (!url) return null;
  const rec = r.exceptions ? r.state.exceptionsRecord : null;
  const office = stateOf(r, now).employee?.office ?? null;
  return {
    url,
    serial: rec?.serial ?? null,
    verifiedAt: rec?.verifiedAt ?? null,
    expires: r.exceptions?.expires ?? null,
    forYou: office && r.exceptions ? exceptionsFor(r.exceptions, r.config?.userId ?? null, office, now).length : 0,
    lastFetch: r.state.exceptionsFetch,
  };
}

/** The signed exception that lets this employee use `toolId` now, for pages (null: none). */
export function exceptionNow(r: Runtime, toolId: string | null, now = Date.now()): ExceptionRef | null {
  const st = stateOf(r, now);
  const office = st.employee?.office ?? null;
  const e = st.valid ? findException(r.exceptions, r.config?.userId, toolId, office, now) : null;
  return e && r.exceptions ? exceptionRef(e, r.exceptions) : null;
}
