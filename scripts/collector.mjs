#!/usr/bin/env node
/**
 * `npm run collector -- --port 8787 --out audit-events.jsonl [--fail-first N] [--fail-status 503] [--delay-ms N] [--host 127.0.0.1]`
 * A local audit collector for trials, demos and tests (docs/audit.md).
 */
import { parseArgs } from 'node:util';
import { startCollector } from './collector-server.mjs';

const USAGE = 'usage: npm run collector -- [--port 8787] [--out audit-events.jsonl] [--host 127.0.0.1] [--fail-first N] [--fail-status 503] [--delay-ms N]';

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

const collector = await startCollector({
  port: int('port', values.port, 8787),
  host: values.host ?? '127.0.0.1',
  out: values.out ?? 'audit-events.jsonl',
  failFirst: int('fail-first', values['fail-first'], 0),
  failStatus: int('fail-status', values['fail-status'], 503),
  delayMs: int('delay-ms', values['delay-ms'], 0),
});
console.log(`AI Geofence audit collector listening on ${collector.url}`);
console.log(`writing events to ${collector.out} (${collector.ids.size} already there)`);
console.log(`set the managed key auditUrl to ${collector.url} (Ctrl+C to stop)`);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    console.log(`\n${collector.stats.accepted} event(s) accepted, ${collector.stats.duplicates} duplicate(s) ignored`);
    void collector.close().then(() => process.exit(0));
  });
}
