#!/usr/bin/env node
// Builds the unpacked extensions: dist/chrome/ and dist/firefox/, paths tests and the README rely on.
// One explicit entry table, one loop over target browsers, one base manifest with small patches.
import { build } from 'esbuild';
import { cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(fileURLToPath(import.meta.url));

/** name → source entry; UI entries also have an index.html beside them. */
export const ENTRIES = {
  background: { src: 'src/background/index.ts' },
  content: { src: 'src/content/banner.ts' },
  guard: { src: 'src/content/guard.ts' },
  models: { src: 'src/content/models.ts' },
  discovery: { src: 'src/content/discovery.ts' },
  popup: { src: 'src/popup/index.tsx', html: 'src/popup/index.html' },
  block: { src: 'src/pages/block/index.tsx', html: 'src/pages/block/index.html' },
  warn: { src: 'src/pages/warn/index.tsx', html: 'src/pages/warn/index.html' },
  'embedded-block': { src: 'src/pages/embedded-block/index.ts', html: 'src/pages/embedded-block/index.html' },
  preview: { src: 'src/pages/preview/index.tsx', html: 'src/pages/preview/index.html' },
};

const SELF_CONTAINED = ['background', 'content', 'embedded-block', 'guard', 'models', 'discovery'];
/**
 * Content scripts share a frame's isolated world with each other (the guard runs beside the
 * banner script, and is re-injected into open tabs): as classic scripts their top-level names would
 * be global and clash, so they are wrapped in an IIFE.
 */
const IIFE = ['content', 'guard', 'models', 'discovery'];
const SPLIT = ['popup', 'block', 'warn', 'preview'];

export const BROWSERS = ['chrome', 'firefox'];

const TARGETS = { chrome: ['chrome120'], firefox: ['firefox140'] };

/** Bundle a TypeScript module for Node and import it (build-time constants such as the manifest key). */
export async function importTs(path) {
  const out = await build({
    entryPoints: [join(ROOT, path)],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    logLevel: 'silent',
  });
  const code = out.outputFiles[0].text;
  return import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
}

/**
 * The catalogue's sources (a URL and a date for every domain and attribute) are for reviewers, not
 * for enforcement: keep them out of the service worker. Tests and the CLI read the file whole.
 */
export function stripCatalogue(text) {
  const data = JSON.parse(text);
  const tools = {};
  for (const [id, { sources: _sources, ...tool }] of Object.entries(data.tools)) tools[id] = tool;
  return JSON.stringify({ updated: data.updated, tools });
}

const STRIP_CATALOGUE = {
  name: 'strip-catalogue-sources',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]core[\\/]catalogue\.json$/ }, async (args) => ({
      contents: stripCatalogue(await readFile(args.path, 'utf8')),
      loader: 'json',
    }));
  },
};

/** The chunks `entryFile` imports statically, directly or not, as paths relative to `out`. */
function staticChunks(metafile, out, entryFile) {
  const rel = (p) => relative(out, resolve(ROOT, p)).split(sep).join('/');
  const byRel = new Map(Object.entries(metafile.outputs).map(([p, o]) => [rel(p), o]));
  const seen = new Set();
  const visit = (file) => {
    for (const imp of byRel.get(file)?.imports ?? []) {
      const target = rel(imp.path);
      if (imp.kind !== 'import-statement' || seen.has(target)) continue;
      seen.add(target);
      visit(target);
    }
  };
  visit(entryFile);
  return [...seen];
}

