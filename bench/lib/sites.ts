/**
 * Local sites for the benchmark: five ordinary (non-AI) pages with the sub-resources real pages have
 * (stylesheets, scripts, images, a web font, an iframe, a data fetch, some from a second "CDN"
 * host), and the leak page, which loads a blocked vendor through every resource type a page can use.
 * One plain-HTTP server answers for every site host (mapped to it with --host-resolver-rules).
 */
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { join } from 'node:path';

export const SITE_HOSTS = [
  'news.example',
  'shop.example',
  'docs.example',
  'intranet.example',
  'travel.example',
  'cdn.example',
];

/** The ordinary pages whose load time is compared with and without the extension. */
export const ORDINARY_PAGES = [
  { name: 'news article', url: 'http://news.example/2026/11/markets-close-higher' },
  { name: 'shop catalogue', url: 'http://shop.example/catalogue?page=1' },
  { name: 'documentation', url: 'http://docs.example/guide/getting-started' },
  { name: 'intranet dashboard', url: 'http://intranet.example/dashboard' },
  { name: 'travel booking', url: 'http://travel.example/book' },
];

interface Body {
  status?: number;
  type: string;
  body: string | Buffer;
  headers?: Record<string, string>;
}

export interface SiteServer {
  port: number;
  /** Requests served, by host and path ("news.example/static/app.js"). */
  requests: string[];
  close(): Promise<void>;
}

/** Deterministic filler text, so every run loads the same bytes. */
function words(seed: number, n: number): string {
  const vocab = (
    'market close higher trading session investors bond yield policy office quarter report growth ' +
    'equity index rate central bank outlook client portfolio risk compliance team review budget travel meeting ' +
    'schedule document guide install configure release version update customer order product delivery price'
  ).split(' ');
  let s = seed >>> 0;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out.push(vocab[s % vocab.length]!);
  }
  return out.join(' ');
}

function svg(seed: number, w = 640, h = 360, shapes = 40): string {
  let s = seed >>> 0;
  const rnd = (m: number) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s % m;
  };
  const items = Array.from(
    { length: shapes },
    () =>
      `<rect x="${rnd(w)}" y="${rnd(h)}" width="${20 + rnd(120)}" height="${10 + rnd(80)}" rx="4" fill="hsl(${rnd(360)} 60% ${40 + rnd(40)}%)" opacity="0.8"/>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}"><rect width="100%" height="100%" fill="#f4f6f8"/>${items.join('')}</svg>`;
}

function css(seed: number, rules: number): string {
  return Array.from(
    { length: rules },
    (_, i) =>
      `.c${seed}-${i} { margin: ${i % 7}px ${i % 5}px; padding: ${i % 9}px; color: hsl(${(i * 37) % 360} 40% 30%); border-radius: ${i % 4}px; }\n` +
      `.c${seed}-${i}:hover > a { text-decoration: underline; }`,
  ).join('\n');
}

const BASE_CSS = `${css(1, 150)}
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1d2433; }
header, footer { background: #0b3d91; color: white; padding: 1rem 2rem; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem 2rem; }
img { max-width: 100%; height: auto; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); gap: 1rem; }
table { border-collapse: collapse; width: 100%; } td, th { border-bottom: 1px solid #ddd; padding: .3rem .5rem; }`;

/** A "framework" bundle: ~80 KB of code that runs at load (templates, a virtual list). */
const FRAMEWORK_JS = `(function(){
var templates = ${JSON.stringify(Array.from({ length: 600 }, (_, i) => `<div class="t${i}">${words(i, 12)}</div>`))};
window.render = function (el, n) { var f = document.createDocumentFragment(); for (var i = 0; i < n; i++) { var d = document.createElement('div'); d.innerHTML = templates[i % templates.length]; f.appendChild(d.firstChild); } el.appendChild(f); };
window.hash = function (s) { var h = 0; for (var i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0; return h; };
})();`;

const ANALYTICS_JS = `(function(){ var i = new Image(); i.src = '/collect?p=' + encodeURIComponent(location.pathname) + '&t=' + Date.now(); })();`;

