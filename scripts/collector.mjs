#!/usr/bin/env node
/**
 * `npm run collector -- --port 8787 --out audit-events.sqlite [--token TOKEN] [--host 127.0.0.1] [--fail-first N] [--fail-status 503] [--delay-ms N]`
 * The reference audit collector for trials, demos and tests (docs/audit.md). The token may also
 * come from the environment (AI_GEOFENCE_COLLECTOR_TOKEN), which other users cannot read in `ps`.
 */
import { parseArgs } from 'node:util';
import { startCollector } from './collector-server.mjs';

const USAGE =
  'usage: npm run collector -- [--port 8787] [--out audit-events.sqlite] [--token TOKEN] [--host 127.0.0.1] [--fail-first N] [--fail-status 503] [--delay-ms N]';

function int(name, value, fallback) {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} expects a non-negative integer, got "${value}"\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      out: { type: 'string' },
      token: { type: 'string' },
      'fail-first': { type: 'string' },
      'fail-status': { type: 'string' },
      'delay-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (err) {
  console.error(`${err.message}\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const token = values.token ?? process.env.AI_GEOFENCE_COLLECTOR_TOKEN ?? undefined;
if (token !== undefined && token.length < 16) {
  console.error('--token must be at least 16 characters (e.g. openssl rand -hex 24)');
  process.exit(2);
}

let collector;
try {
  collector = await startCollector({
    port: int('port', values.port, 8787),
    host: values.host ?? '127.0.0.1',
    out: values.out ?? 'audit-events.sqlite',
    token,
    failFirst: int('fail-first', values['fail-first'], 0),
    failStatus: int('fail-status', values['fail-status'], 503),
    delayMs: int('delay-ms', values['delay-ms'], 0),
  });
} catch (err) {
  console.error(`cannot start the collector: ${err.message}`);
  process.exit(1);
}
console.log(
  `AI Geofence audit collector listening on ${collector.url}${token ? ' (token required)' : ' (no token: anyone who can reach it may POST)'}`,
);
console.log(`storing events in ${collector.out} (${collector.size()} row(s) already there)`);
console.log(`set the managed key auditUrl to ${collector.url} (Ctrl+C to stop)`);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    console.log(`\n${collector.stats.accepted} event(s) accepted, ${collector.stats.duplicates} duplicate(s) ignored`);
    void collector.close().then(() => process.exit(0));
  });
}
