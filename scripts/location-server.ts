/**
 * Reference location service (docs/location.md): node:http around answerLocationRequest. Plain
 * enough for trials, demos and tests; at scale the same function runs at a CDN edge.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { answerLocationRequest, type LocationSigner } from '../src/core/location/location-answer.ts';
import { formatLocation } from '../src/core/location/location.ts';
import type { NetworkTable } from '../src/core/location/networks.ts';

export interface LocationServiceOptions {
  signer: LocationSigner;
  table: NetworkTable;
  /** A request header carrying the country, set by a CDN edge in front (e.g. CF-IPCountry). */
  trustHeader?: string;
  /** Validity of each answer in minutes (default 30). */
  minutes?: number;
  /** 0 picks a free port. Default 8788. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Where request lines go (never an address); false for silence. */
  log?: ((message: string) => void) | false;
}

export interface LocationService {
  url: string;
  port: number;
  stats: { requests: number; answered: number; unknown: number; refused: number };
  /** Answer every request with this status instead (a service that is down), or null to serve again. */
  setFailure(status: number | null): void;
  /** Serve from another networks table from now on (trials: "the same laptop, now in New York"). */
  setNetworks(table: NetworkTable): void;
  close(): Promise<void>;
}

function headerValue(req: IncomingMessage, name: string | undefined): string | null {
  if (!name) return null;
  const v = req.headers[name.toLowerCase()];
  return typeof v === 'string' ? v : null;
}

/** Start the service. */
export async function startLocationService(options: LocationServiceOptions): Promise<LocationService> {
  const log = options.log === false ? () => {} : (options.log ?? ((m: string) => console.log(m)));
  const stats = { requests: 0, answered: 0, unknown: 0, refused: 0 };
  let failure: number | null = null;
  let table = options.table;
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    stats.requests += 1;
    const send = (status: number, type: string, body: string) => {
      // no-store: an answer is for one nonce; a cache must never hand it to anyone else.
      res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', 'Access-Control-Allow-Origin': '*' });
      res.end(body);
    };
    if (failure !== null) {
      stats.refused += 1;
      send(failure, 'application/json', JSON.stringify({ error: 'simulated failure' }));
      return;
    }
    if (req.method !== 'GET') {
      stats.refused += 1;
      send(405, 'application/json', JSON.stringify({ error: 'GET ?nonce=… here' }));
      return;
    }
    const url = new URL(req.url ?? '/', 'http://location.invalid');
    void answerLocationRequest(
      {
        nonce: url.searchParams.get('nonce'),
        address: req.socket.remoteAddress ?? null,
        headerCountry: headerValue(req, options.trustHeader),
      },
      { table, signer: options.signer, minutes: options.minutes, now: Date.now() },
    ).then(
      (a) => {
        if (a.status === 200) stats.answered += 1;
        else if (a.status === 404) stats.unknown += 1;
        else stats.refused += 1;
        log(`GET → ${a.status}${a.location ? ` ${formatLocation(a.location)} (from ${a.source})` : ''}`);
        send(a.status, a.contentType, a.body);
      },
      (err: unknown) => {
        stats.refused += 1;
        send(500, 'application/json', JSON.stringify({ error: err instanceof Error ? err.message : String(err) }));
      },
    );
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8788, options.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    port,
    stats,
    setFailure(status) {
      failure = status;
    },
    setNetworks(next) {
      table = next;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
