import { context, isTracing, propagation, recordSpanError, SpanKind, trace, tracer, type Span, type SpanContext } from '../../lib/tracing';
import type { GatewayOperation, OperationResponse } from './operation';

/**
 * The gateway's span of one operation, over HTTP or graphql-ws: from
 * arrival through admission (a `gateway.admission` child) and execution
 * (@apollo/gateway's gateway.request, plan and fetch spans below it) to the
 * response. Named `<type> <name>` once admitted, with the client, the cost
 * and what the response cache did as attributes; a refusal is an error on it.
 * A subscription's span ends once it is admitted; each event's execution is a
 * trace of its own, linked to it (federated-subscriptions.ts).
 */
const spans = new WeakMap<GatewayOperation, Span>();
/** Kept after the span ended (a subscription's), for links. */
const spanContexts = new WeakMap<GatewayOperation, SpanContext>();

/** Starts the operation's span under the HTTP server span, or the `traceparent` the client sent. */
export function startOperationSpan(operation: GatewayOperation): void {
  if (!isTracing()) return;
  const active = context.active();
  const underServerSpan = trace.getSpan(active) !== undefined;
  const parent = underServerSpan ? active : propagation.extract(active, operation.request, { get: (request, name) => request.header(name), keys: () => [] });
  const span = tracer.startSpan(
    'graphql.request',
    { kind: underServerSpan ? SpanKind.INTERNAL : SpanKind.SERVER, attributes: { 'graphql.transport': operation.transport } },
    parent,
  );
  spans.set(operation, span);
  spanContexts.set(operation, span.spanContext());
}

/** Runs the admission steps in a `gateway.admission` span below the operation's. */
export async function inAdmissionSpan<T>(operation: GatewayOperation, admit: () => Promise<T>): Promise<T> {
  const parent = spans.get(operation);
  if (!parent) return admit();
  const ctx = trace.setSpan(context.active(), parent);
  const span = tracer.startSpan('gateway.admission', {}, ctx);
  try {
    return await context.with(trace.setSpan(ctx, span), admit);
  } catch (error) {
    recordSpanError(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** After admission (or a refusal): what the steps established. An admitted subscription's span ends here. */
export function describeOperation(operation: GatewayOperation): void {
  const span = spans.get(operation);
  if (!span) return;
  const analysis = operation.analyzed;
  const type = analysis?.operationType ?? 'operation';
  const name = operation.operationName ?? analysis?.name;
  span.updateName(`${type}${name ? ` ${name}` : ''}`);
  span.setAttributes({
    'graphql.operation.type': type,
    ...(name ? { 'graphql.operation.name': name } : {}),
    ...(operation.client?.name ? { 'graphql.client.name': operation.client.name } : {}),
    ...(operation.client?.version ? { 'graphql.client.version': operation.client.version } : {}),
    ...(operation.client?.apiClient ? { 'gateway.api_client': operation.client.apiClient.name } : {}),
    ...(operation.cost !== undefined ? { 'graphql.operation.cost': operation.cost } : {}),
    ...(analysis ? { 'graphql.operation.depth': analysis.depth, 'graphql.operation.root_fields': analysis.rootFields.map((field) => field.coordinate) } : {}),
    'gateway.document_source': operation.source,
    'gateway.authenticated': operation.viewer !== null,
  });
  if (type === 'subscription' && operation.admitted) {
    span.end();
    spans.delete(operation);
  }
}

/** Runs execution with the operation's span active, so @apollo/gateway's spans are its children. */
export function inOperationSpan<T>(operation: GatewayOperation, work: () => Promise<T>): Promise<T> {
  const span = spans.get(operation);
  return span ? context.with(trace.setSpan(context.active(), span), work) : work();
}

/** Ends the operation's span with the response: status, error count, cache outcome; refusals as errors. */
export function endOperationSpan(operation: GatewayOperation, response: OperationResponse): void {
  const span = spans.get(operation);
  if (!span) return;
  spans.delete(operation);
  const errors = response.result.errors ?? [];
  const cache = operation.cacheStatus;
  span.setAttributes({
    'http.response.status_code': response.status ?? 200,
    'gateway.refused': response.refused,
    'graphql.errors': errors.length,
    ...(cache ? { 'gateway.response_cache': cache } : {}),
  });
  if (response.refused) {
    const code = errors[0]?.extensions?.code;
    recordSpanError(span, new Error(`${code ?? 'REFUSED'}: ${errors[0]?.message ?? 'refused'}`));
  } else if (errors.length > 0) {
    recordSpanError(span, new Error(errors[0].message), `${errors.length} GraphQL error(s)`);
  }
  span.end();
}

/** The operation's span context (for links from work it starts later). */
export function operationSpanContext(operation: GatewayOperation): SpanContext | undefined {
  return spanContexts.get(operation);
}
