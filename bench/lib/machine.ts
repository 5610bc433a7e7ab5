/** What the figures were measured on: printed with every result, stored in bench/results.json. */
import { execFileSync } from 'node:child_process';
import os from 'node:os';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  chromium: string;
  os: string;
  loadAverageAtStart: number[];
  loadAverageAtEnd?: number[];
  git: string;
}

function run(cmd: string, args: string[], cwd?: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

const load = () => os.loadavg().map((x) => Math.round(x * 100) / 100);

export function describeMachine(chromiumPath: string, root: string): Machine {
  // /usr/bin/chromium is a wrapper script; its output may carry a shell warning on the first line.
  const chromium =
    run(chromiumPath, ['--version'])
      .split('\n')
      .find((l) => /chrom/i.test(l)) ?? 'unknown';
  const head = run('git', ['rev-parse', '--short', 'HEAD'], root);
  const dirty = run('git', ['status', '--porcelain', '--untracked-files=no'], root);
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    chromium: chromium.trim(),
    os: `${os.type()} ${os.release()}`,
    loadAverageAtStart: load(),
    git: `${head}${dirty && dirty !== 'unknown' ? ' + uncommitted changes' : ''}`,
  };
}

export function finishMachine(m: Machine): void {
  m.loadAverageAtEnd = load();
}

/** One line for logs and the docs table caption. */
export function machineLine(m: Machine): string {
  return (
    `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, Node ${m.node}, ${m.chromium}, ${m.os}, ` +
    `load average ${m.loadAverageAtStart.join(' / ')} (1/5/15 min) at start${m.loadAverageAtEnd ? `, ${m.loadAverageAtEnd.join(' / ')} at end` : ''}; commit ${m.git}`
  );
}
