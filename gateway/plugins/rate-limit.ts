import { Counter } from 'prom-client';
import { str, wholeNumber } from '../../lib/config';
import { ErrorCode } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { GatewayMetrics } from '../metrics';
import type { Budget, BudgetState, BudgetStore } from '../pipeline/budgets';
import { refusal, type BudgetFigures, type GatewayOperation, type GatewayPlugin } from '../pipeline/operation';

/**
 * Rate limits in cost points: each client has a budget of points per window,
 * and every operation spends its static cost (1 when demand control is off).
 * The client is its API key, else the signed-in user, else its IP address,
 * each with its own budget; counters live in Redis, so every gateway replica
 * spends from the same budget.
 *
 * Every response carries the IETF draft headers (draft-ietf-httpapi-ratelimit-headers):
 * `RateLimit-Policy: "cost";q=<points>;w=<seconds>` and
 * `RateLimit: "cost";r=<remaining>;t=<seconds to reset>`. Over budget:
 * RATE_LIMITED, 429, `Retry-After`.
 */
export interface RateLimitConfig {
  mode: 'enforce' | 'measure' | 'off';
  windowSeconds: number;
  apiKeyPoints: number;
  userPoints: number;
  ipPoints: number;
}

export const rateLimitEnv = {
  RATE_LIMIT_MODE: str({ choices: ['enforce', 'measure', 'off'], default: 'enforce', desc: 'enforce, measure (log and count only) or off' }),
  RATE_LIMIT_WINDOW_SECONDS: wholeNumber('seconds')({ default: 60, desc: 'the window of every rate-limit budget' }),
  RATE_LIMIT_API_KEY_POINTS: wholeNumber('points')({ default: 100_000, desc: 'cost points per window for each API key' }),
  RATE_LIMIT_USER_POINTS: wholeNumber('points')({ default: 20_000, desc: 'cost points per window for each signed-in user (without an API key)' }),
  RATE_LIMIT_IP_POINTS: wholeNumber('points')({ default: 20_000, desc: 'cost points per window for each anonymous client IP' }),
};

export function rateLimitConfig(values: {
  RATE_LIMIT_MODE: string;
  RATE_LIMIT_WINDOW_SECONDS: number;
  RATE_LIMIT_API_KEY_POINTS: number;
  RATE_LIMIT_USER_POINTS: number;
  RATE_LIMIT_IP_POINTS: number;
}): RateLimitConfig {
  return {
    mode: values.RATE_LIMIT_MODE as RateLimitConfig['mode'],
    windowSeconds: values.RATE_LIMIT_WINDOW_SECONDS,
    apiKeyPoints: values.RATE_LIMIT_API_KEY_POINTS,
    userPoints: values.RATE_LIMIT_USER_POINTS,
    ipPoints: values.RATE_LIMIT_IP_POINTS,
  };
}

const POLICY = 'cost';

function budgetOf(operation: GatewayOperation, budgets: { apiKey: Budget; user: Budget; ip: Budget }): { budget: Budget; key: string; kind: string } | undefined {
  const client = operation.client;
  if (!client) return undefined;
  if (client.apiClient) return { budget: budgets.apiKey, key: client.apiClient.name, kind: 'api_key' };
  if (operation.viewer) return { budget: budgets.user, key: operation.viewer.id, kind: 'user' };
  return { budget: budgets.ip, key: client.ip, kind: 'ip' };
}

function figuresOf(budget: Budget, state: BudgetState): BudgetFigures {
  return { points: budget.points, windowSeconds: budget.windowSeconds, remaining: state.remaining, resetSeconds: state.resetSeconds };
}

function setHeaders(operation: GatewayOperation, fact: BudgetFigures): void {
  operation.responseHeaders['ratelimit-policy'] = `"${POLICY}";q=${fact.points};w=${fact.windowSeconds}`;
  operation.responseHeaders.ratelimit = `"${POLICY}";r=${fact.remaining};t=${fact.resetSeconds}`;
}

export function useRateLimit(options: { config: RateLimitConfig; store: BudgetStore; metrics: GatewayMetrics; logger: Logger }): GatewayPlugin {
  const { config, store, logger } = options;
  const budgets = {
    apiKey: store.budget('rate:key', config.apiKeyPoints, config.windowSeconds),
    user: store.budget('rate:user', config.userPoints, config.windowSeconds),
    ip: store.budget('rate:ip', config.ipPoints, config.windowSeconds),
  };
  const limited = new Counter({
    name: 'graphql_rate_limited_total',
    help: 'Operations over their client budget, by kind of client; enforced="false" were served (measure mode)',
    labelNames: ['client_kind', 'enforced'] as const,
    registers: [options.metrics.registry],
  });

  return {
    name: 'rate-limit',
    async onRequest(operation: GatewayOperation) {
      if (config.mode === 'off') return;
      const target = budgetOf(operation, budgets)!;
      const state = await target.budget.spend(target.key, Math.max(1, operation.cost ?? 1));
      // On the operation for the response: its headers, and demand control's `extensions.cost`.
      operation.budget = figuresOf(target.budget, state);
      setHeaders(operation, operation.budget);
      if (state.allowed) return;
      if (config.mode === 'measure') {
        limited.inc({ client_kind: target.kind, enforced: 'false' });
        logger.warn({ clientKind: target.kind, client: operation.client?.name, cost: operation.cost }, 'operation over its rate limit served (RATE_LIMIT_MODE=measure)');
        return;
      }
      limited.inc({ client_kind: target.kind, enforced: 'true' });
      const retryAfter = Math.max(1, state.resetSeconds);
      throw refusal(ErrorCode.RATE_LIMITED, `Rate limit exceeded: ${target.budget.points} cost points per ${target.budget.windowSeconds} s; try again in ${retryAfter} s`, {
        status: 429,
        headers: { 'retry-after': String(retryAfter) },
        extensions: { limit: 'rate', cost: operation.cost, maximum: target.budget.points, windowSeconds: target.budget.windowSeconds, retryAfterSeconds: retryAfter },
      });
    },
    async onResponse(operation: GatewayOperation) {
      // Refused before spending: still tell the client where its budget stands.
      if (config.mode === 'off' || operation.budget) return;
      const target = budgetOf(operation, budgets);
      if (!target) return;
      const state = await target.budget.peek(target.key);
      setHeaders(operation, figuresOf(target.budget, state));
    },
  };
}
