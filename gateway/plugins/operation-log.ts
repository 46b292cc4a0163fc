import { Counter, Histogram } from 'prom-client';
import type { Logger } from '../../lib/logger';
import type { GatewayMetrics } from '../metrics';
import type { GatewayOperation, GatewayPlugin, OperationResponse } from '../pipeline/operation';

/**
 * One log line and the operation metrics for every response, refused or
 * executed, over HTTP or WebSocket: who sent it (client name and version,
 * capped label values), how the document came (query, manifest, APQ), its
 * type, outcome and error codes, its cost and how long it took. First in the
 * pipeline, so it sees every refusal and the final response.
 */
export function useOperationLog(options: { logger: Logger; metrics: GatewayMetrics }): GatewayPlugin {
  const { logger, metrics } = options;
  const operations = new Counter({
    name: 'graphql_operations_total',
    help: 'GraphQL operations by client name and version, operation type, transport, how the document was sent, and outcome',
    labelNames: ['client_name', 'client_version', 'operation_type', 'transport', 'source', 'outcome'] as const,
    registers: [metrics.registry],
  });
  const duration = new Histogram({
    name: 'graphql_operation_duration_seconds',
    help: 'Time from receiving a GraphQL operation to its response, by client name',
    labelNames: ['client_name', 'operation_type'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [metrics.registry],
  });

  return {
    name: 'operation-log',
    onResponse(operation: GatewayOperation, response: OperationResponse) {
      const client = { name: operation.client?.name, version: operation.client?.version };
      const labels = metrics.clientLabels(client.name, client.version);
      const operationType = operation.operationType ?? 'unknown';
      const errors = response.result.errors;
      const outcome = response.refused ? 'refused' : errors?.length ? 'error' : 'success';
      const milliseconds = operation.elapsedMs();
      operations.inc({ ...labels, operation_type: operationType, transport: operation.transport, source: operation.source, outcome });
      duration.observe({ client_name: labels.client_name, operation_type: operationType }, milliseconds / 1000);
      logger.info(
        {
          client,
          ip: operation.client?.ip,
          transport: operation.transport,
          operationName: operation.definition?.name?.value ?? operation.operationName,
          operationType,
          source: operation.source,
          outcome,
          status: response.status,
          errorCodes: errors?.map((error) => error.extensions?.code),
          cost: operation.cost,
          durationMs: Math.round(milliseconds * 10) / 10,
        },
        'graphql operation',
      );
    },
  };
}
