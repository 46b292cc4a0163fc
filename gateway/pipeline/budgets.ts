import { connectFailFastRedis } from '../fail-fast-redis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from '../../lib/logger';

/**
 * Counters of "how much has this key spent in the current window", shared by
 * every gateway replica through Redis (rate-limiter-flexible's atomic
 * counters), in memory when REDIS_URL is unset. Rate limits, credential
 * throttling and APQ registration quotas are all budgets.
 *
 * If Redis fails, each replica falls back to its own in-memory counter with
 * the same budget (rate-limiter-flexible's insurance limiter): limits get
 * looser by the number of replicas during the outage, but requests are
 * neither refused nor slowed for it.
 */
export interface Budget {
  readonly points: number;
  readonly windowSeconds: number;
  /** Spends `points`; `allowed` false when the budget was already short (nothing is spent then by our callers' semantics). */
  spend(key: string, points: number): Promise<BudgetState>;
  /** The state without spending. */
  peek(key: string): Promise<BudgetState>;
  /** Gives back points spent (never below zero). */
  refund(key: string, points: number): Promise<void>;
  /** Forgets a key (e.g. a successful login clears its failures). */
  reset(key: string): Promise<void>;
}

export interface BudgetState {
  allowed: boolean;
  /** Points left in this window (never negative). */
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
}

export interface BudgetStore {
  budget(name: string, points: number, windowSeconds: number): Budget;
  readonly kind: 'redis' | 'memory';
  close(): Promise<void>;
}

function stateOf(points: number, res: RateLimiterRes | null, allowed: boolean): BudgetState {
  const consumed = res?.consumedPoints ?? 0;
  return {
    allowed,
    remaining: Math.max(0, points - consumed),
    resetSeconds: res ? Math.max(0, Math.ceil(res.msBeforeNext / 1000)) : 0,
  };
}

/** Budgets in Redis under `<namespace>gateway:budget:<name>:<key>`, or in memory. */
export async function createBudgetStore(options: { redisUrl?: string; namespace: string; logger: Logger }): Promise<BudgetStore> {
  // rate-limiter-flexible's advice for ioredis: fail fast and let the insurance limiter answer.
  const redis = options.redisUrl
    ? (await connectFailFastRedis(options.redisUrl, options.logger, { name: 'budgets', meanwhile: 'each replica counts in memory', commandTimeoutMs: 500 })).redis
    : undefined;

  const budget = (name: string, points: number, windowSeconds: number): Budget => {
    const memory = new RateLimiterMemory({ points, duration: windowSeconds, keyPrefix: name });
    const limiter: RateLimiterAbstract = redis
      ? new RateLimiterRedis({
          storeClient: redis,
          points,
          duration: windowSeconds,
          keyPrefix: `${options.namespace}gateway:budget:${name}`,
          rejectIfRedisNotReady: true,
          insuranceLimiter: memory,
        })
      : memory;
    return {
      points,
      windowSeconds,
      async spend(key, cost) {
        try {
          const res = await limiter.consume(key, Math.max(0, cost));
          return stateOf(points, res, true);
        } catch (rejection) {
          if (rejection instanceof RateLimiterRes) return stateOf(points, rejection, false);
          throw rejection;
        }
      },
      async peek(key) {
        const res = await limiter.get(key);
        return stateOf(points, res, (res?.consumedPoints ?? 0) < points);
      },
      async refund(key, points) {
        await limiter.reward(key, points);
      },
      async reset(key) {
        await limiter.delete(key);
      },
    };
  };

  return {
    budget,
    kind: redis ? 'redis' : 'memory',
    close: async () => {
      redis?.disconnect();
    },
  };
}
