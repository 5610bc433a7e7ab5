/**
 * Local servers for the end-to-end tests, the demo and the benchmarks: one port that speaks HTTP
 * and HTTPS (vendor hosts are mapped to it with Chromium's --host-resolver-rules; HSTS-preloaded
 * hosts such as chatgpt.com only work over HTTPS), recording every request it sees.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';

export interface RecordedRequest {
  host: string;
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  secure: boolean;
}

export interface Served {
  status?: number;
  /** Text, or bytes (a packed extension). */
  body: string | Uint8Array;
  type?: string;
  headers?: Record<string, string>;
  /** Delay before answering (ms). */
  delayMs?: number;
}

export type Route = (req: http.IncomingMessage, url: URL) => Served | Promise<Served> | undefined;

export interface TestServer {
  port: number;
  requests: RecordedRequest[];
  /** Requests whose Host header is (a subdomain of) one of `domains`. */
  requestsFor(...domains: string[]): RecordedRequest[];
  route(r: Route): void;
  close(): Promise<void>;
}

let certCache: { key: string; cert: string } | null = null;

/** A self-signed certificate for the vendor hosts (Chromium runs with --ignore-certificate-errors). */
function testCertificate(): { key: string; cert: string } {
  if (certCache) return certCache;
  const dir = mkdtempSync(join(tmpdir(), 'aig-cert-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=ai-geofence-test',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  certCache = { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  rmSync(dir, { recursive: true, force: true });
  return certCache;
}

/** One port serving HTTP and HTTPS (peeking at the first byte: 0x16 starts a TLS handshake). */
export async function startServer(fallback?: Route): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const routes: Route[] = [];
  const handler = async (req: http.IncomingMessage, res: http.ServerResponse, secure: boolean) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    requests.push({ host, method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, secure });
    const url = new URL(req.url ?? '/', `${secure ? 'https' : 'http'}://${host || 'localhost'}`);
    let served: Served | undefined;
    for (const r of [...routes].reverse()) {
      served = await r(req, url);
      if (served) break;
    }
    served ??= fallback ? await fallback(req, url) : undefined;
    served ??= { status: 404, body: 'not found' };
    const { delayMs } = served;
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    res.writeHead(served.status ?? 200, {
      'content-type': served.type ?? 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      ...served.headers,
    });
    res.end(served.body);
  };
  const plain = http.createServer((q, s) => void handler(q, s, false));
  const tls = https.createServer(testCertificate(), (q, s) => void handler(q, s, true));
  // A WebSocket handshake arrives as an upgrade, not a request: record it (headers and all) and
  // close, so tests see what reached the vendor on every request type.
  const upgrade = (secure: boolean) => (req: http.IncomingMessage, socket: net.Socket | Duplex) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    requests.push({ host, method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, secure });
    socket.destroy();
  };
  plain.on('upgrade', upgrade(false));
  tls.on('upgrade', upgrade(true));
  const sockets = new Set<net.Socket>();
  const front = net.createServer({ pauseOnConnect: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    // Read the first byte in paused mode, put it back, then hand the socket to the right server.
    socket.once('readable', () => {
      const first: Buffer | null = socket.read(1);
      if (!first) return void socket.destroy();
      socket.unshift(first);
      (first[0] === 0x16 ? tls : plain).emit('connection', socket);
    });
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  const port = (front.address() as net.AddressInfo).port;
  return {
    port,
    requests,
    requestsFor: (...domains) => requests.filter((q) => domains.some((d) => q.host === d || q.host.endsWith(`.${d}`))),
    route: (r) => void routes.push(r),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => front.close(() => r()));
      plain.close();
      tls.close();
    },
  };
}

/** A fake vendor site: every host answers with a small page naming itself. */
export function vendorPage(_req: http.IncomingMessage, url: URL): Served {
  return {
    body: `<!doctype html><html><head><title>${url.hostname}</title></head><body><h1 id="vendor">Vendor page ${url.hostname}${url.pathname}</h1></body></html>`,
  };
}

/** The host of the fake AI assistant that no policy or catalogue lists (demo, e2e). */
export const UNLISTED_AI_HOST = 'chat.novaai.example';

/**
 * A fake AI assistant that no policy lists: an AI name, and a prompt box with a send button that
 * the app renders a moment after load (as chat apps do) — what the discovery detector looks for.
 */
export const UNLISTED_AI_PAGE = `<!doctype html><html><head><title>NovaChat — your AI assistant</title>
<meta property="og:site_name" content="NovaChat"></head>
<body><main><h1 id="vendor">NovaChat</h1><div id="app"></div></main>
<script>setTimeout(() => { document.getElementById('app').innerHTML =
  '<textarea placeholder="Ask NovaChat anything" rows="4"></textarea><button aria-label="Send message">➤</button>'; }, 300);</script>
</body></html>`;
