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
  /**
   * Calls `handler` with every event of `topic` once the subscription is in
   * place (it resolves then, which waits for Redis if it is away), until the
   * returned function is called. For consumers that act on events rather than
   * serve them to clients (the gateway's response cache).
   */
  listen<T extends Topic>(topic: T, handler: (payload: EventPayloads[T]) => void): Promise<() => Promise<void>>;
  /**
   * Whether events are being received right now: always for the in-process bus;
   * for Redis, while the subscriber connection is up and every `listen` has
   * subscribed. Events published while it was down are lost to this process,
   * so a consumer that keeps state derived from them must distrust that state
   * until `onReconnect`.
   */
  receiving(): boolean;
  /** Runs `listener` each time the subscriber connection is back after a loss. */
  onReconnect(listener: () => void): void;
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
  const listeners = new Map<string, Set<(payload: never) => void>>();
  return {
    kind: 'in-process',
    publish: async (topic, payload) => {
      pubSub.publish(topic, payload);
      for (const listener of listeners.get(topic) ?? []) listener(payload as never);
    },
    pubSub: {
      publish: (topic: string, payload: unknown) => pubSub.publish(topic, payload),
      subscribe: (topic: string) => pubSub.subscribe(topic),
    },
    listen: async (topic, handler) => {
      const forTopic = listeners.get(topic) ?? listeners.set(topic, new Set()).get(topic)!;
      forTopic.add(handler as (payload: never) => void);
      return async () => {
        forTopic.delete(handler as (payload: never) => void);
      };
    },
    receiving: () => true,
    onReconnect: () => undefined,
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
  const subscriber = connect('subscriber');
  const reconnectListeners: (() => void)[] = [];
  let lostSubscriber = false;
  /** `listen` calls whose SUBSCRIBE has not been answered yet. */
  let subscribing = 0;
  subscriber.on('close', () => {
    lostSubscriber = true;
  });
  subscriber.on('ready', () => {
    if (!lostSubscriber) return;
    lostSubscriber = false;
    for (const listener of reconnectListeners) listener();
  });
  const pubSub = new RedisPubSub({ publisher, subscriber });
  const channel = (topic: string) => `${namespace}${topic}`;
  return {
    kind: 'redis',
    publish: (topic, payload) => pubSub.publish(channel(topic), payload),
    pubSub: {
      publish: (topic: string, payload: unknown) => void pubSub.publish(channel(topic), payload),
      subscribe: (topic: string) => pubSub.asyncIterableIterator(channel(topic)) as AsyncIterable<unknown>,
    },
    listen: async (topic, handler) => {
      subscribing += 1;
      try {
        const id = await pubSub.subscribe(channel(topic), handler as (payload: unknown) => void);
        return async () => pubSub.unsubscribe(id);
      } finally {
        subscribing -= 1;
      }
    },
    receiving: () => subscribing === 0 && subscriber.status === 'ready',
    onReconnect: (listener) => {
      reconnectListeners.push(listener);
    },
    close: async () => {
      // QUIT waits for a connection that may never come (Redis away): then just drop the sockets.
      if (publisher.status === 'ready' && subscriber.status === 'ready') {
        await pubSub.close();
      } else {
        publisher.disconnect();
        subscriber.disconnect();
      }
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
