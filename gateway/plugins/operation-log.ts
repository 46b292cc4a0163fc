import { Counter, Histogram } from 'prom-client';
import { ErrorCode } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { GatewayMetrics } from '../metrics';
import type { GatewayOperation, GatewayPlugin, OperationResponse } from '../pipeline/operation';

const KNOWN_CODES = new Set<string>(Object.values(ErrorCode));

/** An error's code as a label value: one of ErrorCode, else `other` (a code a subgraph made up), `none` when absent. */
function codeLabel(code: unknown): string {
  if (code === undefined || code === null) return 'none';
  return typeof code === 'string' && KNOWN_CODES.has(code) ? code : 'other';
}

/** The operation's name: of the operation analysed (the one to run), else as sent. */
function nameOf(operation: GatewayOperation): string | undefined {
  return operation.analyzed ? operation.analyzed.name : operation.operationName;
}

/**
 * One access log line and the operation metrics for every response, refused
 * or executed, over HTTP or WebSocket: who sent it (client name and version,
 * capped label values), which operation (its name as a label only when the
 * persisted query manifest lists it), how the document came (query,
 * manifest, APQ), its type, outcome and error codes, its cost, the response
 * cache's verdict and how long it took (at info, or at debug with
 * ACCESS_LOG off). First in the pipeline, so it sees
 * every refusal and the final response. Never variables, never headers.
 */
export function useOperationLog(options: { logger: Logger; metrics: GatewayMetrics; accessLog?: boolean }): GatewayPlugin {
  const { logger, metrics } = options;
  // ACCESS_LOG off (npm start outside production): the same line, at debug.
  const writeAccessLine = options.accessLog === false ? logger.debug.bind(logger) : logger.info.bind(logger);
  const operations = new Counter({
    name: 'graphql_operations_total',
    help: 'GraphQL operations by client name and version, operation name (manifest names, else other/anonymous), type, transport, how the document was sent, and outcome',
    labelNames: ['client_name', 'client_version', 'operation_name', 'operation_type', 'transport', 'source', 'outcome'] as const,
    registers: [metrics.registry],
  });
  const duration = new Histogram({
    name: 'graphql_operation_duration_seconds',
    help: 'Time from receiving a GraphQL operation to its response, by client name, operation name and type',
    labelNames: ['client_name', 'operation_name', 'operation_type'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [metrics.registry],
  });
  const errors = new Counter({
    name: 'graphql_operation_errors_total',
    help: 'Errors in GraphQL responses (refusals included), by client name, operation name and error code',
    labelNames: ['client_name', 'operation_name', 'code'] as const,
    registers: [metrics.registry],
  });
  const refusals = new Counter({
    name: 'graphql_operation_refusals_total',
    help: 'Operations the admission pipeline refused before execution (limits, cost, rate limits, safelist, validation ...), by error code and transport',
    labelNames: ['code', 'transport'] as const,
    registers: [metrics.registry],
  });

  return {
    name: 'operation-log',
    onResponse(operation: GatewayOperation, response: OperationResponse) {
      const client = { name: operation.client?.name, version: operation.client?.version };
      const labels = metrics.clientLabels(client.name, client.version);
      const operationName = nameOf(operation);
      const nameLabel = metrics.operationNameLabel(operationName);
      const operationType = operation.analyzed?.operationType ?? 'unknown';
      const responseErrors = response.result.errors;
      const outcome = response.refused ? 'refused' : responseErrors?.length ? 'error' : 'success';
      const milliseconds = operation.elapsedMs();
      operations.inc({ ...labels, operation_name: nameLabel, operation_type: operationType, transport: operation.transport, source: operation.source, outcome });
      duration.observe({ client_name: labels.client_name, operation_name: nameLabel, operation_type: operationType }, milliseconds / 1000);
      let errorCodes: unknown[] | undefined;
      if (responseErrors?.length) {
        errorCodes = responseErrors.map((error) => error.extensions?.code);
        for (const code of errorCodes) errors.inc({ client_name: labels.client_name, operation_name: nameLabel, code: codeLabel(code) });
        if (response.refused) refusals.inc({ code: codeLabel(errorCodes[0]), transport: operation.transport });
      }
      writeAccessLine(
        {
          client,
          ip: operation.client?.ip,
          transport: operation.transport,
          operationName,
          operationType,
          source: operation.source,
          outcome,
          status: response.status ?? 200,
          errorCodes,
          limit: response.refused ? responseErrors?.[0]?.extensions?.limit : undefined,
          cost: operation.cost,
          cache: operation.cacheStatus,
          durationMs: Math.round(milliseconds * 10) / 10,
        },
        'graphql operation',
      );
    },
  };
}
