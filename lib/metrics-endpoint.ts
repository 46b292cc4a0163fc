import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import { port } from './config';
import { listen, type ListeningServer } from './http';

/** Where /metrics is served: on the service's own port (default), or on an internal port of its own. */
export const metricsEnv = {
  METRICS_PORT: port({ default: undefined, desc: 'serve /metrics on this port only (internal), not on the service port' }),
};

/** Scrape text of several registries, one after another (their metric names never overlap). */
async function scrape(registries: readonly Registry[]): Promise<string> {
  const texts = await Promise.all(registries.map((registry) => registry.metrics()));
  return texts.map((text) => (text.endsWith('\n') || text === '' ? text : `${text}\n`)).join('');
}

/**
 * `GET /metrics`: prom-client registries in Prometheus's text format
 * (gateway and subgraphs alike; a subgraph serves its own registry and the
 * process-wide one).
 */
export function metricsEndpoint(registries: Registry | readonly Registry[]): RequestHandler {
  const all = Array.isArray(registries) ? registries : [registries as Registry];
  return (_req, res, next) => {
    scrape(all).then((body) => {
      res.setHeader('content-type', all[0].contentType);
      res.end(body);
    }, next);
  };
}

/**
 * `/metrics` alone on an internal port (METRICS_PORT), so the service port
 * never exposes it. Anything but GET /metrics is 404. A port in use is a
 * start-up failure naming METRICS_PORT.
 */
export async function listenMetrics(registries: readonly Registry[], metricsPort: number, host: string): Promise<ListeningServer> {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?', 1)[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.statusCode = 404;
      res.end();
      return;
    }
    scrape(registries).then(
      (body) => {
        res.setHeader('content-type', registries[0].contentType);
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      () => {
        res.statusCode = 500;
        res.end();
      },
    );
  };
  return listen(handler, metricsPort, host, 'METRICS_PORT');
}
