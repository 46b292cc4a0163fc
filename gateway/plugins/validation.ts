import { GraphQLError, NoSchemaIntrospectionCustomRule, specifiedRules, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { ErrorCode } from '../../lib/errors';
import { refusal, Refusal, type GatewayOperation, type GatewayPlugin } from '../pipeline/operation';

/**
 * The document against the public API schema, and the request against the
 * document: validation (GRAPHQL_VALIDATION_FAILED), which operation to run
 * (OPERATION_RESOLUTION_FAILURE for an unknown or ambiguous operationName),
 * what the transport can carry (subscriptions need the WebSocket; mutations
 * need POST) and variable coercion (BAD_USER_INPUT). All 400s, decided
 * before cost, rate limits or any subgraph. Apollo Server validates the
 * same text again when it executes; its document cache makes that once per
 * distinct text, like ours.
 *
 * In production, messages lose their "Did you mean …?" suggestions, which
 * would otherwise spell out the schema that introspection hides.
 */
export function useValidation(options: { apiSchema: GraphQLSchema; introspection: boolean; hideSuggestions: boolean }): GatewayPlugin {
  const rules = options.introspection ? specifiedRules : [...specifiedRules, NoSchemaIntrospectionCustomRule];
  const validated = new WeakMap<DocumentNode, readonly GraphQLError[]>();
  const clean = (message: string) => (options.hideSuggestions ? message.replace(/ ?Did you mean(.+)\?$/, '') : message);

  return {
    name: 'validation',
    onRequest(operation: GatewayOperation) {
      const { document } = operation;
      if (!document) {
        throw refusal(ErrorCode.BAD_REQUEST, 'GraphQL operations must contain a non-empty `query` or a `persistedQuery` extension.', { status: 400 });
      }
      let errors = validated.get(document);
      if (!errors) {
        errors = validate(options.apiSchema, document, rules);
        validated.set(document, errors);
      }
      if (errors.length > 0) {
        throw new Refusal(
          errors.map((error) => new GraphQLError(clean(error.message), { nodes: error.nodes, extensions: { code: ErrorCode.GRAPHQL_VALIDATION_FAILED } })),
          400,
        );
      }

      // The operation to run is the one the analysis resolved (by name, or the document's only one).
      const definition = operation.analysis()?.definition;
      if (!definition) {
        const message = operation.operationName
          ? `Unknown operation named "${operation.operationName}".`
          : 'Must provide operation name if query contains multiple operations.';
        throw refusal(ErrorCode.OPERATION_RESOLUTION_FAILURE, message, { status: 400 });
      }
      if (operation.transport === 'http' && definition.operation === 'subscription') {
        throw refusal(ErrorCode.SUBSCRIPTION_REQUIRES_WEBSOCKET, 'Subscriptions are served over WebSocket (graphql-ws) at this same /graphql path, not over HTTP.', { status: 400 });
      }
      if (operation.request.method === 'GET' && definition.operation === 'mutation') {
        throw refusal(ErrorCode.BAD_REQUEST, 'Mutations must be sent with POST, not GET.', { status: 405, headers: { allow: 'POST' } });
      }
      operation.definition = definition;

      const coerced = getVariableValues(options.apiSchema, definition.variableDefinitions ?? [], operation.rawVariables, { maxErrors: 10 });
      if (coerced.errors) {
        throw new Refusal(
          coerced.errors.map((error) => new GraphQLError(clean(error.message), { nodes: error.nodes, extensions: { code: ErrorCode.BAD_USER_INPUT } })),
          400,
        );
      }
      operation.variables = coerced.coerced;
    },
  };
}
