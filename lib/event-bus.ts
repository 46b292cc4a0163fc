import { createPubSub } from '@graphql-yoga/subscription';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import Redis, { ReplyError } from 'ioredis';
import type { PubSub } from 'type-graphql';
import { requireAtStart } from './entry-point';
import type { EventPayloads, Topic } from './events';
import type { Logger } from './logger';
import { connectFailure, StartupError } from './startup-error';

/**
 * Carries published domain events to subscription resolvers. Redis pub/sub
 * (graphql-redis-subscriptions) when REDIS_URL is set, so every process and
 * replica sees every event; in-process otherwise, which is only correct when
 * all services share one process (`npm start`).
 */
export interface EventBus {
  readonly kind: 'redis' | 'in-process';
  publish<T extends Topic>(topic: T, payload: EventPayloads[T]): Promise<void>;
  /** The view type-graphql's `@Subscription({ topics })` consumes. */
  readonly pubSub: PubSub;
  close(): Promise<void>;
}

export interface EventBusOptions {
  redisUrl?: string;
  /** Prefix of Redis channels, so test runs or environments sharing a Redis stay apart. */
  namespace?: string;
  logger?: Logger;
  /**
   * An unreachable Redis at start ends the program (under runMain): true for
   * a process whose events would otherwise be stuck (default); a service that
   * publishes nothing runs on and reconnects in the background.
   */
  requiredAtStart?: boolean;
}

export function createEventBus(options: EventBusOptions = {}): EventBus {
  return options.redisUrl ? redisEventBus(options.redisUrl, options.namespace ?? '', options.logger, options.requiredAtStart ?? true) : inProcessEventBus();
}

function inProcessEventBus(): EventBus {
  const pubSub = createPubSub();
  return {
    kind: 'in-process',
    publish: async (topic, payload) => pubSub.publish(topic, payload),
    pubSub: {
      publish: (topic: string, payload: unknown) => pubSub.publish(topic, payload),
      subscribe: (topic: string) => pubSub.subscribe(topic),
    },
    close: async () => undefined,
  };
}

function redisEventBus(url: string, namespace: string, logger: Logger | undefined, requiredAtStart: boolean): EventBus {
  // Reconnect forever: a Redis restart must not end the process; ioredis resubscribes on reconnect.
  let connected = false;
  let startChecked = false;
  const connect = (role: string) => {
    const client = new Redis(url, { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(times * 200, 5_000) });
    client.on('error', (error) => {
      // Before the first connection of a checked start, the failed start reports it (one line, see below).
      if (connected || !startChecked) logger?.warn({ err: error, role }, 'event bus Redis connection error');
    });
    return client;
  };
  const publisher = connect('publisher');
  // A program cannot start with its events stuck: an unreachable Redis at start ends it (under runMain).
  const firstConnection = new Promise<void>((resolve, reject) => {
    publisher.once('ready', () => {
      connected = true;
      resolve();
    });
    publisher.once('error', (error) => {
      if (!connected) reject(redisStartFailure(error, url));
    });
  });
  if (requiredAtStart) startChecked = requireAtStart(firstConnection);
  else firstConnection.catch(() => undefined);
  const pubSub = new RedisPubSub({ publisher, subscriber: connect('subscriber') });
  const channel = (topic: string) => `${namespace}${topic}`;
  return {
    kind: 'redis',
    publish: (topic, payload) => pubSub.publish(channel(topic), payload),
    pubSub: {
      publish: (topic: string, payload: unknown) => void pubSub.publish(channel(topic), payload),
      subscribe: (topic: string) => pubSub.asyncIterableIterator(channel(topic)) as AsyncIterable<unknown>,
    },
    close: async () => {
      await pubSub.close();
    },
  };
}

/** Redis failing before its first connection, as a StartupError naming REDIS_URL. */
function redisStartFailure(error: unknown, url: string): unknown {
  const server = `Redis for events at ${new URL(url).host}`;
  const failure = connectFailure(error, server, 'REDIS_URL');
  if (failure !== error || !(error instanceof Error)) return failure;
  const said = error.message.replace(/\.$/, '');
  // Redis answered and refused (a wrong password): its own words; anything else answered, but not as Redis.
  return error instanceof ReplyError
    ? new StartupError(`${server} refused the connection: ${said}: correct REDIS_URL`, 'REDIS_URL', { cause: error })
    : new StartupError(`${server} answered, but not as Redis does (${said}): check that REDIS_URL names a Redis server`, 'REDIS_URL', { cause: error });
}
