import { createHash } from 'node:crypto';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { FormattedExecutionResult } from 'graphql';
import { ErrorCode } from '../../lib/errors';
import type { GatewayContext } from '../gateway.context';
import type { Execute } from './operation';
import type { AdmissionPipeline } from './pipeline';

/**
 * GraphQL over HTTP at /graphql: turns a GET or POST into an IncomingRequest
 * for the admission pipeline, answers refusals itself (GraphQL JSON with the
 * refusal's status, never an HTML page), and hands admitted operations to
 * Apollo Server, which plans and executes them over the subgraphs. Only what
 * is HTTP's own lives here: the body (size, JSON), GET parameters, and CSRF
 * prevention; everything else is the pipeline's, shared with the WebSocket.
 */
export interface HttpTransportOptions {
  /** Serves the landing page. */
  apollo: ApolloServer<GatewayContext>;
  pipeline: AdmissionPipeline;
  /** Executes an admitted operation (the same for both transports). */
  execute: Execute;
  /** Largest request body accepted, in bytes (413 beyond). */
  maxBodyBytes: number;
  /** Serve Apollo's landing page (Sandbox) to browsers opening /graphql. */
  landingPage: boolean;
}

/** Apollo Server's CSRF rule: a request a browser would send without a preflight must carry one of these. */
const CSRF_HEADERS = ['x-apollo-operation-name', 'apollo-require-preflight'];
const SIMPLE_CONTENT_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];

function sendResult(res: Response, status: number, headers: Record<string, string>, result: FormattedExecutionResult): void {
  res.status(status).set(headers).type('application/json').send(JSON.stringify(result));
}

function sendError(res: Response, status: number, code: string, message: string): void {
  sendResult(res, status, {}, { errors: [{ message, extensions: { code } }] });
}

/**
 * A request a browser may send cross-site without a preflight (a GET, or a
 * POST with a form or text content type) must prove it is not one, by a
 * header that forces a preflight. Preflights themselves are answered by CORS
 * before this runs.
 */
function looksLikeCsrf(req: Request): boolean {
  const contentType = req.headers['content-type'];
  if (contentType !== undefined) {
    const essence = contentType.split(';')[0].trim().toLowerCase();
    if (!SIMPLE_CONTENT_TYPES.includes(essence)) return false;
  }
  return !CSRF_HEADERS.some((header) => {
    const value = req.headers[header];
    return typeof value === 'string' && value.length > 0;
  });
}

function jsonParameter(value: unknown, name: string): unknown {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    throw new Error(`"${name}" must be JSON`);
  }
}

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Body-parser failures as GraphQL errors with codes (Express would answer with an HTML page). */
const bodyErrors: ErrorRequestHandler = (error: { type?: string; status?: number; limit?: number }, _req, res, next) => {
  if (res.headersSent) return next(error);
  if (error.type === 'entity.too.large') return sendError(res, 413, ErrorCode.PAYLOAD_TOO_LARGE, `The request body is larger than ${error.limit} bytes`);
  if (error.type === 'entity.parse.failed') return sendError(res, 400, ErrorCode.BAD_REQUEST, 'The request body is not valid JSON');
  if (error.status && error.status >= 400 && error.status < 500) return sendError(res, error.status, ErrorCode.BAD_REQUEST, 'The request body could not be read');
  return next(error);
};