function page(title: string, head: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>${head}</head><body><header><strong>${title}</strong> <nav><a href="/">Home</a> · <a href="/about">About</a> · <a href="/contact">Contact</a></nav></header>
<main>${body}</main><footer>${words(99, 30)}</footer></body></html>`;
}

const FONT_FACE = `<style>@font-face { font-family: "Corp Sans"; src: url(http://cdn.example/fonts/corp-sans.ttf) format("truetype"); font-display: swap; } body { font-family: "Corp Sans", system-ui, sans-serif; }</style>`;

function ordinary(host: string, path: string): string | null {
  const common = `<link rel="stylesheet" href="http://cdn.example/lib/base.css"><script src="http://cdn.example/lib/framework.js"></script>`;
  if (host === 'news.example' && path.startsWith('/2026/')) {
    const paras = Array.from(
      { length: 40 },
      (_, i) =>
        `<p>${words(i + 1, 90)}</p>${i % 7 === 3 ? `<figure><img src="/img/figure-${i}.svg" alt="chart ${i}"><figcaption>${words(i + 500, 10)}</figcaption></figure>` : ''}`,
    );
    return page(
      'Markets close higher',
      `${common}${FONT_FACE}<link rel="stylesheet" href="/static/news.css"><script src="http://cdn.example/lib/analytics.js" async></script>`,
      `<article><h1>Markets close higher as bond yields ease</h1><img src="/img/hero.svg" alt="hero">${paras.join('')}</article><aside id="related"></aside><script src="/static/news.js"></script>`,
    );
  }
  if (host === 'shop.example' && path.startsWith('/catalogue')) {
    const items = Array.from(
      { length: 36 },
      (_, i) =>
        `<div class="card"><img src="/img/product-${i % 12}.svg" alt="product ${i}" width="320" height="180"><h3>${words(i + 40, 3)}</h3><p>${words(i + 80, 20)}</p><button>Add to cart</button></div>`,
    );
    return page(
      'Shop',
      `${common}<link rel="stylesheet" href="/static/shop.css"><link rel="icon" href="/img/icon.png">`,
      `<h1>Catalogue</h1><div class="grid">${items.join('')}</div><script src="/static/shop.js"></script>`,
    );
  }
  if (host === 'docs.example' && path.startsWith('/guide/')) {
    const sections = Array.from(
      { length: 24 },
      (_, i) =>
        `<h2 id="s${i}">${words(i + 7, 4)}</h2><p>${words(i + 200, 70)}</p><pre><code>${Array.from({ length: 12 }, (_, k) => `const value${k} = configure({ office: "HK", retries: ${k}, label: "${words(i * 12 + k, 2)}" });`).join('\n')}</code></pre>`,
    );
    return page(
      'Documentation',
      `${common}${FONT_FACE}<link rel="stylesheet" href="/static/docs.css">`,
      `<nav id="toc"></nav><article>${sections.join('')}</article><script src="/static/highlight.js"></script>`,
    );
  }
  if (host === 'intranet.example' && path === '/dashboard') {
    return page(
      'Intranet',
      `${common}<link rel="stylesheet" href="/static/intranet.css">`,
      `<h1>Team dashboard</h1><div class="grid"><img src="/img/chart-a.svg" alt="a"><img src="/img/chart-b.svg" alt="b"><img src="/img/chart-c.svg" alt="c"></div>` +
        `<table id="rows"><thead><tr><th>Item</th><th>Owner</th><th>Status</th><th>Due</th></tr></thead><tbody></tbody></table>` +
        `<script>window.ROWS = ${JSON.stringify(Array.from({ length: 300 }, (_, i) => [words(i, 4), words(i + 1000, 2), ['open', 'done', 'late'][i % 3], `2026-12-${String(1 + (i % 28)).padStart(2, '0')}`]))};</script><script src="/static/intranet.js"></script>`,
    );
  }
  if (host === 'travel.example' && path === '/book') {
    return page(
      'Book a trip',
      `${common}${FONT_FACE}<link rel="stylesheet" href="/static/travel.css">`,
      `<h1>Book a business trip</h1><img src="/img/hero-travel.svg" alt="hero"><form><label>From <input name="from" value="Hong Kong"></label><label>To <input name="to" value="London"></label>` +
        `<label>Date <input type="date" name="d"></label><select>${Array.from({ length: 50 }, (_, i) => `<option>${words(i, 2)}</option>`).join('')}</select><button>Search</button></form>` +
        `<iframe src="http://cdn.example/widgets/map.html" width="600" height="300" title="map"></iframe><p>${words(3, 200)}</p><script src="/static/travel.js"></script>`,
    );
  }
  return null;
}

/** The page on an ordinary site that tries to reach `vendor` through every resource type. */
export function leakPage(vendorOrigin: string, vendorTlsOrigin: string, prefix: string): string {
  const v = `${vendorOrigin}${prefix}`;
  const vs = `${vendorTlsOrigin}${prefix}`;
  const wsOrigin = vendorOrigin.replace(/^http/, 'ws');
  const wssOrigin = vendorTlsOrigin.replace(/^https/, 'wss');
  return `<!doctype html><html><head><meta charset="utf-8"><title>leak test</title>
<link rel="stylesheet" href="${v}/stylesheet.css">
<link rel="prefetch" href="${v}/prefetch">
<link rel="preload" as="fetch" crossorigin href="${v}/preload">
<link rel="dns-prefetch" href="${vendorOrigin}">
<link rel="preconnect" href="${vendorTlsOrigin}">
<style>@font-face { font-family: Leak; src: url(${v}/font.woff2); } .f { font-family: Leak; } .bg { background-image: url(${v}/css-background.png); }</style>
<script src="${v}/script.js"></script>
</head><body>
<p class="f">font</p><div class="bg">background</div>
<img src="${v}/image.png"><img src="${vs}/image-tls.png">
<iframe src="${v}/sub-frame.html"></iframe>
<object data="${v}/object"></object>
<embed src="${v}/embed">
<video src="${v}/media-video.mp4" preload="auto" muted autoplay></video>
<audio src="${v}/media-audio.mp3" preload="auto"></audio>
<a id="ping" href="#pinged" ping="${v}/ping">ping</a>
<a id="link" href="${v}/nav-link">link</a>
<form id="form" method="post" action="${v}/nav-form-post"><input name="q" value="secret"></form>
<script>
fetch('${v}/fetch', { mode: 'no-cors' }).catch(() => {});
fetch('${vs}/fetch-tls', { mode: 'no-cors', method: 'POST', body: 'client data' }).catch(() => {});
const x = new XMLHttpRequest(); x.open('GET', '${v}/xhr'); x.onerror = () => {}; x.send();
try { new WebSocket('${wsOrigin}${prefix}/websocket'); } catch {}
try { new WebSocket('${wssOrigin}${prefix}/websocket-tls'); } catch {}
navigator.sendBeacon('${v}/beacon', 'client data');
try { new EventSource('${v}/event-source'); } catch {}
import('${v}/module-script.js').catch(() => {});
new Image().src = '${v}/image-js.gif';
document.getElementById('ping').click();
</script></body></html>`;
}

/** Resource-type label of a leak-page request path (the last path segment names it). */
export function leakType(path: string): string {
  const seg = path.split('?')[0]!.split('/').filter(Boolean).at(-1) ?? '';
  return seg.replace(/\.[a-z0-9]+$/, '');
}

/** Every label the leak page and the main-frame navigations use. */
export const LEAK_TYPES = [
  'stylesheet',
  'prefetch',
  'preload',
  'font',
  'css-background',
  'script',
  'image',
  'image-tls',
  'sub-frame',
  'object',
  'embed',
  'media-video',
  'media-audio',
  'ping',
  'fetch',
  'fetch-tls',
  'xhr',
  'websocket',
  'websocket-tls',
  'beacon',
  'event-source',
  'module-script',
  'image-js',
  'csp-report',
  'nav-link',
  'nav-form-post',
  'nav-window-open',
  'nav-location',
  'nav-typed',
  'nav-typed-tls',
  'nav-typed-subdomain',
] as const;

const FONT_PATH = '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf';

export async function startSiteServer(root: string, leak: (prefix: string) => string): Promise<SiteServer> {
  const requests: string[] = [];
  const png = readFileSync(join(root, 'icons/icon-128.png'));
  const font = existsSync(FONT_PATH) ? readFileSync(FONT_PATH) : Buffer.alloc(0);
  const statics: Record<string, Body> = {
    'cdn.example/lib/base.css': { type: 'text/css', body: BASE_CSS },
    'cdn.example/lib/framework.js': { type: 'text/javascript', body: FRAMEWORK_JS },
    'cdn.example/lib/analytics.js': { type: 'text/javascript', body: ANALYTICS_JS },
    'cdn.example/fonts/corp-sans.ttf': {
      type: 'font/ttf',
      body: font,
      headers: { 'access-control-allow-origin': '*' },
    },
    'cdn.example/widgets/map.html': {
      type: 'text/html',
      body: `<!doctype html><html><body style="margin:0"><img src="/widgets/map.svg" alt="map"><script>document.body.dataset.ready = '1';</script></body></html>`,
    },
    'cdn.example/widgets/map.svg': { type: 'image/svg+xml', body: svg(77, 600, 300, 120) },
    'news.example/static/news.css': { type: 'text/css', body: css(2, 120) },
    'news.example/static/news.js': { type: 'text/javascript', body: `render(document.getElementById('related'), 40);` },
    'shop.example/static/shop.css': {
      type: 'text/css',
      body: `${css(3, 200)} .card { border: 1px solid #ddd; padding: .5rem; }`,
    },
    'shop.example/static/shop.js': {
      type: 'text/javascript',
      body: `document.querySelectorAll('.card button').forEach(function (b, i) { b.dataset.sku = String(hash('sku' + i)); b.onclick = function () {}; });`,
    },
    'shop.example/img/icon.png': { type: 'image/png', body: png },
    'docs.example/static/docs.css': {
      type: 'text/css',
      body: `${css(4, 160)} pre { background: #f5f5f5; padding: 1rem; overflow: auto; } .kw { color: #a0f; } .str { color: #080; }`,
    },
    'docs.example/static/highlight.js': {
      type: 'text/javascript',
      body: `(function(){
      var toc = document.getElementById('toc'); document.querySelectorAll('h2').forEach(function (h) { var a = document.createElement('a'); a.href = '#' + h.id; a.textContent = h.textContent; toc.appendChild(a); });
      document.querySelectorAll('pre code').forEach(function (c) { c.innerHTML = c.textContent.replace(/\\b(const|configure)\\b/g, '<span class="kw">$1</span>').replace(/"([^"]*)"/g, '<span class="str">"$1"</span>'); });
    })();`,
    },
    'intranet.example/static/intranet.css': { type: 'text/css', body: css(5, 100) },
    'intranet.example/static/intranet.js': {
      type: 'text/javascript',
      body: `(function(){ var tb = document.querySelector('#rows tbody'); var html = ''; ROWS.forEach(function (r) { html += '<tr><td>' + r.join('</td><td>') + '</td></tr>'; }); tb.innerHTML = html; fetch('/api/summary.json').then(function (r) { return r.json(); }); })();`,
    },
    'intranet.example/api/summary.json': {
      type: 'application/json',
      body: JSON.stringify({ open: 100, done: 100, late: 100 }),
    },
    'travel.example/static/travel.css': { type: 'text/css', body: css(6, 140) },
    'travel.example/static/travel.js': {
      type: 'text/javascript',
      body: `document.querySelector('form').onsubmit = function (e) { e.preventDefault(); }; render(document.body, 20);`,
    },
  };
  const server = http.createServer((req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    const url = new URL(req.url ?? '/', `http://${host}`);
    requests.push(`${host}${url.pathname}`);
    let b: Body | null = statics[`${host}${url.pathname}`] ?? null;
    if (!b && url.pathname.startsWith('/img/') && url.pathname.endsWith('.svg')) {
      const seed = [...url.pathname].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) | 0, 7);
      b = { type: 'image/svg+xml', body: svg(seed, 640, 360, url.pathname.includes('hero') ? 200 : 50) };
    }
    if (!b && url.pathname === '/collect')
      b = { type: 'image/gif', body: Buffer.from('R0lGODlhAQABAAAAACw=', 'base64') };
    if (!b && host === 'news.example' && url.pathname === '/leak') {
      b = {
        type: 'text/html; charset=utf-8',
        body: leak(url.searchParams.get('prefix') ?? '/x'),
        headers: {
          'content-security-policy-report-only': `img-src 'none'; report-uri ${url.searchParams.get('report') ?? ''}`,
        },
      };
    }
    if (!b) {
      const html = ordinary(host, url.pathname);
      if (html) b = { type: 'text/html; charset=utf-8', body: html };
    }
    b ??= { status: 404, type: 'text/plain', body: 'not found' };
    res.writeHead(b.status ?? 200, { 'content-type': b.type, 'cache-control': 'no-store', ...b.headers });
    res.end(b.body);
  });
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    requests,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
