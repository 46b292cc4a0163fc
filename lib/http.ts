import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { listenFailure } from './startup-error';

export interface ListeningServer {
  server: Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Listens on `port` (0 picks a free one) and resolves once accepting connections; a failure names `portSetting`. */
export async function listen(app: Express | ((...args: never[]) => void), port: number, host: string, portSetting = 'PORT'): Promise<ListeningServer> {
  const server = createServer(app as Parameters<typeof createServer>[0]);
  // Keep-alive from the gateway's fetcher must outlive Node's 5 s default to avoid reset races.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    // A port in use (and the like) becomes a StartupError naming PORT or HOST.
    const fail = (error: Error) => reject(listenFailure(error, port, host, portSetting));
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const publicHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    server,
    port: address.port,
    url: `http://${publicHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

/** Ports this process has handed out, so two servers it starts never get the same one. */
const handedOut = new Set<number>();

/** Whether a server can listen on `port` of 127.0.0.1 now (it is released again at once). */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createTcpServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free TCP port on 127.0.0.1, for a server that starts a moment later and
 * cannot listen on 0 (a child process, Redis). Chosen below the OS's
 * ephemeral range (Linux: 32768-60999), not by listen(0): a port from that
 * range is also what the OS gives outbound connections as their local port,
 * so between choosing it and the server binding it, a connection any process
 * opens (a database pool, a call to a sibling) could take it.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('No free TCP port found between 20000 and 31999 on 127.0.0.1');
}
