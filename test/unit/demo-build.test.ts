/**
 * The demo build bundles a managed configuration for `npm start` without root; a release build must
 * hold neither that configuration nor the code that would read it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

type BuildBrowser = (browser: 'chrome', options: { demoConfig?: object | null; outDir: string }) => Promise<string>;
// build.mjs is plain ESM without declarations; a computed specifier keeps TypeScript out of it.
const BUILD = pathToFileURL(resolve(import.meta.dirname, '../../build.mjs')).href;
const { buildBrowser } = (await import(BUILD)) as { buildBrowser: BuildBrowser };

const MARKER_URL = 'http://127.0.0.1:9/demo-marker-policy.jws';
const LABEL = 'not by enterprise policy';
const tmp = mkdtempSync(join(tmpdir(), 'ai-geofence-demo-build-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Every script of an unpacked build, concatenated. */
function scripts(dir: string): string {
  const files = [
    ...readdirSync(dir).map((f) => join(dir, f)),
    ...readdirSync(join(dir, 'chunks')).map((f) => join(dir, 'chunks', f)),
  ];
  return files
    .filter((f) => f.endsWith('.js'))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
}

describe('demo build', () => {
  it('bundles the configuration, labels itself, and the release build holds neither', async () => {
    const demo = await buildBrowser('chrome', {
      demoConfig: { office: 'HK', policyUrl: MARKER_URL, trustedKeys: [] },
      outDir: join(tmp, 'demo'),
    });
    const release = await buildBrowser('chrome', { outDir: join(tmp, 'release') });

    const demoCode = scripts(demo);
    expect(demoCode).toContain(MARKER_URL);
    expect(demoCode).toContain(LABEL);
    expect(JSON.parse(readFileSync(join(demo, 'manifest.json'), 'utf8')).name).toMatch(/demo build/);

    const releaseCode = scripts(release);
    expect(releaseCode).not.toContain(MARKER_URL);
    expect(releaseCode).not.toContain(LABEL);
    expect(JSON.parse(readFileSync(join(release, 'manifest.json'), 'utf8')).name).not.toMatch(/demo/);
  }, 60_000);
});
