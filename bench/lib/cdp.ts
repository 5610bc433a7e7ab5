/**
 * A minimal Chrome DevTools Protocol client for the one thing Playwright does not expose: a session
 * on the extension's service worker (Playwright's `Worker` has evaluate() only; newCDPSession takes
 * pages and frames). Chromium is launched with --remote-debugging-port=0 next to Playwright's pipe;
 * the port is read from DevToolsActivePort and the worker's target from /json/list.
 * Needs a global WebSocket: Node 20 has it behind --experimental-websocket (the npm script passes it).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CdpSession {
  send<T = Record<string, unknown>>(method: string, params?: Record<string, unknown>): Promise<T>;
  close(): void;
}

interface TargetInfo {
  type: string;
  url: string;
  webSocketDebuggerUrl?: string;
}

export function cdpAvailable(): boolean {
  return typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function';
}

/** The DevTools HTTP port of a browser started with --remote-debugging-port=0. */
export function devtoolsPort(userDataDir: string): number {
  return Number(readFileSync(join(userDataDir, 'DevToolsActivePort'), 'utf8').split('\n')[0]);
}

/** Open a CDP session on the first target whose type and URL match. */
export async function connectToTarget(port: number, type: string, urlPrefix: string): Promise<CdpSession> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as TargetInfo[];
  const target = targets.find((t) => t.type === type && t.url.startsWith(urlPrefix));
  if (!target?.webSocketDebuggerUrl)
    throw new Error(
      `no ${type} target at ${urlPrefix} (found: ${targets.map((t) => `${t.type} ${t.url}`).join(', ')})`,
    );
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', () => reject(new Error(`cannot connect to ${target.webSocketDebuggerUrl}`)), {
      once: true,
    });
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: never) => void; reject: (e: Error) => void }>();
  ws.addEventListener('message', (ev: MessageEvent) => {
    const msg = JSON.parse(String(ev.data)) as { id?: number; result?: unknown; error?: { message: string } };
    const p = msg.id !== undefined ? pending.get(msg.id) : undefined;
    if (!p) return;
    pending.delete(msg.id!);
    if (msg.error) p.reject(new Error(msg.error.message));
    else p.resolve(msg.result as never);
  });
  return {
    send: <T>(method: string, params: Record<string, unknown> = {}) =>
      new Promise<T>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve: resolve as (v: never) => void, reject });
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}
