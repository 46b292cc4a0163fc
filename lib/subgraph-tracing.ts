import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestHandler } from 'express';
import { context, isTracing, propagation, recordSpanError, SpanKind, SpanStatusCode, trace, tracer } from './tracing';

/**
 * A subgraph's span for each GraphQL request on /graphql, active while
 * Apollo Server runs it, so the SQL below (pg instrumentation) and the calls
 * to siblings (callSubgraph) are its children. Its parent is the HTTP server
 * span, or, without the http instrumentation, the caller's `traceparent`.
 * Named after the operation once it is known (operationSpanPlugin).
 */
export function graphqlOperationSpan(subgraph: string): RequestHandler {
  return (req, res, next) => {
    if (!isTracing()) return next();
    const active = context.active();
    const underServerSpan = trace.getSpan(active) !== undefined;
    const parent = underServerSpan ? active : propagation.extract(active, req.headers);
    const span = tracer.startSpan(
      'graphql.operation',
      { kind: underServerSpan ? SpanKind.INTERNAL : SpanKind.SERVER, attributes: { 'subgraph.name': subgraph } },
      parent,
    );
    res.once('close', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) recordSpanError(span, new Error(`HTTP ${res.statusCode}`));
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}

/** Names the request's span after its operation (`query ProductsByIds`) and records GraphQL errors on it. */
export const operationSpanPlugin: ApolloServerPlugin = {
  requestDidStart: async () => {
    const span = trace.getActiveSpan();
    if (!span || !isTracing()) return;
    return {
      didResolveOperation: async ({ operation, operationName }) => {
        const type = operation?.operation ?? 'operation';
        span.updateName(`${type}${operationName ? ` ${operationName}` : ''}`);
        span.setAttributes({ 'graphql.operation.type': type, ...(operationName ? { 'graphql.operation.name': operationName } : {}) });
      },
      didEncounterErrors: async ({ errors }) => {
        for (const error of errors.slice(0, 3)) span.recordException(error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: errors[0].message });
      },
    };
  },
};
