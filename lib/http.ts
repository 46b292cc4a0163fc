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

/** A free TCP port on 127.0.0.1 (asked of the OS, then released), for servers that cannot listen on 0. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createTcpServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
