/**
 * `npm start` where the enterprise policy directory cannot be written (no root): the demo falls back
 * to the demo build, whose configuration is bundled, and still tours the example's sites headless.
 * (CI runs `npm start` as root too, which covers the enterprise-policy path.)
 */
import { expect, test } from '@playwright/test';
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './harness.ts';

/** Run the demo to its end; its output and exit code. */
function runDemo(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts/run-ts.mjs'), join(ROOT, 'scripts/demo.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, DISPLAY: '', WAYLAND_DISPLAY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, out }));
  });
}

test('without the policy file, npm start runs the labelled demo build and enforces the example', async () => {
  // The demo gives up after 2 minutes with its own reason; let that reason reach the report.
  test.setTimeout(180_000);
  const shots = join(ROOT, 'demo-output');
  rmSync(shots, { recursive: true, force: true });
  const { code, out } = await runDemo(['--bundled-config', '--headless']);
  expect(code, out).toBe(0);
  expect(out).toContain('using the demo build dist/demo-chrome/');
  expect(out).not.toContain('MISMATCH');
  // Office names may be language maps in the policy; the terminal names the office in English.
  expect(out).toContain('enforced for Hong Kong (HK)');
  expect(out).not.toContain('[object Object]');
  // One line per site: URL → what the browser did → the deciding rule.
  expect(out).toMatch(/^https:\/\/claude\.ai\/ → block → HK-ANTHROPIC-2026-11$/m);
  expect(out).toMatch(/^https:\/\/\S+ → warn → \S+$/m);
  expect(out).toMatch(/^https:\/\/llm\.bank\.example\/ → allow → /m);
  for (const png of ['block-page.png', 'warn-page.png', 'popup.png'])
    expect(existsSync(join(shots, png)), png).toBe(true);
  const manifest = (await import(join(ROOT, 'dist/demo-chrome/manifest.json'), { with: { type: 'json' } })).default as {
    name: string;
  };
  expect(manifest.name).toMatch(/demo build/);
});
