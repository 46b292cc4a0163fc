import { accessTokenExpiresAt } from '../../lib/access-token';
import { unauthenticated } from '../../lib/errors';
import type { SubscriptionResult } from './federated-subscriptions';

/** setTimeout's longest delay; a later expiry re-arms the timer when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const DONE: IteratorResult<SubscriptionResult> = Object.freeze({ done: true, value: undefined }) as IteratorResult<SubscriptionResult>;

/**
 * When the access token that authenticated a subscription expires (ms since
 * the epoch), or null when it was not authenticated by one. `authorization`
 * is the value the gateway's authentication step verified for this operation
 * (the connection's `authorization` parameter): a subscription with a viewer
 * carries the viewer's rights only as long as the token that proved them.
 */
export function subscriptionExpiresAt(authorization: string | undefined): number | null {
  const token = authorization && /^Bearer\s+(\S+)$/i.exec(authorization.trim())?.[1];
  return token ? accessTokenExpiresAt(token) : null;
}

/** What a client is told when its subscription ends because its token expired. */
function tokenExpired(): SubscriptionResult {
  return { errors: [unauthenticated('The access token of this subscription has expired: refresh it and subscribe again on a connection authorised with the new one')] };
}

/**
 * A subscription's stream that ends at `expiresAt`: a timer ends it then (the
 * client gets one UNAUTHENTICATED result, then `complete`), and every result
 * is checked against the clock as it is handed to graphql-ws, which sends it
 * in the same turn of the event loop, so an event that was already being
 * executed when the token expired is not delivered either.
 *
 * Like `observed`, not an async generator: `return()` must not wait for the
 * next event.
 */
export function endingAtExpiry(stream: AsyncIterableIterator<SubscriptionResult>, expiresAt: number): AsyncIterableIterator<SubscriptionResult> {
  /** Past the expiry (or returned): nothing more from `stream` is passed on. */
  let expired = false;
  /** The UNAUTHENTICATED result was handed out (or is not owed: the client completed). */
  let told = false;
  let timer: NodeJS.Timeout | undefined;

  const stopTimer = () => {
    clearTimeout(timer);
    timer = undefined;
  };
  const expire = () => {
    stopTimer();
    if (expired) return;
    expired = true;
    // Leaves the subscription's group; a read waiting on it resolves as done, which `checked` turns into the error.
    void stream.return?.();
  };
  const arm = () => {
    const wait = expiresAt - Date.now();
    if (wait <= 0) return expire();
    // Unreferenced: an open subscription must not keep a stopping process alive (drain completes it anyway).
    timer = setTimeout(arm, Math.min(wait, MAX_TIMER_MS)).unref();
  };
  const afterExpiry = (): IteratorResult<SubscriptionResult> => {
    if (told) return DONE;
    told = true;
    return { done: false, value: tokenExpired() };
  };
  const checked = (step: IteratorResult<SubscriptionResult>): IteratorResult<SubscriptionResult> => {
    if (Date.now() >= expiresAt) expire();
    if (expired) return afterExpiry();
    if (step.done) stopTimer();
    return step;
  };

  arm();
  return {
    next() {
      if (expired || Date.now() >= expiresAt) {
        expire();
        return Promise.resolve(afterExpiry());
      }
      return stream.next().then(checked);
    },
    return(value?: unknown) {
      stopTimer();
      expired = true;
      told = true;
      return stream.return ? stream.return(value as never) : Promise.resolve(DONE);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
