import Redis from 'ioredis';
import type { Logger } from '../lib/logger';

export interface FailFastRedis {
  redis: Redis;
  /** Logs at most one warning a minute: a down Redis fails every reconnect and every command. */
  warn(fields: Record<string, unknown>, message: string): void;
}

/**
 * The gateway's Redis clients for request-time lookups (APQ cache, budgets):
 * commands fail at once while Redis is away (no offline queue, a short
 * command timeout) so callers fall back instead of holding requests, and the
 * client keeps reconnecting in the background. Connected before the first
 * request; an unreachable Redis at start is a warning, not a failed start.
 * `what` names the user in log lines and what happens meanwhile.
 */
export async function connectFailFastRedis(url: string, logger: Logger, what: { name: string; meanwhile: string; commandTimeoutMs: number }): Promise<FailFastRedis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2_000,
    enableOfflineQueue: false,
    commandTimeout: what.commandTimeoutMs,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 200, 5_000),
  });
  let lastWarning = 0;
  const warn = (fields: Record<string, unknown>, message: string) => {
    if (Date.now() - lastWarning < 60_000) return;
    lastWarning = Date.now();
    logger.warn(fields, message);
  };
  redis.on('error', (error) => warn({ err: error }, `${what.name}: Redis connection error; ${what.meanwhile} until it is back`));
  try {
    await redis.connect();
  } catch (error) {
    logger.warn({ err: error }, `${what.name}: Redis is not reachable at start; ${what.meanwhile} until it is`);
  }
  return { redis, warn };
}
