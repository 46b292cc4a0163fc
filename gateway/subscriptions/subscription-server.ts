import type { IncomingMessage, Server } from 'node:http';
import type { Supergraph } from '@apollo/federation-internals';
import type { ServiceMap } from '@apollo/gateway';
import { GraphQLError, type ExecutionResult, type FormattedExecutionResult } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import { ErrorCode } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { GatewayOperation } from '../pipeline/operation';
import type { AdmissionPipeline } from '../pipeline/pipeline';
import { operationSpanContext } from '../pipeline/operation-span';
import { FederatedSubscriptions, type SubscriptionResult } from './federated-subscriptions';
import { SubscriptionMetrics } from './subscription-metrics';
import { endingAtExpiry, subscriptionExpiresAt } from './token-expiry';
import type { WebSocketConfig } from './websocket.config';
import { UpstreamSubscriptions } from './upstream';

export interface SubscriptionServerOptions {
  server: Server;
  supergraph: Supergraph;
  subgraphUrls: Record<string, string>;
  dataSources: ServiceMap;
  internalSecret: string;
  /** Results a slow client may fall behind by before the oldest are dropped. */
  queueSize: number;
  /** Message size, subscriptions per connection, connections per IP, init timeout, keep-alive. */
  limits: WebSocketConfig;
  /** The client's IP from the upgrade request (trusted proxies applied), for the per-IP limit. */
  clientAddress(remoteAddress: string, forwardedFor: string | undefined): string;
  /** Browser origins allowed (CORS_ORIGINS): a page from any other origin cannot open the socket. */
  allowOrigin(origin: string): boolean;
  logger: Logger;
  /** The same admission steps as HTTP: every operation on the socket passes them. */
  pipeline: AdmissionPipeline;
  /** Queries and mutations sent over the socket run like HTTP ones (through Apollo Server). */
  executeOperation(operation: GatewayOperation): Promise<FormattedExecutionResult>;
  /** Where the subscription metrics are registered (none without): the gateway's registry. */
  registry?: Registry;
}

export interface SubscriptionServer {
  federated: FederatedSubscriptions;
  /** Completes every open subscription, then closes the sockets. */
  drain(): Promise<void>;
}

