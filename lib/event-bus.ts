import { AsyncLocalStorage } from 'node:async_hooks';
import { createPubSub } from '@graphql-yoga/subscription';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import Redis, { ReplyError } from 'ioredis';
import type { PubSub } from 'type-graphql';
import { requireAtStart } from './entry-point';
import type { EventPayloads, Topic } from './events';
import { createLogger, type Logger } from './logger';
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
   * serve them to clients (the gateway's response cache). The handler runs
   * in its own async context (AsyncLocalStorage), never the publisher's.
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
  return options.redisUrl
    ? redisEventBus(options.redisUrl, options.namespace ?? '', options.logger, options.requiredAtStart ?? true)
    : inProcessEventBus(options.logger ?? createLogger('events'));
}

type Listener = (payload: never) => unknown;
/** Runs a function in the async context captured by `AsyncLocalStorage.snapshot()`. */
type RunInContext = ReturnType<typeof AsyncLocalStorage.snapshot>;

/**
 * Delivers each event to `listen` handlers as Redis would: a handler runs in
 * the async context it subscribed from, never in the publisher's. Under
 * `npm start` the publisher is another subgraph's outbox relay, inside its
 * transaction: MikroORM finds a context's EntityManager through
 * AsyncLocalStorage by a name every subgraph's ORM shares, so a subscriber's
 * `orm.em.fork()` run in the publisher's context would fork the publisher's
 * EntityManager and write to the publisher's database. A failing handler is
 * logged; it neither fails the publisher (whose relay would publish again) nor
 * keeps the other handlers from their event.
 */
function inProcessEventBus(logger: Logger): EventBus {
  const pubSub = createPubSub();
  /** Each handler with the snapshot of its subscriber's async context. */
  const listeners = new Map<string, Map<Listener, RunInContext>>();
  const deliver = (topic: string, listener: Listener, inSubscriberContext: RunInContext, payload: unknown) => {
    const failed = (error: unknown) => logger.error({ err: error, topic }, 'an event handler failed');
    try {
      const result = inSubscriberContext(listener, payload as never);
      if (result instanceof Promise) result.catch(failed);
    } catch (error) {
      failed(error);
    }
  };
  return {
    kind: 'in-process',
    publish: async (topic, payload) => {
      pubSub.publish(topic, payload);
      for (const [listener, inSubscriberContext] of listeners.get(topic) ?? []) deliver(topic, listener, inSubscriberContext, payload);
    },
    pubSub: {
      publish: (topic: string, payload: unknown) => pubSub.publish(topic, payload),
      subscribe: (topic: string) => pubSub.subscribe(topic),
    },
    listen: async (topic, handler) => {
      const forTopic = listeners.get(topic) ?? listeners.set(topic, new Map()).get(topic)!;
      forTopic.set(handler as Listener, AsyncLocalStorage.snapshot());
      return async () => {
        forTopic.delete(handler as Listener);
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