async function exists(p) {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** The per-browser manifest, derived from the one source manifest.json. */
export async function manifestFor(browser) {
  const base = JSON.parse(await readFile(join(ROOT, 'manifest.json'), 'utf8'));
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
  const { MANIFEST_KEY, GECKO_ID } = await importTs('src/core/config/identity.ts');
  const m = { ...base, version: pkg.version };
  if (await exists(join(ROOT, 'static/_locales/en/messages.json'))) {
    const en = JSON.parse(await readFile(join(ROOT, 'static/_locales/en/messages.json'), 'utf8'));
    if (en.extName && en.extDescription)
      Object.assign(m, { name: '__MSG_extName__', description: '__MSG_extDescription__', default_locale: 'en' });
    else m.default_locale = 'en';
  }
  if (browser === 'chrome') {
    // A fixed key gives a stable extension ID, so IT can address it in enterprise policy.
    m.key = MANIFEST_KEY;
  } else {
    delete m.minimum_chrome_version;
    // Firefox MV3 runs background scripts (event page), not a service worker.
    m.background = { scripts: ['background.js'], type: 'module' };
    m.browser_specific_settings = {
      gecko: {
        id: GECKO_ID,
        // 140 (an ESR) is the first Firefox that knows data_collection_permissions; web-ext lint
        // warns for anything lower. Every other API we use (DNR redirects, storage.managed from
        // policies.json, scripting.registerContentScripts) is older.
        strict_min_version: '140.0',
        // Audit events (AI-site visits) go to the employer's own collector.
        data_collection_permissions: { required: ['browsingActivity'] },
      },
      // Firefox for Android learnt data_collection_permissions in 142; it has no policies.json,
      // so it is not a deployment target, but the minimum keeps AMO's validator honest.
      gecko_android: { strict_min_version: '142.0' },
    };
  }
  return m;
}

/**
 * Build one browser's unpacked extension into dist/<browser>/. With `demoConfig` (the demo on a
 * machine without root, see src/platform/demo-build.ts): into dist/demo-<browser>/, with that managed
 * configuration bundled and the name saying so. Every other build defines it as null.
 */
export async function buildBrowser(browser, { minify = true, demoConfig = null, outDir = null } = {}) {
  const out = outDir ?? join(ROOT, 'dist', demoConfig ? `demo-${browser}` : browser);
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const common = {
    outdir: out,
    bundle: true,
    format: 'esm',
    minify,
    target: TARGETS[browser],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    charset: 'utf8',
    define: { __BROWSER__: JSON.stringify(browser), __DEMO_CONFIG__: JSON.stringify(demoConfig) },
    logLevel: 'warning',
    plugins: [STRIP_CATALOGUE],
    absWorkingDir: ROOT,
  };
  // Worker and content script: self-contained files (a content script cannot import chunks).
  // Pages and popup: code-split, so preact and the shared UI are loaded once, not three times.
  const groups = [
    [SELF_CONTAINED.filter((n) => !IIFE.includes(n)), {}],
    [IIFE, { format: 'iife' }],
    [SPLIT, { splitting: true, chunkNames: 'chunks/[name]-[hash]', metafile: true }],
  ];
  let chunksOf = () => [];
  for (const [names, extra] of groups) {
    const entryPoints = {};
    for (const name of names)
      if (await exists(join(ROOT, ENTRIES[name].src))) entryPoints[name] = join(ROOT, ENTRIES[name].src);
    if (!Object.keys(entryPoints).length) continue;
    const result = await build({ ...common, ...extra, entryPoints });
    if (result.metafile) chunksOf = (name) => staticChunks(result.metafile, out, `${name}.js`);
  }
  for (const [name, e] of Object.entries(ENTRIES)) {
    if (!e.html || !(await exists(join(ROOT, e.html)))) continue;
    // Every chunk the entry imports is announced up front: the browser fetches them in parallel with
    // the entry instead of one import level after another (the block page paints sooner).
    const preload = chunksOf(name)
      .map((c) => `<link rel="modulepreload" href="${c}" />`)
      .join('\n    ');
    const html = await readFile(join(ROOT, e.html), 'utf8');
    await writeFile(
      join(out, `${name}.html`),
      preload ? html.replace(/^(\s*)<script type="module"/m, `$1${preload}\n$1<script type="module"`) : html,
    );
  }
  if (await exists(join(ROOT, 'static'))) await cp(join(ROOT, 'static'), out, { recursive: true });
  if (await exists(join(ROOT, 'icons'))) await cp(join(ROOT, 'icons'), join(out, 'icons'), { recursive: true });
  const manifest = await manifestFor(browser);
  // chrome://extensions must never let anyone mistake the demo build for the product.
  if (demoConfig)
    Object.assign(manifest, {
      name: 'AI Geofence (demo build: bundled configuration)',
      description:
        'Demo build of AI Geofence: configured from a bundled file, not by enterprise policy. Not for deployment.',
    });
  await writeFile(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const only = process.argv.slice(2).filter((a) => BROWSERS.includes(a));
  const demoAt = process.argv.indexOf('--demo-config');
  const demoConfig = demoAt > 0 ? JSON.parse(await readFile(process.argv[demoAt + 1], 'utf8')) : null;
  for (const b of only.length ? only : BROWSERS) {
    const out = await buildBrowser(b, { minify: !process.argv.includes('--dev'), demoConfig });
    console.log(`built ${b} → ${out}`);
  }
}
