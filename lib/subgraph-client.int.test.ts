import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { GraphQLError } from 'graphql';
import { ErrorCode } from './errors';
import { freePort } from './http';
import { readResilienceConfig } from './resilience';
import { closeSubgraphClients, createSubgraphClients, type SubgraphClients } from './subgraph-client';
import { SUBGRAPH_NAMES, type SubgraphName } from './subgraph-names';

/**
 * Sibling calls against a real TCP server that accepts connections and reads
 * requests but never answers (a frozen or deadlocked service), and against a
 * port nobody listens on.
 */
describe('SubgraphClient timeouts and breaker', () => {
  let blackHole: Server;
  const sockets = new Set<Socket>();
  let blackHoleUrl: string;
  let closedPortUrl: string;
  let clients: SubgraphClients;
  /** HTTP requests the black hole has read. */
  let requestsReceived = 0;

  beforeAll(async () => {
    blackHole = createServer((socket) => {
      sockets.add(socket);
      // Read the request, never answer.
      socket.on('data', (chunk) => {
        if (chunk.toString('latin1').startsWith('POST ')) requestsReceived += 1;
      });
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    blackHoleUrl = `http://127.0.0.1:${(blackHole.address() as AddressInfo).port}/graphql`;
    closedPortUrl = `http://127.0.0.1:${await freePort()}/graphql`;
    const urls = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, closedPortUrl])) as Record<SubgraphName, string>;
    clients = createSubgraphClients({ ...urls, catalog: blackHoleUrl }, 'secret', {
      resilience: readResilienceConfig({ SIBLING_TIMEOUT_MS: '300', BREAKER_VOLUME_THRESHOLD: '3', BREAKER_RESET_TIMEOUT_MS: '60000' }),
    });
  });

  afterAll(async () => {
    await closeSubgraphClients(clients);
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => blackHole.close(resolve));
  });

  /** Times a call from before it is made: its first synchronous part (undici's first fetch loads modules) counts too, as it does for its timer. */
  async function rejection(call: () => Promise<unknown>): Promise<{ error: GraphQLError; ms: number }> {
    const started = performance.now();
    try {
      await call();
    } catch (error) {
      return { error: error as GraphQLError, ms: performance.now() - started };
    }
    throw new Error('expected the call to be rejected');
  }

  it('rejects a call the callee never answers within the timeout, with SUBGRAPH_TIMEOUT; the breaker then fails calls fast', async () => {
    const timedOut = [];
    for (let i = 0; i < 3; i++) timedOut.push(await rejection(() => clients.catalog.entities('Product', 'id price { amount }', ['p1'])));
    for (const { error, ms } of timedOut) {
      expect(error.extensions).toEqual({ code: ErrorCode.SUBGRAPH_TIMEOUT, serviceName: 'catalog' });
      expect(error.message).toBe('The catalog service did not answer within 300 ms');
      expect(ms).toBeGreaterThanOrEqual(290);
      // The callee never answers: any bound proves the timeout fired. A loose one, as a loaded machine stretches 300 ms.
      expect(ms).toBeLessThan(3_000);
    }
    // Three timeouts in a row: the breaker is open, and the next call never reaches the server.
    const requestsBefore = requestsReceived;
    const open = await rejection(() => clients.catalog.request('{ __typename }', {}));
    expect(open.error.extensions).toEqual({ code: ErrorCode.SUBGRAPH_UNAVAILABLE, serviceName: 'catalog' });
    expect(open.ms).toBeLessThan(290);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(requestsReceived).toBe(requestsBefore);
  });

  it('rejects a call to a port nobody listens on with SUBGRAPH_UNAVAILABLE and no address in the message', async () => {
    const { error, ms } = await rejection(() => clients.inventory.request('{ __typename }', {}));
    expect(error.extensions).toEqual({ code: ErrorCode.SUBGRAPH_UNAVAILABLE, serviceName: 'inventory' });
    expect(error.message).toBe('The inventory service is unavailable');
    expect(ms).toBeLessThan(300);
  });
});
