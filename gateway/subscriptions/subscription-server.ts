import type { Server } from 'node:http';
import type { Supergraph } from '@apollo/federation-internals';
import type { ServiceMap } from '@apollo/gateway';
import { getOperationAST, getVariableValues, GraphQLError, parse, validate, type FormattedExecutionResult } from 'graphql';
import type { Context } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Viewer } from '../../lib/identity';
import type { Logger } from '../../lib/logger';
import { authenticate } from '../authentication';
import type { ApiKeyRegistry, SafelistPolicy } from '../persisted-queries/api-keys';
import type { ManifestStore } from '../persisted-queries/manifest-store';
import type { SafelistMode } from '../persisted-queries/persisted-queries.config';
import { API_KEY_HEADER } from '../persisted-queries/persisted-queries.plugin';
import { checkOperation } from '../persisted-queries/safelist';
import { FederatedSubscriptions } from './federated-subscriptions';
import { UpstreamSubscriptions } from './upstream';

export interface SubscriptionServerOptions {
  server: Server;
  supergraph: Supergraph;
  subgraphUrls: Record<string, string>;
  dataSources: ServiceMap;
  internalSecret: string;
  jwtSecret: string;
  /** Results a slow client may fall behind by before the oldest are dropped. */
  queueSize: number;
  logger: Logger;
  /** API keys and the safelist, applied to operations on the socket as on HTTP. */
  safelist: { apiKeys: ApiKeyRegistry; manifests: ManifestStore; mode: SafelistMode; introspection: boolean };
  /** Queries and mutations sent over the socket run like HTTP ones. */
  executeOperation(request: { query: string; variables?: Record<string, unknown> | null; operationName?: string | null }, viewer: Viewer | null): Promise<FormattedExecutionResult>;
}

export interface SubscriptionServer {
  federated: FederatedSubscriptions;
  /** Completes every open subscription, then closes the sockets. */
  drain(): Promise<void>;
}

type Identity = { viewer: Viewer | null; policy: SafelistPolicy } | { error: GraphQLError };

interface OperationContext {
  viewer: Viewer | null;
  query: string;
  rawVariables: Record<string, unknown> | null | undefined;
}

/**
 * graphql-ws at the gateway's /graphql (what Apollo Client's GraphQLWsLink and
 * urql speak). Identity comes from `connectionParams.authorization`, checked
 * once per connection; a bad token fails each operation with UNAUTHENTICATED,
 * so the client learns why and can reconnect with a fresh token. An API key
 * (`connectionParams["x-api-key"]`) and the safelist apply as on HTTP;
 * a manifest operation may be sent by id in `extensions.persistedQuery`.
 */
export function attachSubscriptionServer(options: SubscriptionServerOptions): SubscriptionServer {
  const upstream = new UpstreamSubscriptions(options.subgraphUrls, options.internalSecret, options.logger);
  const federated = new FederatedSubscriptions(options.supergraph, options.dataSources, upstream, {
    queueSize: options.queueSize,
    logger: options.logger,
  });
  const identities = new WeakMap<Context, Identity>();
  const wss = new WebSocketServer({ server: options.server, path: '/graphql' });

  const disposable = useServer<Record<string, unknown>>(
    {
      onConnect: async (ctx) => {
        const authorization = ctx.connectionParams?.authorization;
        const apiKey = ctx.connectionParams?.[API_KEY_HEADER];
        try {
          const client = typeof apiKey === 'string' ? options.safelist.apiKeys.identify(apiKey) : undefined;
          if (apiKey !== undefined && !client) throw new GraphQLError('Unknown API key', { extensions: { code: 'UNAUTHENTICATED' } });
          const viewer = await authenticate(typeof authorization === 'string' ? authorization : null, options.jwtSecret);
          identities.set(ctx, { viewer, policy: client?.policy ?? 'any' });
        } catch (error) {
          identities.set(ctx, { error: error instanceof GraphQLError ? error : new GraphQLError('Invalid credentials', { extensions: { code: 'UNAUTHENTICATED' } }) });
        }
        return true;
      },
      onSubscribe: (ctx, _id, payload) => {
        const identity: Identity = identities.get(ctx) ?? { viewer: null, policy: 'any' };
        if ('error' in identity) return [identity.error];
        const persistedQueryId = (payload.extensions?.persistedQuery as { sha256Hash?: unknown } | undefined)?.sha256Hash;
        const { decision } = checkOperation(
          { query: payload.query || undefined, persistedQueryId: typeof persistedQueryId === 'string' ? persistedQueryId : undefined },
          { policy: identity.policy, mode: options.safelist.mode, manifest: options.safelist.manifests.manifest, introspection: options.safelist.introspection },
        );
        if (decision.kind === 'refuse') return [new GraphQLError(decision.refusal.message, { extensions: { code: decision.refusal.code } })];
        const query = decision.kind === 'manifest' ? decision.operation.body : payload.query;
        let document;
        try {
          document = parse(query);
        } catch (error) {
          return [error as GraphQLError];
        }
        const errors = validate(federated.apiSchema, document);
        if (errors.length > 0) return errors.map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED'));
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [new GraphQLError('Name the operation to run', { extensions: { code: 'BAD_USER_INPUT' } })];
        const coerced = getVariableValues(federated.apiSchema, operation.variableDefinitions ?? [], payload.variables ?? {});
        if (coerced.errors) return coerced.errors.map((e) => withCode(e, 'BAD_USER_INPUT'));
        const contextValue: OperationContext = { viewer: identity.viewer, query, rawVariables: payload.variables };
        return { schema: federated.apiSchema, document, operationName: payload.operationName, variableValues: coerced.coerced, contextValue };
      },
      subscribe: (args) => {
        const context = args.contextValue as OperationContext;
        try {
          return federated.subscribe({ document: args.document, operationName: args.operationName, variables: args.variableValues ?? {}, viewer: context.viewer }) as never;
        } catch (error) {
          options.logger.error({ err: error }, 'could not plan a subscription');
          return { errors: [new GraphQLError('Could not plan this subscription', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })] };
        }
      },
      execute: (args) => {
        const context = args.contextValue as OperationContext;
        return options.executeOperation({ query: context.query, variables: context.rawVariables, operationName: args.operationName }, context.viewer) as never;
      },
    },
    wss,
  );

  return {
    federated,
    drain: async () => {
      federated.completeAll();
      // Let the complete messages go out before the sockets close.
      await new Promise((resolve) => setTimeout(resolve, 50));
      await disposable.dispose();
      await upstream.close();
    },
  };
}

function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, { nodes: error.nodes, extensions: { ...error.extensions, code } });
}
