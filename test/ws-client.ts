import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';

export interface Subscription<T = any> {
  /** Results in arrival order. */
  readonly results: FormattedExecutionResult<T, unknown>[];
  /** Resolves with the next result not yet taken (waits up to `timeoutMs`). */
  next(timeoutMs?: number): Promise<FormattedExecutionResult<T, unknown>>;
  /** Resolves when the server ends the subscription: with its errors, or null on `complete`. */
  readonly ended: Promise<readonly unknown[] | null>;
  unsubscribe(): void;
}

/** A real graphql-ws client (the protocol Apollo Client's GraphQLWsLink speaks) for `ws://.../graphql`. */
export function wsClient(httpUrl: string, token?: string): Client {
  return createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
}

export function subscribe<T = any>(client: Client, query: string, variables: Record<string, unknown> = {}): Subscription<T> {
  const results: FormattedExecutionResult<T, unknown>[] = [];
  const waiters: ((result: FormattedExecutionResult<T, unknown>) => void)[] = [];
  let taken = 0;
  let resolveEnded!: (value: readonly unknown[] | null) => void;
  const ended = new Promise<readonly unknown[] | null>((resolve) => (resolveEnded = resolve));
  const unsubscribe = client.subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        results.push(result);
        const waiter = waiters.shift();
        if (waiter) {
          taken += 1;
          waiter(result);
        }
      },
      error: (error) => resolveEnded(Array.isArray(error) ? error : [error]),
      complete: () => resolveEnded(null),
    },
  );
  return {
    results,
    ended,
    unsubscribe,
    next: (timeoutMs = 5_000) => {
      if (taken < results.length) return Promise.resolve(results[taken++]);
      return new Promise((resolve, reject) => {
        const waiter = (result: FormattedExecutionResult<T, unknown>) => {
          clearTimeout(timer);
          resolve(result);
        };
        // A waiter that timed out leaves the queue: a later result goes to the next caller, not to nobody.
        const timer = setTimeout(() => {
          const index = waiters.indexOf(waiter);
          if (index >= 0) waiters.splice(index, 1);
          reject(new Error(`no subscription result within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
  };
}
