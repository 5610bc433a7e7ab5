/**
 * Versioned acknowledgements of notices (docs/compliance.md#versioned-acknowledgements). A block rule with `requireAcknowledgement`
 * asks the employee once to confirm they have read its notice; the confirmation is evidence
 * ("read notice HK-ANTHROPIC-2026-11 v2 of policy serial 42") and is asked again only when
 * compliance raises the notice's `version` — not for every new policy serial, which would train
 * people to click through. Pure: the background keeps the records in storage.
 */
import { ruleActiveAt } from './decide.ts';
import type { Policy, Rule } from '../policy/policy-schema.ts';

/** The acknowledgement state of a versioned notice, for the block page's "I have read this". */
export interface NoticeAcknowledgement {
  ruleId: string;
  version: number;
  policySerial: number;
  /** True while this version has not been acknowledged on this browser. */
  required: boolean;
  /** When this version was acknowledged (ISO), or null. */
  acknowledgedAt: string | null;
}

/** One acknowledgement as kept on the device. */
export interface AckRecord {
  ruleId: string;
  version: number;
  /** The policy serial in force when it was read. */
  serial: number;
  /** ISO instant. */
  at: string;
}

/** Records keyed by ackKey (one storage value). */
export type AckRecords = Readonly<Record<string, AckRecord>>;

/** The version of a rule's notice; a notice without `version` is version 1. */
export function noticeVersion(rule: Pick<Rule, 'notice'>): number {
  return rule.notice?.version ?? 1;
}

/** The storage key of one acknowledgement; the rule id is encoded so no id can collide with another key. */
export function ackKey(ruleId: string, version: number, serial: number): string {
  return `${encodeURIComponent(ruleId)}@v${version}#${serial}`;
}

/** The evidence sentence recorded with an acknowledgement. */
export function acknowledgementEvidence(ruleId: string, version: number, serial: number): string {
  return `read notice ${ruleId} v${version} of policy serial ${serial}`;
}

/** True when the rule asks for an acknowledgement at all (block rules with `requireAcknowledgement`). */
export function requiresAcknowledgement(rule: Pick<Rule, 'action' | 'requireAcknowledgement'>): boolean {
  return rule.action === 'block' && rule.requireAcknowledgement === true;
}

/** The record of this rule's current notice version, if the employee has read it (under any serial). */
export function findAcknowledgement(rule: Pick<Rule, 'id' | 'notice'>, records: AckRecords): AckRecord | null {
  const version = noticeVersion(rule);
  let found: AckRecord | null = null;
  for (const r of Object.values(records)) {
    if (r.ruleId === rule.id && r.version === version && (!found || r.at < found.at)) found = r;
  }
  return found;
}

/**
 * True when the notice must be shown for acknowledgement: the rule asks for it, is in force at
 * `now`, and this version of its notice has not been acknowledged on this browser.
 */
export function needsAcknowledgement(rule: Rule, records: AckRecords, now: number): boolean {
  if (!requiresAcknowledgement(rule) || !ruleActiveAt(rule, now)) return false;
  return findAcknowledgement(rule, records) === null;
}

/** Add the acknowledgement of `rule` under policy `serial`; returns the new records and the evidence. */
export function recordAcknowledgement(
  records: AckRecords,
  rule: Pick<Rule, 'id' | 'notice'>,
  serial: number,
  now: number,
): { records: Record<string, AckRecord>; record: AckRecord; key: string; evidence: string } {
  const version = noticeVersion(rule);
  const key = ackKey(rule.id, version, serial);
  // Reading it again under the same serial changes nothing: the first reading is the evidence.
  const record = records[key] ?? { ruleId: rule.id, version, serial, at: new Date(now).toISOString() };
  return {
    records: { ...records, [key]: record },
    record,
    key,
    evidence: acknowledgementEvidence(rule.id, version, serial),
  };
}

/** Keep only records of rules and notice versions still in the policy, so storage stays bounded. */
export function pruneAcknowledgements(records: AckRecords, policy: Pick<Policy, 'rules'>): Record<string, AckRecord> {
  const live = new Set(policy.rules.map((r) => `${r.id}\u0000${noticeVersion(r)}`));
  const out: Record<string, AckRecord> = {};
  for (const [key, r] of Object.entries(records)) if (live.has(`${r.ruleId}\u0000${r.version}`)) out[key] = r;
  return out;
}

/** The acknowledgement state the block page shows (Explanation.acknowledgement), or null when none is asked. */
export function acknowledgementState(
  rule: Rule | null,
  records: AckRecords,
  policySerial: number,
  now: number,
): NoticeAcknowledgement | null {
  if (!rule || !requiresAcknowledgement(rule)) return null;
  const found = findAcknowledgement(rule, records);
  return {
    ruleId: rule.id,
    version: noticeVersion(rule),
    policySerial,
    required: needsAcknowledgement(rule, records, now),
    acknowledgedAt: found?.at ?? null,
  };
}

/** The `detail` of the `notice-acknowledged` audit event. */
export function acknowledgementAuditDetail(record: AckRecord): Record<string, unknown> {
  return {
    version: record.version,
    serial: record.serial,
    evidence: acknowledgementEvidence(record.ruleId, record.version, record.serial),
  };
}
