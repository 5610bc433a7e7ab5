/** Helpers for the CLI tests: run the real `bin/ai-geofence.mjs` as a subprocess. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const BIN = join(REPO_ROOT, 'bin', 'ai-geofence.mjs');
export const EXAMPLE_POLICY = join(REPO_ROOT, 'examples', 'policy.json');
export const EXAMPLE_JWS = join(REPO_ROOT, 'examples', 'policy.jws');
export const EXAMPLE_TRUSTED = join(REPO_ROOT, 'examples', 'keys', 'trusted.json');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the CLI with `args` in `cwd`; never rejects on a non-zero exit. */
export function runCli(args: string[], cwd = REPO_ROOT): Promise<CliRun> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

/** A fresh temporary directory and its cleanup. */
export function makeTempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `ai-geofence-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Run `main` in this process (for the fast argument-validation matrices); same result shape. */
export async function runInProcess(args: string[]): Promise<CliRun> {
  const { main } = await import('./index.ts');
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    out: (t) => void (stdout += t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => void (stderr += t.endsWith('\n') ? t : `${t}\n`),
  });
  return { code, stdout, stderr };
}

/** Per-test timeout for subprocess tests: generous, because CI machines are often oversubscribed. */
export const SUBPROCESS_TIMEOUT = 20_000;
