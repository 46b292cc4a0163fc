import cors from 'cors';
import type { RequestHandler } from 'express';
import { ConfigError, str } from '../lib/config';

/**
 * Cross-origin access for browser apps served from another origin (a
 * storefront on its own domain, a local dev server on another port).
 *
 * The `cors` middleware runs in front of /graphql, so a preflight (OPTIONS)
 * is answered with 204 and the Access-Control-* headers before CSRF
 * prevention could refuse it; actual requests still go through CSRF
 * prevention (a simple request without a preflight-forcing header is
 * refused), which is what protects cookie-less APIs from cross-site forms.
 *
 * Credentials are allowed, so the allowed origin is always echoed exactly
 * (never `*`), with `Vary: Origin` for caches.
 */
export interface CorsConfig {
  /** Exact origins (`https://shop.example.com`) and patterns (`https://*.example.com`). */
  origins: string[];
  /** Outside production, http(s)://localhost, 127.0.0.1 and [::1] on any port are allowed too. */
  allowLocalhost: boolean;
}

export const corsEnv = {
  CORS_ORIGINS: str({
    default: '',
    desc: 'comma-separated origins allowed to call /graphql from a browser: exact (https://shop.example.com) or with * for one or more DNS labels (https://*.example.com)',
  }),
};

const ORIGIN = /^https?:\/\/(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$/;
const LOCALHOST = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

/** Request headers a browser client may send (Apollo Client's, ours, and the CSRF-preflight ones). */
const ALLOWED_HEADERS = [
  'content-type',
  'authorization',
  'x-api-key',
  'apollographql-client-name',
  'apollographql-client-version',
  'apollo-require-preflight',
  'x-apollo-operation-name',
];

/** Response headers scripts may read: the rate-limit budget and when to retry. */
const EXPOSED_HEADERS = ['ratelimit', 'ratelimit-policy', 'retry-after'];

/** Reads CORS_ORIGINS; every malformed entry is reported, one line each. */
export function corsConfig(values: { CORS_ORIGINS: string }, production: boolean): CorsConfig {
  const origins = values.CORS_ORIGINS.split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  const problems = origins
    .filter((origin) => !ORIGIN.test(origin))
    .map((origin) => `CORS_ORIGINS: "${origin}" is not an origin like https://shop.example.com or https://*.example.com (scheme and host, no path)`);
  if (problems.length > 0) throw new ConfigError(problems);
  return { origins, allowLocalhost: !production };
}

/** Turns the configured origins into one predicate. `*` stands for one or more DNS labels. */
export function originMatcher(config: CorsConfig): (origin: string) => boolean {
  const exact = new Set(config.origins.filter((origin) => !origin.includes('*')).map((origin) => origin.toLowerCase()));
  const patterns = config.origins
    .filter((origin) => origin.includes('*'))
    .map((origin) => new RegExp(`^${origin.toLowerCase().replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace('*', '[a-z0-9-]+(?:\\.[a-z0-9-]+)*')}$`));
  return (origin) => {
    const normalized = origin.toLowerCase();
    return exact.has(normalized) || patterns.some((pattern) => pattern.test(normalized)) || (config.allowLocalhost && LOCALHOST.test(normalized));
  };
}

/** The middleware in front of /graphql (HTTP; the WebSocket server checks Origin with `originMatcher` on upgrade). */
export function useCors(config: CorsConfig): RequestHandler[] {
  const allowed = originMatcher(config);
  // Every answer depends on Origin, allowed or not, so a shared cache must key on it.
  const vary: RequestHandler = (_req, res, next) => {
    res.vary('Origin');
    next();
  };
  return [vary, cors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed(origin)),
    credentials: true,
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    // Browsers cap this (Chromium at 2 hours); 10 minutes keeps a changed list effective soon.
    maxAge: 600,
    optionsSuccessStatus: 204,
  })];
}
