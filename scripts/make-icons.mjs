#!/usr/bin/env node
// Renders the toolbar and store icons into icons/ from one SVG drawing, with headless Chromium
// (transparent background, exact pixel sizes). Run after changing the drawing:
//   node scripts/make-icons.mjs
// The PNGs are committed, so a build never needs a browser.
import { chromium } from '@playwright/test';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'icons');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The product mark: a shield with a globe, on a 128-unit grid; fewer, thicker lines when small. */
function mark(size) {
  const fine = size >= 48;
  const shield = 'M64 5 113 21.5V57c0 31.5-20.5 55.5-49 65.5C35.5 112.5 15 88.5 15 57V21.5Z';
  // Small sizes get thicker lines and fewer of them, so 16 px stays crisp.
  const globe = fine
    ? `<circle cx="64" cy="60" r="29" fill="none" stroke="#fff" stroke-width="6"/>
       <ellipse cx="64" cy="60" rx="12.5" ry="29" fill="none" stroke="#fff" stroke-width="5"/>
       <path d="M35 60h58M39.5 45h49M39.5 75h49" fill="none" stroke="#fff" stroke-width="4.5"/>`
    : size >= 32
      ? `<circle cx="64" cy="60" r="29" fill="none" stroke="#fff" stroke-width="8"/>
       <ellipse cx="64" cy="60" rx="12" ry="29" fill="none" stroke="#fff" stroke-width="7"/>
       <path d="M35 60h58" fill="none" stroke="#fff" stroke-width="7"/>`
      : `<circle cx="64" cy="60" r="30" fill="none" stroke="#fff" stroke-width="11"/>
       <path d="M64 30v60M34 60h60" fill="none" stroke="#fff" stroke-width="10"/>`;
  return `
    <defs>
      <linearGradient id="g" x1="0" y1="0" x2="0" y2="1">
        <stop offset="0" stop-color="#3a7bff"/>
        <stop offset="1" stop-color="#1a3fb0"/>
      </linearGradient>
    </defs>
    <path d="${shield}" fill="url(#g)" stroke="#10307f" stroke-width="${fine ? 3 : 5}" stroke-linejoin="round"/>
    ${fine ? `<path d="M64 12 106 26.2V57c0 27.7-17.6 48.9-42 58" fill="none" stroke="#fff" stroke-opacity=".18" stroke-width="3"/>` : ''}
    ${globe}`;
}

/** State badges, bottom-right: a shape per state, so colour is not the only cue. */
const BADGES = {
  blocked: { color: '#d93025', glyph: '<rect x="82" y="91" width="32" height="10" rx="2" fill="#fff"/>' },
  warned: {
    color: '#f29900',
    glyph:
      '<rect x="92" y="75" width="8" height="20" rx="2" fill="#202124"/><circle cx="96" cy="105" r="5" fill="#202124"/>',
  },
  monitored: {
    color: '#12858f',
    glyph:
      '<circle cx="96" cy="96" r="11" fill="none" stroke="#fff" stroke-width="5"/><circle cx="96" cy="96" r="4.5" fill="#fff"/>',
    small: '<circle cx="96" cy="96" r="11" fill="#fff"/>',
  },
  // No valid policy (fail-closed): AI tools are paused.
  paused: {
    color: '#5f6368',
    glyph:
      '<rect x="85" y="83" width="8" height="26" rx="2" fill="#fff"/><rect x="99" y="83" width="8" height="26" rx="2" fill="#fff"/>',
  },
};

function badge(state, size) {
  const b = BADGES[state];
  const glyph = size < 32 && b.small ? b.small : b.glyph;
  return `<circle cx="96" cy="96" r="32" fill="#fff"/><circle cx="96" cy="96" r="26.5" fill="${b.color}"/>${glyph}`;
}

function svg(size, { state = null, store = false } = {}) {
  // Store listing icon: 96 px of art inside 128 px, as the Chrome Web Store asks.
  const art = store
    ? `<g transform="translate(16 16) scale(0.75)">${mark(128)}</g>`
    : `${mark(size)}${state ? badge(state, size) : ''}`;
  const glow = store
    ? '<filter id="s" x="-20%" y="-20%" width="140%" height="140%"><feDropShadow dx="0" dy="2" stdDeviation="2.5" flood-color="#000" flood-opacity=".3"/></filter>'
    : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 128 128">${glow}<g${store ? ' filter="url(#s)"' : ''}>${art}</g></svg>`;
}

const JOBS = [
  ...[16, 32, 48, 128].map((size) => ({ file: `icon-${size}.png`, size })),
  ...Object.keys(BADGES).flatMap((state) => [16, 32].map((size) => ({ file: `${state}-${size}.png`, size, state }))),
  { file: 'store-128.png', size: 128, store: true },
];

await mkdir(OUT, { recursive: true });
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--no-sandbox', '--disable-gpu', '--headless'],
});
try {
  const page = await browser.newPage({ deviceScaleFactor: 1 });
  for (const job of JOBS) {
    await page.setViewportSize({ width: job.size, height: job.size });
    await page.setContent(`<html><body style="margin:0;background:transparent">${svg(job.size, job)}</body></html>`);
    await page.screenshot({
      path: join(OUT, job.file),
      omitBackground: true,
      clip: { x: 0, y: 0, width: job.size, height: job.size },
    });
    console.log(`icons/${job.file}`);
  }
} finally {
  await browser.close();
}
