/**
 * A TCP front for the fake vendor server that counts every connection, not only every HTTP request:
 * a preconnect or a WebSocket handshake that never becomes a recorded request still reaches the
 * vendor's address, and "not a single byte reaches a forbidden vendor" is about bytes.
 */
import net from 'node:net';

export interface Connection {
  at: number;
  /**
   * First line of a plain-HTTP request with its Sec-Fetch-Dest / Sec-Purpose headers
   * ("GET /x HTTP/1.1 [sec-fetch-dest=document]"), "TLS" for a handshake, "" when nothing was sent.
   */
  first: string;
}

export interface TcpRecorder {
  port: number;
  connections: Connection[];
  reset(): void;
  close(): Promise<void>;
}

export async function startTcpRecorder(targetPort: number): Promise<TcpRecorder> {
  const connections: Connection[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const entry: Connection = { at: Date.now(), first: '' };
    connections.push(entry);
    sockets.add(client);
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(upstream);
    client.once('data', (chunk: Buffer) => {
      if (chunk[0] === 0x16) {
        entry.first = 'TLS';
        return;
      }
      const lines = chunk.toString('latin1').split('\r\n');
      // Why the browser sent it: a navigation, a subresource, a speculative prefetch…
      const why = lines
        .filter((l) => /^(sec-fetch-dest|sec-purpose|purpose):/i.test(l))
        .map((l) => l.toLowerCase().replace(/:\s*/, '='))
        .join(' ');
      entry.first = `${lines[0]!.slice(0, 200)}${why ? ` [${why}]` : ''}`;
    });
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections,
    reset: () => void connections.splice(0),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
