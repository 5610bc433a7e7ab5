/**
 * The evidence commands at fleet scale, on data this benchmark makes with the project's own code
 * (bench/lib/audit-fleet.ts: valid hash-chained ledgers, about 27 events per browser per day).
 *
 *   npm run bench:evidence               10,000 browsers × 30 days ≈ 8 M events ≈ 5 GB of JSON lines
 *   npm run bench:evidence -- --quick    150 browsers × 30 days, plus the gzip, split-file and
 *                                        SQLite-store paths (a minute or so)
 *   options: --browsers N --days N --dir DIR (where the data goes; default a temporary folder)
 *            --keep (leave the data) --store (full size: also load the SQLite store and verify it)
 *
 * Each command runs as the installed bin would (a child process) under /usr/bin/time for its wall
 * time and peak RSS. Targets: audit-verify ≤ 120 s and ≤ 512 MB for the month of 10,000 browsers
 * on 2 cores; coverage and discovered faster. The full run writes bench/evidence-results.json.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { openAuditStore } from '../src/cli/audit-store.mjs';
import { sha256Sync } from '../src/cli/sha256.ts';
import { eventLine, generateFleet, FLEET_OFFICES } from './lib/audit-fleet.ts';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'ai-geofence.mjs');
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const option = (name: string, fallback: number) => {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(argv[i + 1]);
};
const browsers = option('browsers', quick ? 150 : 10_000);
const days = option('days', 30);
const dirArg = argv.indexOf('--dir');
const dir = dirArg === -1 ? mkdtempSync(join(tmpdir(), 'aig-evidence-bench-')) : resolve(argv[dirArg + 1]!);
const START = Date.parse('2026-11-01T00:00:00Z');
const AT = new Date(START + days * 86_400_000).toISOString();

interface Run {
  command: string;
  seconds: number;
  /** User + system CPU seconds, all threads: the wall time two idle cores could reach is about half. */
  cpuSeconds: number;
  maxRssMiB: number;
  code: number;
  eventsPerSecond?: number;
}

/** Run the CLI under /usr/bin/time; the last stderr line is "wall seconds, max RSS KiB". */
function timed(label: string, args: string[], events: number): Run & { stdout: string } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', process.execPath, BIN, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [wall, rss, user, sys] = last.split(' ').map(Number);
  const cpuSeconds = Math.round((user! + sys!) * 10) / 10;
  const run = {
    command: label,
    seconds: wall!,
    cpuSeconds,
    maxRssMiB: Math.round(rss! / 1024),
    code: r.status ?? -1,
    eventsPerSecond: Math.round(events / wall!),
    stdout: r.stdout,
  };
  console.log(
    `  ${label.padEnd(38)} ${run.seconds.toFixed(1).padStart(7)} s  (CPU ${cpuSeconds.toFixed(1)} s)  ${String(run.maxRssMiB).padStart(5)} MiB  ${run.eventsPerSecond.toLocaleString('en').padStart(9)} events/s  exit ${run.code}`,
  );
  return run;
}

function must(ok: boolean, what: string): void {
  if (!ok) {
    console.error(`FAILED: ${what}`);
    process.exitCode = 1;
  }
}

// Build the CLI bundle once, outside the timings.
execFileSync(process.execPath, [BIN, '--help'], { stdio: 'ignore' });

