import { signAccessToken } from '../../lib/access-token';
import { Role } from '../../lib/identity';
import type { SubscriptionResult } from './federated-subscriptions';
import { endingAtExpiry, subscriptionExpiresAt } from './token-expiry';

const DONE = { done: true, value: undefined } as IteratorResult<SubscriptionResult>;

/** A subscription stream the test feeds by hand: each emit answers the oldest waiting read. */
function handFed() {
  const reads: ((step: IteratorResult<SubscriptionResult>) => void)[] = [];
  let returned = false;
  const stream: AsyncIterableIterator<SubscriptionResult> = {
    next: () => new Promise((resolve) => reads.push(resolve)),
    return: async () => {
      returned = true;
      for (const read of reads.splice(0)) read(DONE);
      return DONE;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return { stream, emit: (result: SubscriptionResult) => reads.shift()!({ done: false, value: result }), returned: () => returned };
}

const codeOf = (step: IteratorResult<SubscriptionResult>) => (step.value as SubscriptionResult | undefined)?.errors?.[0]?.extensions?.code;

describe('a subscription ending with its access token', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  it('passes events on until the expiry, then ends with one UNAUTHENTICATED result', async () => {
    const fed = handFed();
    const stream = endingAtExpiry(fed.stream, Date.now() + 1_000);
    const first = stream.next();
    fed.emit({ data: { n: 1 } });
    expect(await first).toEqual({ done: false, value: { data: { n: 1 } } });

    const waiting = stream.next();
    jest.advanceTimersByTime(999);
    fed.emit({ data: { n: 2 } });
    expect((await waiting).value).toEqual({ data: { n: 2 } });

    const atExpiry = stream.next();
    jest.advanceTimersByTime(1);
    const ended = await atExpiry;
    expect(codeOf(ended)).toBe('UNAUTHENTICATED');
    expect(ended.value?.data).toBeUndefined();
    expect(fed.returned()).toBe(true);
    expect(await stream.next()).toEqual(DONE);
  });

  it('does not pass on an event that arrives after the expiry, before the timer has run', async () => {
    const fed = handFed();
    const stream = endingAtExpiry(fed.stream, Date.now() + 1_000);
    const read = stream.next();
    // The clock passes the expiry while the event is being executed; timers have not run yet.
    jest.setSystemTime(Date.now() + 1_000);
    fed.emit({ data: { status: 'SHIPPED' } });
    const step = await read;
    expect(codeOf(step)).toBe('UNAUTHENTICATED');
    expect(fed.returned()).toBe(true);
    expect(await stream.next()).toEqual(DONE);
  });

  it('ends a subscription that is read again only after the expiry (the client was slow to take the last result)', async () => {
    const fed = handFed();
    const stream = endingAtExpiry(fed.stream, Date.now() + 1_000);
    jest.advanceTimersByTime(1_500);
    expect(fed.returned()).toBe(true);
    expect(codeOf(await stream.next())).toBe('UNAUTHENTICATED');
    expect(await stream.next()).toEqual(DONE);
  });

  it('leaves no timer behind when the client completes, or the stream ends, first', async () => {
    const completed = endingAtExpiry(handFed().stream, Date.now() + 60_000);
    expect(jest.getTimerCount()).toBe(1);
    await completed.return!();
    expect(jest.getTimerCount()).toBe(0);

    const fed = handFed();
    const ending = endingAtExpiry(fed.stream, Date.now() + 60_000);
    const read = ending.next();
    await fed.stream.return!();
    expect(await read).toEqual(DONE);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('reads the expiry of the verified token in the connection parameter, none without one', async () => {
    const token = await signAccessToken({ id: 'c0ffee00-0000-4000-8000-000000000001', role: Role.CUSTOMER }, 'a-secret-of-at-least-32-characters-long', 60);
    expect(subscriptionExpiresAt(`Bearer ${token}`)).toBe(Math.floor(Date.now() / 1000) * 1000 + 60_000);
    expect(subscriptionExpiresAt(`bearer  ${token} `)).toBe(Math.floor(Date.now() / 1000) * 1000 + 60_000);
    expect(subscriptionExpiresAt(undefined)).toBeNull();
  });
});
