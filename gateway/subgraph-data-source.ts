import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import { Agent, fetch, Response } from 'undici';
import { internalHeaders } from '../lib/identity';
import type { GatewayContext } from './gateway.context';

/**
 * Calls one subgraph with the internal credential and the authenticated
 * viewer. Connections are kept alive and capped per subgraph: the default
 * fetcher opens sockets without limit, which swamps the event loop under load.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  private readonly dispatcher: Agent;
  private readonly internalSecret: string;

  constructor(options: { url: string; internalSecret: string; connections?: number }) {
    const dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: options.connections ?? 64 });
    super({
      url: options.url,
      fetcher: (async (url: string, init: Parameters<typeof fetch>[1]) => {
        const response = await fetch(url, { ...init, dispatcher });
        // A subgraph answers a client's bad input it refused (e.g. a NUL byte: BAD_USER_INPUT) with
        // 400 and GraphQL errors. @apollo/gateway would turn any non-2xx into an opaque
        // "400: Bad Request" internal error, so the errors are handed on as the subgraph's own,
        // with their codes and paths, as the GraphQL-over-HTTP spec's 200 answer would carry them.
        if (response.status === 400 && response.headers.get('content-type')?.includes('json')) {
          const body = await response.text();
          if (body.includes('"errors"')) return new Response(body, { status: 200, headers: response.headers });
        }
        return response;
      }) as unknown as Fetcher,
    });
    this.dispatcher = dispatcher;
    this.internalSecret = options.internalSecret;
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const headers = internalHeaders(this.internalSecret, context?.viewer ?? null);
    for (const [name, value] of Object.entries(headers)) request.http?.headers.set(name, value);
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}
