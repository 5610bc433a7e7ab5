/**
 * `npm run location-service -- --key PRIVATE.jwk --networks NETWORKS.json [--trust-header NAME]
 *  [--port 8788] [--host 127.0.0.1] [--minutes 30]`
 * The reference location service for trials, demos and tests (docs/location.md).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { importLocationSigner } from '../src/core/location/location-answer.ts';
import { parseNetworks } from '../src/core/location/networks.ts';
import { startLocationService } from './location-server.ts';

const USAGE =
  'usage: npm run location-service -- --key PRIVATE.jwk --networks NETWORKS.json [--trust-header NAME] [--port 8788] [--host 127.0.0.1] [--minutes 30]';

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    fail(`cannot read the ${what} "${path}": ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    fail(`the ${what} "${path}" is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function int(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    fail(`--${name} expects an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

let values: Record<string, string | boolean | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      key: { type: 'string' },
      networks: { type: 'string' },
      'trust-header': { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      minutes: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (typeof values.key !== 'string')
  fail('--key PRIVATE.jwk is required (make one with: npm run -s cli -- keygen --kid location-1 --out keys)');
if (typeof values.networks !== 'string') fail('--networks NETWORKS.json is required');
const trustHeader = typeof values['trust-header'] === 'string' ? values['trust-header'] : undefined;
if (trustHeader !== undefined && !/^[A-Za-z0-9-]+$/.test(trustHeader))
  fail(`--trust-header expects a header name such as CF-IPCountry, got "${trustHeader}"`);

let signer: Awaited<ReturnType<typeof importLocationSigner>>;
try {
  signer = await importLocationSigner(readJson(values.key, 'key'));
} catch (e) {
  fail(`${values.key}: ${e instanceof Error ? e.message : String(e)}`);
}
let table: ReturnType<typeof parseNetworks>;
try {
  table = parseNetworks(readJson(values.networks, 'networks table'));
} catch (e) {
  fail(`${values.networks}: ${e instanceof Error ? e.message : String(e)}`);
}

const service = await startLocationService({
  signer,
  table,
  trustHeader,
  minutes: int('minutes', values.minutes as string | undefined, 30, 1, 24 * 60),
  port: int('port', values.port as string | undefined, 8788, 0, 65535),
  host: typeof values.host === 'string' ? values.host : '127.0.0.1',
});
console.log(`AI Geofence location service listening on ${service.url}`);
console.log(
  `${table.size} network range(s), zones: ${table.zones().join(', ') || 'none'}${trustHeader ? `; trusting the country header ${trustHeader}` : ''}`,
);
console.log(
  `signing with key "${signer.kid}"; set the managed key locationUrl to ${service.url} and put its public key in locationKeys (Ctrl+C to stop)`,
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    console.log(
      `\n${service.stats.answered} answered, ${service.stats.unknown} not placed, ${service.stats.refused} refused`,
    );
    void service.close().then(() => process.exit(0));
  });
}
