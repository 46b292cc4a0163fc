import { HeaderMap, type ApolloServerPlugin, type GraphQLRequestContext, type GraphQLRequestListener } from '@apollo/server';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import { GraphQLError } from 'graphql';
import { ErrorCode } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { GatewayContext } from '../gateway.context';
import type { ClientLabels, GatewayMetrics } from '../metrics';
import type { ApiClient, ApiKeyRegistry } from './api-keys';
import { sha256Hex } from './manifest';
import type { ManifestStore } from './manifest-store';
import type { SafelistMode } from './persisted-queries.config';
import { checkOperation, type Refusal } from './safelist';

export const API_KEY_HEADER = 'x-api-key';
export const CLIENT_NAME_HEADER = 'apollographql-client-name';
export const CLIENT_VERSION_HEADER = 'apollographql-client-version';

/** Unknown operations are logged with their text, cut to this many characters. */
const LOGGED_QUERY_LENGTH = 2_000;

/**
 * What a refused request runs instead of what it sent. Apollo Server turns
 * only errors thrown from `didResolveOperation` (and later) into a proper
 * response with the error's status; thrown earlier, they become a 500. So a
 * refused request is emptied here, before its APQ lookup or registration can
 * happen, and the refusal is thrown once this stand-in has resolved.
 */
const REFUSED_STAND_IN = '{ __typename }';

export interface PersistedQueriesPluginOptions {
  apiKeys: ApiKeyRegistry;
  manifests: ManifestStore;
  mode: SafelistMode;
  /** Introspection-only documents pass the safelist where introspection is on (development). */
  introspection: boolean;
  logger: Logger;
  metrics: GatewayMetrics;
}

type Source = 'manifest' | 'apq' | 'apq_register' | 'apq_miss' | 'query';

function refusalError(refusal: Refusal): GraphQLError {
  // Like Router, refusals are never cached by a CDN in front of GET requests.
  const headers = new HeaderMap([['cache-control', 'private, no-cache, must-revalidate']]);
  return new GraphQLError(refusal.message, { extensions: { code: refusal.code, http: { status: refusal.status, headers } } });
}

function unknownApiKey(): GraphQLError {
  return new GraphQLError(`Unknown API key in ${API_KEY_HEADER}`, { extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401 } } });
}

function hashMismatch(): GraphQLError {
  return new GraphQLError('provided sha does not match query', { extensions: { code: ApolloServerErrorCode.BAD_REQUEST, http: { status: 400 } } });
}

function truncated(query: string | undefined): string | undefined {
  return query && query.length > LOGGED_QUERY_LENGTH ? `${query.slice(0, LOGGED_QUERY_LENGTH)}…` : query;
}

/**
 * Runs before Apollo Server's own APQ handling, for every operation (HTTP GET
 * or POST, and operations the WebSocket server runs through Apollo Server,
 * which carry no headers and so count as anonymous): identifies the client by API key, applies its safelist policy and
 * the gateway-wide mode, resolves manifest ids to their listed body, and
 * records each operation by client name and version in logs and metrics.
 * Refusals are answered through `didResolveOperation` (see REFUSED_STAND_IN).
 */
export function persistedQueriesPlugin(options: PersistedQueriesPluginOptions): ApolloServerPlugin<GatewayContext> {
  const { apiKeys, manifests, mode, introspection, logger, metrics } = options;
  return {
    async requestDidStart({ request }: GraphQLRequestContext<GatewayContext>): Promise<GraphQLRequestListener<GatewayContext>> {
      const started = process.hrtime.bigint();
      const headers = request.http?.headers;
      const key = headers?.get(API_KEY_HEADER);
      const apiClient: ApiClient | undefined = key === undefined ? undefined : apiKeys.identify(key);
      const client = { name: apiClient?.name ?? headers?.get(CLIENT_NAME_HEADER), version: headers?.get(CLIENT_VERSION_HEADER) };
      const labels: ClientLabels = metrics.clientLabels(client.name, client.version);
      const persistedQuery = request.extensions?.persistedQuery as { sha256Hash?: unknown } | undefined;
      const persistedQueryId = typeof persistedQuery?.sha256Hash === 'string' ? persistedQuery.sha256Hash : undefined;
      const sentAs: Source = persistedQueryId ? 'apq_miss' : 'query';

      const refused = (error: GraphQLError): GraphQLRequestListener<GatewayContext> => {
        request.query = REFUSED_STAND_IN;
        request.operationName = undefined;
        if (request.extensions) delete request.extensions.persistedQuery;
        return {
          async didResolveOperation() {
            throw error;
          },
          async willSendResponse() {
            metrics.operations.inc({ ...labels, operation_type: 'unknown', source: sentAs, outcome: 'refused' });
          },
        };
      };

      if (key !== undefined && !apiClient) {
        metrics.unknownApiKeys.inc();
        logger.warn({ client }, 'request with an unknown API key refused');
        return refused(unknownApiKey());
      }

      const verdict = checkOperation(
        { query: request.query, persistedQueryId },
        { policy: apiClient?.policy ?? 'any', mode, manifest: manifests.manifest, introspection },
      );
      const details = { client, policy: apiClient?.policy, operationName: request.operationName, persistedQueryId };
      if (verdict.logged) {
        metrics.safelistViolations.inc({ client_name: labels.client_name, code: verdict.logged.code, enforced: 'false' });
        logger.warn({ ...details, code: verdict.logged.code, query: truncated(request.query) }, 'operation outside the safelist served (SAFELIST_MODE=log)');
      }
      const { decision } = verdict;
      if (decision.kind === 'refuse') {
        metrics.safelistViolations.inc({ client_name: labels.client_name, code: decision.refusal.code, enforced: 'true' });
        logger.info({ ...details, code: decision.refusal.code, query: truncated(request.query) }, 'operation refused by the safelist');
        return refused(refusalError(decision.refusal));
      }
      if (decision.kind === 'pass' && persistedQueryId !== undefined && request.query !== undefined && sha256Hex(request.query) !== persistedQueryId) {
        // Apollo Server refuses this too, but without a code, so it would be reported as an internal error.
        return refused(hashMismatch());
      }
      if (decision.kind === 'manifest') {
        // The listed text replaces what was sent, and APQ is bypassed: nothing gets registered.
        request.query = decision.operation.body;
        if (request.extensions) delete request.extensions.persistedQuery;
      }

      return {
        async willSendResponse({ response, metrics: requestMetrics, operation, operationName }) {
          const source: Source =
            decision.kind === 'manifest' ? 'manifest' : requestMetrics.persistedQueryHit ? 'apq' : requestMetrics.persistedQueryRegister ? 'apq_register' : sentAs;
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : response.body.initialResult.errors;
          const outcome = errors?.length ? 'error' : 'success';
          const operationType = operation?.operation ?? 'unknown';
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          metrics.operations.inc({ ...labels, operation_type: operationType, source, outcome });
          metrics.duration.observe({ client_name: labels.client_name, operation_type: operationType }, seconds);
          logger.info(
            {
              client,
              operationName: operationName ?? request.operationName,
              operationType,
              source,
              outcome,
              errorCodes: errors?.map((error) => error.extensions?.code),
              durationMs: Math.round(seconds * 1000),
            },
            'graphql operation',
          );
        },
      };
    },
  };
}
