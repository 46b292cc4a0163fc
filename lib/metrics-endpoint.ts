import type { RequestHandler } from 'express';
import type { Registry } from 'prom-client';

/** `GET /metrics`: a prom-client registry in Prometheus's text format (gateway and subgraphs alike). */
export function metricsEndpoint(registry: Registry): RequestHandler {
  return (_req, res, next) => {
    registry.metrics().then((body) => {
      res.setHeader('content-type', registry.contentType);
      res.end(body);
    }, next);
  };
}