function forwardedFor(request: IncomingMessage): string | undefined {
  const value = request.headers['x-forwarded-for'];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Connection parameters by lower-case name, strings only: what a header is on HTTP. */
function parametersOf(connectionParams: Record<string, unknown> | undefined): Map<string, string> {
  const parameters = new Map<string, string>();
  for (const [name, value] of Object.entries(connectionParams ?? {})) if (typeof value === 'string') parameters.set(name.toLowerCase(), value);
  return parameters;
}

/**
 * Reports a subscription's end to the pipeline (log line, metrics) when the
 * stream finishes or the client completes it, without an async generator:
 * one would hold `return()` until the next event arrives.
 */
function observed(stream: AsyncIterableIterator<SubscriptionResult>, onEnd: (errors: ExecutionResult['errors']) => void): AsyncIterableIterator<SubscriptionResult> {
  let errors: ExecutionResult['errors'];
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    onEnd(errors);
  };
  // One promise per result (no async function around it): this runs for every subscriber on every event.
  const seen = (step: IteratorResult<SubscriptionResult>) => {
    if (step.done) end();
    else if (step.value.errors?.length) errors = step.value.errors;
    return step;
  };
  return {
    next() {
      return stream.next().then(seen);
    },
    async return(value?: unknown) {
      end();
      return stream.return ? stream.return(value as never) : { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * graphql-ws at the gateway's /graphql (what Apollo Client's GraphQLWsLink and
 * urql speak). Every `subscribe` message, whatever its operation type, passes
 * the admission pipeline with `connectionParams` standing in for headers
 * (`authorization`, `x-api-key`, `apollographql-client-name`/`-version`):
 * a refusal is sent as the operation's errors, with the same codes as HTTP.
 * Subscriptions then run as federated subscriptions; queries and mutations
 * through Apollo Server like HTTP ones. A subscription authenticated by an
 * access token ends at the token's expiry (UNAUTHENTICATED, then complete:
 * ./token-expiry.ts); anonymous ones and the connection go on.
 */
export function attachSubscriptionServer(options: SubscriptionServerOptions): SubscriptionServer {
  const upstream = new UpstreamSubscriptions(options.subgraphUrls, options.internalSecret, options.logger);
  // Created before `federated` (which it reads at scrape time), so a late-bound reader.
  let federated: FederatedSubscriptions | undefined;
  const metrics = options.registry && new SubscriptionMetrics(options.registry, () => federated?.stats ?? { subscribers: 0, upstreams: 0 });
  federated = new FederatedSubscriptions(options.supergraph, options.dataSources, upstream, {
    queueSize: options.queueSize,
    logger: options.logger,
    metrics,
  });
  const { pipeline, limits } = options;
  const parametersByConnection = new WeakMap<object, Map<string, string>>();
  const connectionsByIp = new Map<string, number>();
  const addressOf = (request: IncomingMessage) => options.clientAddress(request.socket.remoteAddress ?? '', forwardedFor(request));
  const wss = new WebSocketServer({
    server: options.server,
    path: '/graphql',
    maxPayload: limits.maxMessageBytes,
    verifyClient: ({ origin, req }: { origin?: string; req: IncomingMessage }, answer: (allowed: boolean, status?: number, message?: string) => void) => {
      // Browsers always send Origin on a WebSocket and CORS does not apply to it, so the list is
      // checked here; clients that are not browsers send none.
      if (origin && !options.allowOrigin(origin)) return answer(false, 403, 'Origin not allowed');
      if ((connectionsByIp.get(addressOf(req)) ?? 0) >= limits.maxConnectionsPerIp) return answer(false, 429, 'Too many WebSocket connections from this address');
      answer(true);
    },
  });
  wss.on('connection', (_socket, request) => {
    const ip = addressOf(request);
    connectionsByIp.set(ip, (connectionsByIp.get(ip) ?? 0) + 1);
    metrics?.connections.inc();
    _socket.once('close', () => {
      metrics?.connections.dec();
      const left = (connectionsByIp.get(ip) ?? 1) - 1;
      if (left > 0) connectionsByIp.set(ip, left);
      else connectionsByIp.delete(ip);
    });
  });

  const disposable = useServer<Record<string, unknown>, { request: IncomingMessage }>(
    {
      connectionInitWaitTimeout: limits.initTimeoutMs,
      onSubscribe: async (ctx, _id, payload) => {
        // graphql-ws has already counted this one.
        if (Object.keys(ctx.subscriptions).length > limits.maxSubscriptionsPerConnection) {
          return [
            new GraphQLError(`This connection already runs ${limits.maxSubscriptionsPerConnection} operations; complete one first`, {
              extensions: { code: ErrorCode.TOO_MANY_SUBSCRIPTIONS, maximum: limits.maxSubscriptionsPerConnection },
            }),
          ];
        }
        // Once per connection: its parameters do not change after connection_init.
        let parameters = parametersByConnection.get(ctx);
        if (!parameters) {
          parameters = parametersOf(ctx.connectionParams);
          parametersByConnection.set(ctx, parameters);
        }
        const admission = await pipeline.admit({
          transport: 'ws',
          query: payload.query,
          operationName: payload.operationName,
          variables: payload.variables,
          extensions: payload.extensions,
          header: (name) => parameters.get(name),
          remoteAddress: ctx.extra.request.socket.remoteAddress ?? '',
          forwardedFor: forwardedFor(ctx.extra.request),
        });
        const { operation } = admission;
        if (admission.refused) {
          return (admission.refused.result.errors ?? []).map((error) => new GraphQLError(error.message, { extensions: error.extensions }));
        }
        return {
          schema: federated.apiSchema,
          document: operation.document!,
          operationName: operation.operationName,
          variableValues: operation.variables,
          contextValue: operation,
        };
      },
      subscribe: (args) => {
        const operation = args.contextValue as GatewayOperation;
        try {
          // The viewer was proved by the connection's access token: its rights end with that token.
          const expiresAt = operation.viewer ? subscriptionExpiresAt(operation.request.header('authorization')) : null;
          const stream = federated.subscribe({
            document: args.document,
            operationName: args.operationName,
            variables: args.variableValues ?? {},
            viewer: operation.viewer,
            subscribedIn: operationSpanContext(operation),
          });
          return observed(expiresAt === null ? stream : endingAtExpiry(stream, expiresAt), (errors) => void pipeline.respond(operation, { result: { errors: errors?.map((error) => error.toJSON()) }, refused: false })) as never;
        } catch (error) {
          options.logger.error({ err: error }, 'could not plan a subscription');
          return { errors: [new GraphQLError('Could not plan this subscription', { extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } })] };
        }
      },
      execute: async (args) => withSerializableErrors(await options.executeOperation(args.contextValue as GatewayOperation)) as never,
    },
    wss,
    limits.keepAliveMs,
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

/**
 * A formatted result as graphql-ws sends it: graphql-ws serializes each
 * error with its `toJSON()` (a GraphQLError's), which the already formatted
 * errors of an executed query or mutation (a NOT_FOUND, a DISCOUNT_CODE_INVALID)
 * lack: without it, any answer with an error is lost on the socket.
 */
function withSerializableErrors(result: FormattedExecutionResult): FormattedExecutionResult {
  if (!result.errors) return result;
  return { ...result, errors: result.errors.map((error) => ({ ...error, toJSON: () => error })) };
}