export function graphqlHttpTransport(options: HttpTransportOptions): Router {
  const { apollo, pipeline } = options;
  const router = Router();

  const handle: RequestHandler = async (req, res, next) => {
    try {
      if (req.method !== 'GET' && req.method !== 'POST') {
        res.set('allow', 'GET, POST');
        return sendError(res, 405, ErrorCode.BAD_REQUEST, 'GraphQL requests are GET or POST');
      }
      const isGet = req.method === 'GET';
      if (isGet && options.landingPage && req.query.query === undefined && req.query.extensions === undefined && req.accepts('text/html')) {
        // A person opening /graphql in a browser: Apollo Server serves Sandbox.
        const page = await apollo.executeHTTPGraphQLRequest({
          httpGraphQLRequest: { method: 'GET', headers: headerMap(req), search: '', body: undefined },
          context: async () => ({ viewer: null }),
        });
        return writeApolloResponse(res, page, {});
      }
      if (looksLikeCsrf(req)) {
        return sendError(
          res,
          400,
          ErrorCode.BAD_REQUEST,
          `This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). Send a content-type other than ${SIMPLE_CONTENT_TYPES.join(', ')}, or a non-empty ${CSRF_HEADERS.join(' or ')} header.`,
        );
      }
      let params: Record<string, unknown>;
      if (isGet) {
        try {
          params = {
            query: req.query.query,
            operationName: req.query.operationName,
            variables: jsonParameter(req.query.variables, 'variables'),
            extensions: jsonParameter(req.query.extensions, 'extensions'),
          };
        } catch (error) {
          return sendError(res, 400, ErrorCode.BAD_REQUEST, (error as Error).message);
        }
      } else {
        if (!req.is('application/json')) return sendError(res, 415, ErrorCode.BAD_REQUEST, 'POST requests must have content-type application/json');
        if (Array.isArray(req.body)) return sendError(res, 400, ErrorCode.BAD_REQUEST, 'Batched operations are not supported: send one operation per request');
        if (typeof req.body !== 'object' || req.body === null) return sendError(res, 400, ErrorCode.BAD_REQUEST, 'The request body must be a JSON object');
        params = req.body as Record<string, unknown>;
      }

      const admission = await pipeline.admit({
        transport: 'http',
        method: isGet ? 'GET' : 'POST',
        query: params.query,
        operationName: params.operationName,
        variables: params.variables,
        extensions: params.extensions,
        header: (name) => header(req, name),
        remoteAddress: req.socket.remoteAddress ?? '',
        forwardedFor: header(req, 'x-forwarded-for'),
      });
      const { operation } = admission;
      if (admission.refused) {
        return sendResult(res, admission.refused.status ?? 400, operation.responseHeaders, admission.refused.result);
      }
      const response = await pipeline.execute(operation, options.execute);
      const body = JSON.stringify(response.result);
      const headers = operation.responseHeaders;
      if (isGet && /^public\b/.test(headers['cache-control'] ?? '')) {
        // Shared caches may keep a public GET, but must ask again each time (it may change with any event):
        // an unchanged answer costs them a 304 without a body.
        const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
        headers.etag = etag;
        if (ifNoneMatch(req, etag)) {
          res.status(304).set(headers).end();
          return;
        }
      }
      // GraphQL over HTTP: application/graphql-response+json for clients that ask for it, application/json otherwise.
      const contentType = req.accepts(['application/json', 'application/graphql-response+json']) || 'application/json';
      res
        .status(response.status ?? 200)
        .set(headers)
        .set('content-type', `${contentType}; charset=utf-8`)
        .send(body);
      return;
    } catch (error) {
      return next(error);
    }
  };

  router.use(express.json({ limit: options.maxBodyBytes }), bodyErrors, handle);
  return router;
}

/** If-None-Match holds `etag` (or `*`); weak and strong forms compare equal, as RFC 9110 says for GET. */
function ifNoneMatch(req: Request, etag: string): boolean {
  const sent = header(req, 'if-none-match');
  if (!sent) return false;
  return sent.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed.replace(/^W\//, '') === etag;
  });
}

function headerMap(req: Request): HeaderMap {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

async function writeApolloResponse(
  res: Response,
  response: Awaited<ReturnType<ApolloServer<GatewayContext>['executeHTTPGraphQLRequest']>>,
  extraHeaders: Record<string, string>,
): Promise<void> {
  for (const [name, value] of response.headers) res.setHeader(name, value);
  res.set(extraHeaders);
  res.status(response.status ?? 200);
  if (response.body.kind === 'complete') {
    res.send(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}
