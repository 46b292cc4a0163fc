import type { Client } from 'graphql-ws';
import WebSocket from 'ws';
import { codeOf, freshIp, wsClientWith } from '../../test/hostile';
import { startTestSupergraph, type TestSupergraph } from '../../test/supergraph-harness';
import { subscribe } from '../../test/ws-client';

/**
 * The WebSocket's own limits, with small values so each is reached quickly:
 * subscriptions per connection, connections per client IP, the
 * connection_init timeout and keep-alive pings. (The message size limit is in
 * hostile-ws.e2e.test.ts.)
 */
const STOCK = 'subscription($ids: [ID!]) { stockChanged(productIds: $ids) { availableQuantity } }';

describe('WebSocket limits', () => {
  let supergraph: TestSupergraph;
  let wsUrl: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    supergraph = await startTestSupergraph({
      gateway: {
        clientIdentity: { trustedProxies: ['loopback'] },
        websocket: { maxMessageBytes: 65_536, maxSubscriptionsPerConnection: 3, maxConnectionsPerIp: 2, initTimeoutMs: 300, keepAliveMs: 1_000 },
      },
    });
    wsUrl = supergraph.gatewayUrl.replace(/^http/, 'ws');
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await supergraph?.stop();
  });

  const rawSocket = (headers: Record<string, string>, options: WebSocket.ClientOptions = {}) =>
    new WebSocket(wsUrl, 'graphql-transport-ws', { headers, ...options });

  it('refuses a subscription beyond the per-connection limit with TOO_MANY_SUBSCRIPTIONS, and serves the first ones', async () => {
    const client = wsClientWith(supergraph.gatewayUrl, {}, { 'x-forwarded-for': freshIp() });
    clients.push(client);
    const held = [1, 2, 3].map(() => subscribe(client, STOCK, { ids: [] }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const fourth = subscribe(client, STOCK, { ids: [] });
    const errors = await fourth.ended;
    expect(codeOf(errors ?? [])).toBe('TOO_MANY_SUBSCRIPTIONS');
    // The three held ones are still open, and completing one makes room.
    expect(await Promise.race([held[0].ended.then(() => 'ended'), new Promise((resolve) => setTimeout(() => resolve('open'), 200))])).toBe('open');
    held[0].unsubscribe();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const again = subscribe(client, STOCK, { ids: [] });
    expect(await Promise.race([again.ended.then(() => 'ended'), new Promise((resolve) => setTimeout(() => resolve('open'), 300))])).toBe('open');
  });

  it('answers 429 to a connection beyond the per-IP limit', async () => {
    const ip = freshIp();
    const open = (socket: WebSocket) => new Promise<number>((resolve) => {
      socket.once('open', () => resolve(101));
      socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    });
    const first = rawSocket({ 'x-forwarded-for': ip });
    const second = rawSocket({ 'x-forwarded-for': ip });
    expect(await Promise.all([open(first), open(second)])).toEqual([101, 101]);
    const third = rawSocket({ 'x-forwarded-for': ip });
    expect(await open(third)).toBe(429);
    // Another address is not affected; a closed connection frees its place.
    const elsewhere = rawSocket({ 'x-forwarded-for': freshIp() });
    expect(await open(elsewhere)).toBe(101);
    first.close();
    await new Promise((resolve) => first.once('close', resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const fourth = rawSocket({ 'x-forwarded-for': ip });
    expect(await open(fourth)).toBe(101);
    for (const socket of [second, elsewhere, fourth]) socket.close();
  });

  it('closes a socket that never sends connection_init (4408)', async () => {
    const socket = rawSocket({ 'x-forwarded-for': freshIp() });
    const started = Date.now();
    const code = await new Promise<number>((resolve) => socket.once('close', (closeCode) => resolve(closeCode)));
    expect(code).toBe(4408);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('drops a peer that does not answer keep-alive pings', async () => {
    const socket = rawSocket({ 'x-forwarded-for': freshIp() }, { autoPong: false });
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
    const started = Date.now();
    await new Promise((resolve) => socket.once('close', resolve));
    // Pinged every second; the second ping without a pong ends it. (Not 200 ms: on a loaded machine the
    // other tests' well-behaved clients, in this process, could miss a pong that short and be dropped.)
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
