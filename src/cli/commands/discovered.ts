/** `discovered EVENTS…`: the unlisted AI tools browsers found, for compliance to review. */
import { compilePolicy, findTool } from '../../core/decide/decide.ts';
import { discoveredReport, type DiscoveredHostReport } from '../../core/discovery/discovery.ts';
import { flag, optionalInt, optionalString } from '../args.ts';
import type { Command } from '../command.ts';
import { usageError } from '../errors.ts';
import { describeInputs, evidenceInputs, EVENTS_USAGE, INPUTS_HELP, streamEvents } from '../evidence.ts';
import { loadPolicy } from '../policy-source.ts';

/** A discovered host, with the tool that lists it now when a policy was given. */
export interface DiscoveredRow extends DiscoveredHostReport {
  /** With --policy: the id of the policy or catalogue tool that now covers the host, else null. */
  listedAs?: string | null;
}

export const discovered: Command = {
  name: 'discovered',
  summary: 'list the unlisted AI tools that browsers discovered, from audit events',
  help: `Usage: ai-geofence discovered ${EVENTS_USAGE} [--policy POLICY.json|POLICY.jws [--keys TRUSTED.json]] [--json]

${INPUTS_HELP}

Lists every host reported in a "discovered-tool" event: a page that
looked like an AI tool (a prompt box with an AI name, a model picker or an AI API call) while
neither the policy nor the built-in catalogue listed it. One line per host, the most widespread
first: browsers that reported it, events (a browser reports a host at most once a day), offices,
first and last seen, the signals seen and what unlistedAiAction applied (allow, warn, block).
Events carry origins and signal names only, never page text.

Add the hosts compliance decides on to the next policy as tools (a rule may then allow, warn or
block them): a listed host is no longer "unlisted".

Flags:
  --policy FILE   mark the hosts a policy (or the catalogue) lists now, e.g. the next draft;
                  a JWS is verified first (--keys, --threshold as for explain)
  --keys FILE     trusted public keys, required for a signed --policy
  --threshold N   signatures required when verifying a JWS; default 1
  --json          print {"events", "hosts": [{host, origins, events, browsers, offices, firstSeen,
                  lastSeen, signals, actions, listedAs?}]}

Exit codes: 0 report printed, 1 unreadable file or refused policy, 2 usage error.`,
  flags: {
    policy: { type: 'string' },
    keys: { type: 'string' },
    threshold: { type: 'string' },
    json: { type: 'boolean' },
  },
  allowPositionals: true,
  async run(args, io) {
    const inputs = evidenceInputs(args, 'discovered');
    const file = describeInputs(inputs);
    const policyPath = optionalString(args, 'policy');
    const keysPath = optionalString(args, 'keys');
    if (keysPath && !policyPath) throw usageError('--keys is used with --policy');
    const threshold = optionalInt(args, 'threshold', 1, 10) ?? 1;
    // Only discovered-tool events are kept (a browser reports a host at most once a day).
    const found: Array<Record<string, unknown>> = [];
    await streamEvents(
      inputs,
      io,
      (l) => void (l.event.type === 'discovered-tool' && found.push(l.event)),
      (m) => io.err(`${file}: warning: ${m.message} (skipped)`),
    );
    const report = discoveredReport(found);
    let hosts: DiscoveredRow[] = report.hosts;
    if (policyPath) {
      const compiled = compilePolicy(
        (await loadPolicy(policyPath, keysPath, threshold, Date.now(), (m) => io.err(m))).policy,
      );
      hosts = hosts.map((h) => ({ ...h, listedAs: findTool(compiled, `https://${h.host}/`)?.toolId ?? null }));
    }
    io.out(
      flag(args, 'json')
        ? JSON.stringify({ events: report.events, hosts }, null, 2)
        : formatReport(file, report.events, hosts, !!policyPath),
    );
    return 0;
  },
};

function formatReport(file: string, events: number, hosts: readonly DiscoveredRow[], withPolicy: boolean): string {
  const out = [`${file}: ${events} discovered-tool event(s), ${hosts.length} host(s)`];
  if (hosts.length === 0) {
    out.push('  no unlisted AI tool has been reported');
    return out.join('\n');
  }
  const width = Math.max(4, ...hosts.map((h) => h.host.length));
  out.push(
    `  ${'host'.padEnd(width)}  browsers  events  offices     first seen            last seen             signals / applied`,
  );
  for (const h of hosts) {
    const actions = Object.entries(h.actions)
      .map(([a, n]) => `${a} ${n}`)
      .join(', ');
    const listed = withPolicy ? (h.listedAs ? `  · now listed as "${h.listedAs}"` : '  · still unlisted') : '';
    out.push(
      `  ${h.host.padEnd(width)}  ${String(h.browsers).padStart(8)}  ${String(h.events).padStart(6)}  ${(h.offices.join(',') || '-').padEnd(10)}  ` +
        `${h.firstSeen.slice(0, 19)}Z  ${h.lastSeen.slice(0, 19)}Z  ${h.signals.join('+')} / ${actions}${listed}`,
    );
  }
  return out.join('\n');
}
