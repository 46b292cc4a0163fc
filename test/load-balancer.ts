import net from 'node:net';

/**
 * A TCP load balancer for tests, standing in for the one in front of a
 * cluster: each incoming connection goes to the next backend in turn
 * (HTTP keep-alive and WebSocket alike, as an L4 balancer does); a backend
 * that refuses the connection is skipped for that connection, so a killed
 * replica stops receiving new connections at once. Connections it already
 * carried end with it.
 */
export interface LoadBalancer {
  port: number;
  url: string;
  /** Connections handed to each backend port so far. */
  connections: Map<number, number>;
  close(): Promise<void>;
}

export async function startLoadBalancer(backendPorts: number[], host = '127.0.0.1'): Promise<LoadBalancer> {
  let next = 0;
  const connections = new Map<number, number>(backendPorts.map((port) => [port, 0]));
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    client.pause();
    open.add(client);
    client.once('close', () => open.delete(client));
    client.on('error', () => undefined);
    const tryBackend = (attempt: number) => {
      if (attempt >= backendPorts.length) {
        client.destroy();
        return;
      }
      const port = backendPorts[next++ % backendPorts.length];
      const backend = net.connect({ port, host });
      let connected = false;
      backend.once('connect', () => {
        connected = true;
        connections.set(port, (connections.get(port) ?? 0) + 1);
        open.add(backend);
        backend.once('close', () => open.delete(backend));
        client.pipe(backend).pipe(client);
        client.resume();
        // Either side ending ends the pair: a killed backend closes its clients' connections.
        backend.on('error', () => client.destroy());
        backend.once('close', () => client.destroy());
        client.once('close', () => backend.destroy());
      });
      backend.once('error', () => {
        if (!connected) tryBackend(attempt + 1);
      });
    };
    tryBackend(0);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `http://${host}:${port}`,
    connections,
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
