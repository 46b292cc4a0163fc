import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import { Agent, fetch } from 'undici';
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
      fetcher: ((url: string, init: Parameters<typeof fetch>[1]) => fetch(url, { ...init, dispatcher })) as unknown as Fetcher,
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
