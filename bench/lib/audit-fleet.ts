/**
 * A fleet's month of audit events, made with the project's own code (makeAuditEvent, the ledger's
 * sealing, acknowledgement evidence): valid hash chains, in delivery order (hour by hour, browsers
 * interleaved). Seeded, so two runs describe the same fleet. About 27 events per browser per day:
 * a daily heartbeat, monitor visits, blocks, warnings (some proceeded with a justification),
 * notice acknowledgements, data controls, uses of a signed exception and the odd discovered tool;
 * the policy moves from serial 42 to 43 mid-month, a few browsers never follow and a few go silent.
 */
import { randomUUID } from 'node:crypto';
import { makeAuditEvent, type AuditEvent } from '../../src/core/audit/audit.ts';
import { acknowledgementEvidence } from '../../src/core/decide/acknowledgements.ts';
import { sealAuditEventWith, startLedger, type SyncSha256 } from '../../src/core/audit/ledger.ts';
import type { AuditLedger } from '../../src/core/audit/audit.ts';
import { prng } from './prng.mjs';

export const FLEET_OFFICES = ['HK', 'NY', 'LDN', 'SG', 'ZRH'] as const;
const HOUR = 3_600_000;
const SERIAL_OLD = 42;
const SERIAL_NEW = 43;
const POLICY_HASH = { 42: 'a'.repeat(64), 43: 'b'.repeat(64) } as const;

export interface FleetOptions {
  browsers: number;
  days: number;
  /** First instant (ms). */
  start: number;
  seed?: number;
  hash: SyncSha256;
}

interface Browser {
  office: string;
  ledger: AuditLedger;
  serial: number;
  /** Hour of the day of its heartbeat. */
  beatHour: number;
  /** Moves to the new serial at this hour index, or never (stale). */
  updateAt: number;
  /** Stops reporting at this hour index, or never. */
  silentFrom: number;
}

/** Every event of the fleet, in delivery order, to `emit` (one JSON line each, as the collector stores them). */
export function generateFleet(
  opts: FleetOptions,
  emit: (event: AuditEvent) => void,
): { events: number; browsers: number } {
  const random = prng(opts.seed ?? 2026);
  const hours = opts.days * 24;
  const fleet: Browser[] = Array.from({ length: opts.browsers }, (_, i) => ({
    office: FLEET_OFFICES[i % FLEET_OFFICES.length]!,
    ledger: startLedger(`${(0x10000000 + i).toString(16)}-0000-4000-8000-${i.toString(16).padStart(12, '0')}`),
    serial: SERIAL_OLD,
    beatHour: Math.floor(random() * 24),
    updateAt: random() < 0.02 ? Infinity : Math.floor(hours / 2 + random() * 24),
    silentFrom: random() < 0.01 ? Math.floor(hours * (0.5 + random() * 0.4)) : Infinity,
  }));
  let count = 0;
  for (let h = 0; h < hours; h++) {
    for (const b of fleet) {
      if (h >= b.silentFrom) continue;
      let minute = Math.floor(random() * 50);
      const record = (input: Parameters<typeof makeAuditEvent>[0]) => {
        const now = opts.start + h * HOUR + minute * 60_000 + Math.floor(random() * 60_000);
        minute += 1;
        const event = makeAuditEvent(
          input,
          {
            office: b.office,
            groups: [],
            policySerial: b.serial,
            urlDetail: 'path',
            policyHash: POLICY_HASH[b.serial as 42 | 43],
          },
          { id: randomUUID(), now, extensionVersion: '0.3.0' },
        );
        const sealed = sealAuditEventWith(opts.hash, b.ledger, event);
        b.ledger = sealed.ledger;
        emit(sealed.event);
        count += 1;
      };
      if (h === 0)
        record({
          type: 'policy-applied',
          detail: { serial: SERIAL_OLD, payloadHash: POLICY_HASH[42], signers: ['officer-a'] },
        });
      if (h === b.updateAt) {
        b.serial = SERIAL_NEW;
        record({
          type: 'policy-applied',
          detail: { serial: SERIAL_NEW, payloadHash: POLICY_HASH[43], signers: ['officer-a', 'officer-b'] },
        });
      }
      if (h % 24 === b.beatHour) {
        record({
          type: 'heartbeat',
          detail: {
            office: b.office,
            policySerial: b.serial,
            policyHash: POLICY_HASH[b.serial as 42 | 43],
            rulesInstalled: 412,
            incognitoAllowed: false,
            extensionVersion: '0.3.0',
            mode: 'enforcing',
          },
        });
      }
      const r = random();
      if (r < 0.55)
        record({
          type: 'monitor-visit',
          tool: 'gemini',
          rule: 'ALL-GEMINI-MONITOR',
          url: 'https://gemini.google.com/app',
        });
      else if (r < 0.75)
        record({
          type: 'block',
          tool: 'claude',
          rule: `${b.office}-ANTHROPIC`,
          url: 'https://claude.ai/new',
          detail: { basis: 'rule' },
        });
      else if (r < 0.9)
        record({ type: 'warn-shown', tool: 'chatgpt', rule: 'NON-US-OPENAI', url: 'https://chatgpt.com/' });
      else if (r < 1.0) {
        const justification = random() < 0.5 ? { justification: 'Client deliverable, no client data pasted' } : {};
        record({
          type: 'warn-proceeded',
          tool: 'chatgpt',
          rule: 'NON-US-OPENAI',
          url: 'https://chatgpt.com/',
          detail: {
            until: new Date(opts.start + (h + 1) * HOUR).toISOString(),
            ...justification,
            acknowledgement: acknowledgementEvidence('NON-US-OPENAI', 2, b.serial),
          },
        });
      }
      const s = random();
      if (s < 0.03)
        record({
          type: 'notice-acknowledged',
          rule: `${b.office}-ANTHROPIC`,
          detail: {
            version: b.serial === SERIAL_NEW ? 3 : 2,
            serial: b.serial,
            evidence: acknowledgementEvidence(`${b.office}-ANTHROPIC`, b.serial === SERIAL_NEW ? 3 : 2, b.serial),
          },
        });
      else if (s < 0.06)
        record({
          type: 'data-control',
          tool: 'chatgpt',
          rule: 'NON-US-OPENAI',
          url: 'https://chatgpt.com/',
          detail: { control: 'sensitive', action: 'block', patterns: { 'client account': 2 } },
        });
      else if (s < 0.07)
        record({ type: 'monitor-visit', tool: 'claude', rule: 'exception:EX-2026-0042', url: 'https://claude.ai/new' });
      else if (s < 0.075) {
        const host = `chat.tool${Math.floor(random() * 40)}.example`;
        record({
          type: 'discovered-tool',
          url: `https://${host}`,
          detail: {
            host,
            origin: `https://${host}`,
            signals: ['prompt-box', 'ai-name'],
            action: 'warn',
            enforceable: true,
          },
        });
      }
    }
  }
  return { events: count, browsers: opts.browsers };
}

/** One JSON line per event, as the reference collector's export and most SIEMs write them. */
export const eventLine = (event: AuditEvent): string => `${JSON.stringify(event)}\n`;
