import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { INTERNAL_SECRET_HEADER, VIEWER_HEADER, type Viewer } from '../../lib/identity';
import type { Logger } from '../../lib/logger';

export interface UpstreamListener {
  next(event: FormattedExecutionResult<Record<string, unknown>, unknown>): void;
  /** The subgraph refused or ended the subscription (e.g. FORBIDDEN at subscribe time), or stayed unreachable. */
  error(error: unknown): void;
  complete(): void;
}

export interface UpstreamRequest {
  serviceName: string;
  query: string;
  variables: Record<string, unknown>;
  viewer: Viewer | null;
}

/** How long a dropped connection to a subgraph is retried before subscriptions end with an error. */
const RETRY_ATTEMPTS = 12;
const MAX_RETRY_WAIT_MS = 5_000;

/**
 * Subscriptions from the gateway to the subgraphs that own subscription
 * fields, over graphql-ws: one connection per subgraph (authenticated with
 * the internal credential; the viewer travels per operation), and one
 * upstream stream per distinct (operation, variables, viewer), however many
 * clients of this gateway share it. A dropped connection is retried with
 * backoff and the streams resubscribe on their own.
 */
export class UpstreamSubscriptions {
  private readonly clients = new Map<string, Client>();
  private readonly streams = new Map<string, { listeners: Set<UpstreamListener>; dispose: () => void }>();

  constructor(
    private readonly urls: Record<string, string>,
    private readonly internalSecret: string,
    private readonly logger: Logger,
  ) {}

  get activeStreams(): number {
    return this.streams.size;
  }

  private clientFor(serviceName: string): Client {
    let client = this.clients.get(serviceName);
    if (!client) {
      const url = this.urls[serviceName];
      if (!url) throw new Error(`No URL for subgraph ${serviceName}`);
      client = createClient({
        url: url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: { [INTERNAL_SECRET_HEADER]: this.internalSecret },
        lazy: true,
        lazyCloseTimeout: 5_000,
        keepAlive: 10_000,
        retryAttempts: RETRY_ATTEMPTS,
        retryWait: async (retries) => {
          await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_RETRY_WAIT_MS, 250 * 2 ** retries) * (0.5 + Math.random() / 2)));
        },
        shouldRetry: () => true,
        on: {
          closed: (event) => this.logger.debug({ serviceName, code: (event as { code?: number })?.code }, 'subgraph subscription connection closed'),
          connected: () => this.logger.debug({ serviceName }, 'subgraph subscription connection open'),
        },
      });
      this.clients.set(serviceName, client);
    }
    return client;
  }

  /** Joins (or opens) the stream for this request; the returned function leaves it. */
  listen(request: UpstreamRequest, listener: UpstreamListener): () => void {
    const key = JSON.stringify([request.serviceName, request.query, request.variables, request.viewer?.id ?? null, request.viewer?.role ?? null]);
    let stream = this.streams.get(key);
    if (!stream) {
      const listeners = new Set<UpstreamListener>();
      const dispose = this.clientFor(request.serviceName).subscribe(
        {
          query: request.query,
          variables: request.variables,
          extensions: request.viewer ? { [VIEWER_HEADER]: JSON.stringify({ id: request.viewer.id, role: request.viewer.role }) } : {},
        },
        {
          next: (event) => listeners.forEach((l) => l.next(event)),
          error: (error) => {
            this.streams.delete(key);
            listeners.forEach((l) => l.error(error));
          },
          complete: () => {
            this.streams.delete(key);
            listeners.forEach((l) => l.complete());
          },
        },
      );
      stream = { listeners, dispose };
      this.streams.set(key, stream);
    }
    const joined = stream;
    joined.listeners.add(listener);
    return () => {
      joined.listeners.delete(listener);
      if (joined.listeners.size === 0 && this.streams.get(key) === joined) {
        this.streams.delete(key);
        joined.dispose();
      }
    };
  }

  async close(): Promise<void> {
    for (const stream of this.streams.values()) stream.dispose();
    this.streams.clear();
    await Promise.all([...this.clients.values()].map((client) => client.dispose()));
    this.clients.clear();
  }
}
