/**
 * The block, warn and popup pages announce every chunk their script imports (modulepreload), so the
 * browser fetches them together with the entry instead of one import level after another.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BUILD = pathToFileURL(resolve(import.meta.dirname, '../../build.mjs')).href;
const { buildBrowser } = (await import(BUILD)) as {
  buildBrowser(browser: string, opts: { outDir: string }): Promise<string>;
};

const out = mkdtempSync(join(tmpdir(), 'ai-geofence-preload-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Every chunk a module imports statically, followed through the chunks, as written in the HTML. */
function importedChunks(file: string, seen = new Set<string>()): Set<string> {
  const code = readFileSync(join(out, file), 'utf8');
  for (const m of code.matchAll(/(?:import|from)\s*"\.{1,2}\/((?:chunks\/)?[\w-]+\.js)"/g)) {
    const chunk = m[1]!.startsWith('chunks/') ? m[1]! : `chunks/${m[1]}`;
    if (seen.has(chunk)) continue;
    seen.add(chunk);
    importedChunks(chunk, seen);
  }
  return seen;
}

describe('built pages', () => {
  it('preload exactly the chunks their script imports, before the script', async () => {
    await buildBrowser('chrome', { outDir: out });
    for (const page of ['block', 'warn', 'popup']) {
      const html = readFileSync(join(out, `${page}.html`), 'utf8');
      const preloaded = [...html.matchAll(/<link rel="modulepreload" href="([^"]+)" \/>/g)].map((m) => m[1]);
      expect(preloaded.length, page).toBeGreaterThan(0);
      expect(new Set(preloaded), page).toEqual(importedChunks(`${page}.js`));
      expect(html.indexOf('modulepreload'), page).toBeLessThan(html.indexOf(`<script type="module" src="${page}.js">`));
    }
  }, 60_000);
});
