import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/**
 * One client process of `npm run bench:subscriptions` (forked by the parent
 * with node:child_process, so each process has its own file descriptors and
 * event loop): opens its share of graphql-ws clients, each subscribed to the
 * same stockChanged operation, and records when every event arrives. Arrival
 * times are `performance.timeOrigin + performance.now()` (milliseconds since
 * the epoch, sub-millisecond): the same clock in every process on the
 * machine, so the parent compares them with its own send times.
 *
 * Messages from the parent: `start` (open the clients), `reset` (forget what
 * arrived so far), `count` (how many events arrived), `collect` (every
 * arrival, by availableQuantity), `stop` (close the clients and exit).
 */
export interface StartMessage {
  type: 'start';
  url: string;
  query: string;
  variables: Record<string, unknown>;
  clients: number;
  /** Clients opened per `batchDelayMs`. */
  batch: number;
  batchDelayMs: number;
}

export type ParentMessage = StartMessage | { type: 'reset' } | { type: 'count' } | { type: 'collect' } | { type: 'stop' };

export type WorkerMessage =
  | { type: 'connected'; connected: number }
  | { type: 'count'; received: number; connected: number }
  | { type: 'collected'; received: number; arrivals: [quantity: number, times: number[]][]; rss: number }
  | { type: 'error'; message: string };

const now = () => performance.timeOrigin + performance.now();

function send(message: WorkerMessage): void {
  process.send!(message);
}

function main(): void {
  const clients: Client[] = [];
  const arrivals = new Map<number, number[]>(); // availableQuantity -> arrival times
  let connected = 0;
  let received = 0;
  let errorsReported = 0;

  const reportError = (message: string) => {
    // A few are enough to see what went wrong; thousands of identical ones flood the parent.
    if (errorsReported++ < 5) send({ type: 'error', message });
  };

  async function start(options: StartMessage): Promise<void> {
    for (let i = 0; i < options.clients; i += 1) {
      const client = createClient({
        url: options.url,
        webSocketImpl: WebSocket,
        lazy: false,
        retryAttempts: 0,
        on: {
          connected: () => {
            connected += 1;
            if (connected === options.clients) send({ type: 'connected', connected });
          },
          error: (error) => reportError(`connection error: ${String((error as Error)?.message ?? error).slice(0, 200)}`),
        },
      });
      clients.push(client);
      client.subscribe<{ stockChanged: { availableQuantity: number } }>(
        { query: options.query, variables: options.variables },
        {
          next: ({ data }) => {
            const at = now();
            received += 1;
            const key = data!.stockChanged.availableQuantity;
            const list = arrivals.get(key);
            if (list) list.push(at);
            else arrivals.set(key, [at]);
          },
          error: (error) => reportError(`subscription error: ${JSON.stringify(error).slice(0, 200)}`),
          complete: () => undefined,
        },
      );
      if (i % options.batch === options.batch - 1) await new Promise((resolve) => setTimeout(resolve, options.batchDelayMs));
    }
  }

  process.on('message', (message: ParentMessage) => {
    switch (message.type) {
      case 'start':
        start(message).catch((error) => reportError(String(error)));
        break;
      case 'reset':
        arrivals.clear();
        received = 0;
        break;
      case 'count':
        send({ type: 'count', received, connected });
        break;
      case 'collect':
        send({ type: 'collected', received, arrivals: [...arrivals], rss: process.memoryUsage().rss });
        break;
      case 'stop':
        Promise.all(clients.map((client) => client.dispose())).finally(() => process.exit(0));
        // Sockets that do not close in time do not hold the benchmark.
        setTimeout(() => process.exit(0), 5_000).unref();
        break;
    }
  });
  // The parent went away: nothing to report to.
  process.on('disconnect', () => process.exit(0));
}

main();
