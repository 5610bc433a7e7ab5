import { describe, expect, it } from 'vitest';
import { runCli, runInProcess, SUBPROCESS_TIMEOUT } from './test-helpers.ts';

const COMMANDS = ['keygen', 'lint', 'sign', 'cosign', 'verify', 'explain', 'diff', 'deploy-config', 'sign-exception'];

describe('usage', { timeout: SUBPROCESS_TIMEOUT }, () => {
  it('every command has --help (exit 0, usage on stdout)', async () => {
    const runs = await Promise.all(COMMANDS.map((c) => runInProcess([c, '--help'])));
    runs.forEach((r, i) => {
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: ai-geofence ${COMMANDS[i]}`));
      expect(r.stdout).toMatch(/Exit codes/);
    });
  });

  it('the installed bin prints the top-level help listing every command', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toContain(`  ${c} `);
  });

  it.each([
    [['frobnicate'], /unknown command "frobnicate"/],
    [[], /missing command/],
    [['verify', 'x.jws', '--keys', 'k.json', '--colour'], /unknown flag --colour for "verify"/],
    [['keygen', '--kid'], /--kid needs a value/],
    [['verify', 'x.jws', '--keys', 'k.json', '--threshold', 'two'], /--threshold must be a whole number/],
    [['deploy-config', '--format', 'chrome-linux'], /needs --office/],
  ])('%j is a usage error: exit 2, one line on stderr', async (args, message) => {
    const r = await runInProcess(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('the bin turns a usage error into exit 2 with nothing on stdout', async () => {
    const r = await runCli(['explain', '--office']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^ai-geofence: --office needs a value/);
  });
});
