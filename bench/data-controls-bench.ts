/**
 * What the data-controls guard costs a paste (docs/data-controls.md#cost): 100 KB (and 1 MB, the scan cap) of text,
 * three patterns, in real Chromium. Two pages, one without the guard and one with it, paste the
 * same text alternately in one run. "Added" is the difference in the paste event's dispatch time
 * (the guard's listener is all that differs); "ratio" is (paste + added) / paste, where "paste" is
 * the whole paste without the guard: event plus inserting the text into a textarea. The whole-paste
 * columns are shown too; inserting 100 KB into a textarea varies by more than the guard costs.
 * Also the pure scanText in Node.
 *
 *   npm run bench:data-controls            (node scripts/run-ts.mjs bench/data-controls-bench.ts)
 *
 * The guard is the real src/content/guard.ts, bundled as the build bundles it, with a stub in
 * place of the extension's messaging that answers with the controls below. Pastes are synthetic
 * ClipboardEvents followed by the insertion a real paste performs (execCommand('insertText')).
 * Takes the machine's browser lock so that an e2e run does not share the two cores meanwhile.
 */
import { chromium, type Browser, type Page } from '@playwright/test';
import { build } from 'esbuild';
import os from 'node:os';
import { resolve } from 'node:path';
import { compilePatterns, scanText } from '../src/core/decide/data-controls.ts';
import type { DataControls } from '../src/core/policy/policy-schema.ts';
import { acquireBrowserLock, releaseBrowserLock } from '../scripts/lib/browser-lock.ts';

const ROOT = resolve(import.meta.dirname, '..');
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const RUNS = 40;

const CONTROLS: DataControls = {
  paste: 'allow',
  upload: 'block',
  sensitive: 'block',
  patterns: [
    { name: 'client account', regex: '\\bHC\\d{8}\\b', min: 1 },
    { name: 'email', regex: '[\\w.+-]+@[\\w-]+\\.[\\w.]+', min: 3 },
    { name: 'card number', regex: '\\b(?:\\d[ -]?){13,16}\\b', min: 1 },
  ],
};

/** Prose with digits, at-signs and words, but nothing that reaches a pattern's min: the paste goes through. */
function sampleText(chars: number): string {
  const line =
    'Quarterly review 2026: revenue grew 4.2% to 118 million (ref HC-2291); ask the desk, 555 0142, for the deck. ';
  return line.repeat(Math.ceil(chars / line.length)).slice(0, chars);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function bundleGuard(): Promise<string> {
  const out = await build({
    entryPoints: [resolve(ROOT, 'src/content/guard.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    minify: true,
    target: 'chrome120',
    logLevel: 'silent',
    define: { __BROWSER__: '"chrome"', __DEMO_CONFIG__: 'null' },
  });
  return out.outputFiles[0]!.text;
}

function nodeScan(chars: number, runs = RUNS): number {
  const { patterns } = compilePatterns(CONTROLS.patterns);
  const text = sampleText(chars);
  for (let i = 0; i < 5; i++) scanText(text, patterns); // JIT warm-up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = scanText(text, patterns, { budgetMs: Infinity }); // the raw cost, not cut short by the budget
    times.push(performance.now() - t0);
    if (!r.complete || r.hits.length) throw new Error('the sample text must scan completely and match nothing');
  }
  return median(times);
}

/** One paste of `text` in the page: ms for the paste event's dispatch alone, and for the whole paste (dispatch + insertion). */
async function pasteOnce(page: Page, text: string): Promise<{ dispatch: number; paste: number }> {
  return page.evaluate((text) => {
    const box = document.getElementById('box') as HTMLTextAreaElement;
    box.value = '';
    box.focus();
    const data = new DataTransfer();
    data.setData('text/plain', text);
    const ev = new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true, composed: true });
    const t0 = performance.now();
    box.dispatchEvent(ev);
    const t1 = performance.now();
    // A synthetic paste has no default action: do what the browser does for a real one.
    if (!ev.defaultPrevented) document.execCommand('insertText', false, text);
    const t2 = performance.now();
    if (box.value.length !== text.length)
      throw new Error(
        `the paste did not land (${box.value.length} of ${text.length} chars; cancelled: ${ev.defaultPrevented})`,
      );
    return { dispatch: t1 - t0, paste: t2 - t0 };
  }, text);
}

async function chatPage(browser: Browser, guard: string | null): Promise<Page> {
  const page = await browser.newPage();
  await page.setContent('<!doctype html><textarea id="box"></textarea>');
  if (guard) {
    // The guard as a content script sees it: an extension API whose worker answers (in its
    // envelope, src/platform/browser.ts) with this rule's controls.
    await page.evaluate((controls) => {
      (globalThis as { browser?: unknown }).browser = {
        runtime: {
          id: 'bench',
          sendMessage: async (m: { type: string }) => {
            if (m.type !== 'get-data-controls') return { value: { ok: true } };
            // Seen by the wait below: the guard has its controls once this answer has been taken.
            setTimeout(() => Object.assign(globalThis, { benchControlsAnswered: true }));
            return { value: { ruleId: 'BENCH', controls } };
          },
        },
        i18n: { getMessage: () => '' },
      };
    }, CONTROLS);
    await page.addScriptTag({ content: guard });
    await page.waitForFunction(
      () => (globalThis as { benchControlsAnswered?: boolean }).benchControlsAnswered === true,
    );
  }
  return page;
}

async function main(): Promise<void> {
  const guard = await bundleGuard();
  console.log(`guard.js (minified, as built): ${guard.length} bytes`);
  await acquireBrowserLock(30 * 60_000, () =>
    console.log('waiting for another browser run on this machine to finish…'),
  );
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu'],
  });
  try {
    const rows: string[][] = [];
    for (const [chars, runs] of [
      [100_000, RUNS],
      [1_000_000, 12],
    ] as const) {
      const text = sampleText(chars);
      const plain = await chatPage(browser, null);
      const guarded = await chatPage(browser, guard);
      const without: { dispatch: number; paste: number }[] = [];
      const withGuard: { dispatch: number; paste: number }[] = [];
      // Alternating, after a warm-up, so that drift on a shared machine hits both sides alike.
      for (let i = 0; i < runs + 3; i++) {
        const a = await pasteOnce(plain, text);
        const b = await pasteOnce(guarded, text);
        if (i < 3) continue;
        without.push(a);
        withGuard.push(b);
      }
      await plain.close();
      await guarded.close();
      const m = (xs: { dispatch: number; paste: number }[], k: 'dispatch' | 'paste') => median(xs.map((x) => x[k]));
      const added = m(withGuard, 'dispatch') - m(without, 'dispatch');
      const base = m(without, 'paste');
      rows.push([
        `${chars / 1000} KB`,
        String(runs),
        base.toFixed(1),
        m(withGuard, 'paste').toFixed(1),
        added.toFixed(2),
        ((base + added) / base).toFixed(3),
        nodeScan(chars).toFixed(2),
      ]);
    }
    const head = [
      'paste',
      'runs',
      'paste without guard (ms)',
      'paste with guard (ms)',
      'added by the guard (ms)',
      'ratio',
      'scanText in Node (ms)',
    ];
    console.log(
      `\n${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, Node ${process.version}, Chromium ${browser.version()}; 3 patterns; medians\n`,
    );
    console.log(`| ${head.join(' | ')} |\n|${head.map(() => ' --- ').join('|')}|`);
    for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  } finally {
    await browser.close();
    releaseBrowserLock();
  }
}

await main();