console.log(
  `evidence benchmark: ${browsers.toLocaleString('en')} browsers × ${days} days in ${dir}; ${os.cpus().length} core(s), load ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
const file = join(dir, 'events.jsonl');
let t = performance.now();
const fd = openSync(file, 'w');
let pending: string[] = [];
let size = 0;
const gen = generateFleet({ browsers, days, start: START, hash: sha256Sync }, (e) => {
  const line = eventLine(e);
  pending.push(line);
  size += line.length;
  if (size > 8 << 20) {
    writeSync(fd, pending.join(''));
    pending = [];
    size = 0;
  }
});
writeSync(fd, pending.join(''));
closeSync(fd);
const bytes = statSync(file).size;
const generated = { events: gen.events, bytes, seconds: Math.round((performance.now() - t) / 100) / 10 };
console.log(
  `  generated ${gen.events.toLocaleString('en')} events, ${(bytes / 2 ** 30).toFixed(2)} GiB in ${generated.seconds} s`,
);

const runs: Run[] = [];
const keep = ({ stdout: _s, ...run }: Run & { stdout: string }) => runs.push(run);
const verify = timed('audit-verify', ['audit-verify', file], gen.events);
keep(verify);
must(
  verify.code === 0 && /every ledger is intact/.test(verify.stdout),
  'audit-verify must find every generated ledger intact',
);
must(
  verify.stdout.split('\n').filter((l) => /^ {2}[0-9a-f]{8}-/.test(l)).length === browsers,
  'one summary line per browser',
);
const cov = timed('coverage', ['coverage', file, '--at', AT, '--json'], gen.events);
keep(cov);
must(
  cov.code === 0 && (JSON.parse(cov.stdout) as { offices: unknown[] }).offices.length === FLEET_OFFICES.length,
  'coverage of every office',
);
keep(timed('discovered', ['discovered', file], gen.events));
const fleetCsv = join(dir, 'fleet.csv');
writeFileSync(
  fleetCsv,
  `office,count\n${FLEET_OFFICES.map((o) => `${o},${Math.ceil(browsers / FLEET_OFFICES.length) + 3}`).join('\n')}\n`,
);
keep(
  timed(
    'report (HTML + CSV)',
    [
      'report',
      file,
      '--at',
      AT,
      '--fleet',
      fleetCsv,
      '--html',
      join(dir, 'report.html'),
      '--csv',
      join(dir, 'report.csv'),
    ],
    gen.events,
  ),
);

if (quick || argv.includes('--store')) {
  // The other paths: gzip, the month split in two files read as one stream, the collector's store.
  const text = (await import('node:fs')).readFileSync(file);
  const cut = text.indexOf(10, Math.floor(text.length / 2)) + 1;
  writeFileSync(join(dir, 'events-1.jsonl'), text.subarray(0, cut));
  writeFileSync(join(dir, 'events-2.jsonl.gz'), gzipSync(text.subarray(cut), { level: 1 }));
  const split = timed(
    'audit-verify, 2 files (.jsonl + .gz)',
    ['audit-verify', join(dir, 'events-1.jsonl'), join(dir, 'events-2.jsonl.gz')],
    gen.events,
  );
  keep(split);
  must(split.code === 0, 'split files verify as one stream');
  t = performance.now();
  const store = openAuditStore(join(dir, 'events.sqlite'));
  let batch: unknown[] = [];
  let loaded = 0;
  for (let start = 0; start < text.length; ) {
    const nl = text.indexOf(10, start);
    batch.push(JSON.parse(text.subarray(start, nl).toString('utf8')));
    start = nl + 1;
    if (batch.length === 10_000 || start >= text.length) {
      loaded += store.add(batch as Array<{ id: string }>);
      batch = [];
    }
  }
  store.close();
  console.log(
    `  loaded ${loaded.toLocaleString('en')} events into the SQLite store in ${((performance.now() - t) / 1000).toFixed(1)} s (${(statSync(join(dir, 'events.sqlite')).size / 2 ** 30).toFixed(2)} GiB)`,
  );
  const fromStore = timed('audit-verify, SQLite store', ['audit-verify', join(dir, 'events.sqlite')], gen.events);
  keep(fromStore);
  must(fromStore.code === 0, 'the store verifies');
}

// The reference collector's ingest rate: batches of 3 events (the extension's usual size) from 16
// concurrent clients, each batch committed to disk (WAL, synchronous=FULL) before its answer.
const ingest = await measureCollector(join(dir, 'collector.sqlite'), quick ? 2000 : 10_000);
console.log(
  `  collector ingest: ${ingest.requests.toLocaleString('en')} requests of 3 events in ${ingest.seconds} s: ${ingest.requestsPerSecond} requests/s, ${ingest.eventsPerSecond} events/s`,
);

if (!quick) {
  const results = {
    at: new Date().toISOString(),
    browsers,
    days,
    generated,
    ingest,
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    loadAverageAtEnd: os.loadavg(),
    node: process.version,
    runs,
  };
  writeFileSync(join(ROOT, 'bench', 'evidence-results.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log('wrote bench/evidence-results.json');
}
if (!argv.includes('--keep') && dirArg === -1 && existsSync(dir)) rmSync(dir, { recursive: true, force: true });

/** Start the collector as its own process and POST `requests` batches of 3 events, 16 at a time. */
async function measureCollector(
  out: string,
  requests: number,
): Promise<{ requests: number; seconds: number; requestsPerSecond: number; eventsPerSecond: number }> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [join(ROOT, 'scripts', 'collector.mjs'), '--port', '0', '--out', out], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const url = await new Promise<string>((done, fail) => {
      let text = '';
      child.stdout.on('data', (d: Buffer) => {
        text += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(text);
        if (m) done(m[1]!);
      });
      child.on('exit', (code) => fail(new Error(`collector exited (${code})`)));
    });
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = next++; i < requests; i = next++) {
          const events = [0, 1, 2].map((k) => ({
            id: `bench-${i}-${k}`,
            time: new Date(START + i * 1000).toISOString(),
            type: 'block',
            tool: 'claude',
          }));
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ events }),
          });
          if (!res.ok) throw new Error(`collector answered ${res.status}`);
          await res.arrayBuffer();
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    return {
      requests,
      seconds: Math.round(seconds * 10) / 10,
      requestsPerSecond: Math.round(requests / seconds),
      eventsPerSecond: Math.round((requests * 3) / seconds),
    };
  } finally {
    child.kill();
  }
}
