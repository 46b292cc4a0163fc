import { GraphQLError } from 'graphql';
import { CheckoutAdmission, type CheckoutTurns } from './checkout-admission';
import type { CheckoutSettings } from './checkout.config';

/** Checkout's admission on a fake clock: turns per product, first come first served, bounded, with a deadline. */
const settings: CheckoutSettings = { concurrency: 100, concurrencyPerProduct: 2, queueLength: 3, queueWaitMs: 1_000, answerMs: 1_500, placeByMs: 3_000 };

/** The deadline of a checkout arriving now: CHECKOUT_QUEUE_WAIT_MS from now. */
const waitUntil = () => Date.now() + settings.queueWaitMs;

async function refusal(promise: Promise<unknown>): Promise<GraphQLError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(GraphQLError);
    return error as GraphQLError;
  }
  throw new Error('expected a refusal');
}

describe('CheckoutAdmission', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('admits up to the concurrency at once, then hands turns over in arrival order', async () => {
    const admission = new CheckoutAdmission(settings);
    const first = await admission.admit(['p'], waitUntil());
    const second = await admission.admit(['p'], waitUntil());
    const order: string[] = [];
    const waiting = ['a', 'b', 'c'].map((name) => admission.admit(['p'], waitUntil()).then((leave) => (order.push(name), leave)));
    expect(admission.waitingCount()).toBe(3);
    first.leave();
    second.leave();
    const [a, b] = await Promise.all(waiting.slice(0, 2));
    expect(order).toEqual(['a', 'b']);
    a.leave();
    (await waiting[2]).leave();
    b.leave();
    expect(order).toEqual(['a', 'b', 'c']);
    expect(admission.waitingCount()).toBe(0);
  });

  it('refuses at once beyond the queue length, with the product and when to come back; other products never wait', async () => {
    const admission = new CheckoutAdmission(settings);
    await admission.admit(['p'], waitUntil());
    await admission.admit(['p'], waitUntil());
    const queued = [1, 2, 3].map(() => admission.admit(['p'], waitUntil()));
    const error = await refusal(admission.admit(['p'], waitUntil()));
    expect(error.extensions).toMatchObject({ code: 'CHECKOUT_BUSY', productIds: ['p'] });
    expect(error.extensions.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(error.message).toMatch(/nothing was reserved or charged/);
    // Another product has its own lane.
    await expect(admission.admit(['q'], waitUntil())).resolves.toEqual(expect.objectContaining({ leave: expect.any(Function) }));
    jest.advanceTimersByTime(settings.queueWaitMs);
    for (const waiting of queued) expect((await refusal(waiting)).extensions.code).toBe('CHECKOUT_BUSY');
  });

  it('refuses a waiter whose turn does not come within the wait, and forgets it (the next one is still served)', async () => {
    const admission = new CheckoutAdmission({ ...settings, concurrencyPerProduct: 1 });
    const holder = await admission.admit(['p'], waitUntil());
    const late = admission.admit(['p'], waitUntil());
    jest.advanceTimersByTime(settings.queueWaitMs - 1);
    expect(admission.waitingCount()).toBe(1);
    jest.advanceTimersByTime(1);
    expect((await refusal(late)).extensions.code).toBe('CHECKOUT_BUSY');
    expect(admission.waitingCount()).toBe(0);
    const next = admission.admit(['p'], waitUntil());
    holder.leave();
    await expect(next).resolves.toEqual(expect.objectContaining({ leave: expect.any(Function) }));
  });

  it('bounds the checkouts of all products: one product\'s crowd holds at most half of them, other products get the rest', async () => {
    const admission = new CheckoutAdmission({ ...settings, concurrency: 4, concurrencyPerProduct: 3 });
    const hot = [await admission.admit(['hot'], waitUntil()), await admission.admit(['hot'], waitUntil())];
    // The crowd's third has a turn at its product, but its product holds half the turns of all already: it waits.
    let third: CheckoutTurns | undefined;
    const crowd = admission.admit(['hot'], waitUntil()).then((turns) => (third = turns));
    await Promise.resolve();
    expect(third).toBeUndefined();
    // The other half is free for other products, at once.
    const others = [await admission.admit(['a'], waitUntil()), await admission.admit(['b'], waitUntil())];
    // All four turns are taken: the next product waits for one, and gets the first that frees, before the crowd.
    let served = false;
    const next = admission.admit(['c'], waitUntil()).then((turns) => ((served = true), turns));
    await Promise.resolve();
    expect(served).toBe(false);
    others[0].leave();
    (await next).leave();
    expect(served).toBe(true);
    expect(third).toBeUndefined();
    hot[0].leave();
    (await crowd).leave();
    hot[1].leave();
    others[1].leave();
    expect(admission.waitingCount()).toBe(0);
    // Refused for lack of a turn of all: no product is named.
    const full = new CheckoutAdmission({ ...settings, concurrency: 1, queueLength: 0 });
    await full.admit(['a'], waitUntil());
    expect((await refusal(full.admit(['b'], waitUntil()))).extensions).toMatchObject({ code: 'CHECKOUT_BUSY', productIds: [] });
  });
  it('hands a freed turn of all to the waiter whose products hold the fewest, not to the crowd\'s next one', async () => {
    const admission = new CheckoutAdmission({ ...settings, concurrency: 6, concurrencyPerProduct: 4 });
    const holders = [await admission.admit(['hot'], waitUntil()), await admission.admit(['hot'], waitUntil())];
    holders.push(await admission.admit(['x'], waitUntil()), await admission.admit(['y'], waitUntil()), await admission.admit(['z'], waitUntil()), await admission.admit(['x'], waitUntil()));
    const order: string[] = [];
    // Both wait for one of the six; the crowd's came first, but its product holds 2, x holds 2 too, and w none.
    const hot3 = admission.admit(['hot'], waitUntil()).then((turns) => (order.push('hot3'), turns));
    const w = admission.admit(['w'], waitUntil()).then((turns) => (order.push('w'), turns));
    await Promise.resolve();
    holders[4].leave();
    (await w).leave();
    expect(order).toEqual(['w']);
    holders[0].leave();
    (await hot3).leave();
    expect(order).toEqual(['w', 'hot3']);
    for (const turns of holders) turns.leave();
  });
  it('gives a product\'s turn back once the stock is taken, keeping the turn of all until the checkout ends', async () => {
    const admission = new CheckoutAdmission({ ...settings, concurrency: 4, concurrencyPerProduct: 1 });
    const first = await admission.admit(['p'], waitUntil());
    let second: CheckoutTurns | undefined;
    const waiting = admission.admit(['p'], waitUntil()).then((turns) => (second = turns));
    await Promise.resolve();
    expect(second).toBeUndefined();
    first.leaveProducts();
    first.leaveProducts();
    await waiting;
    // A third gets the product's turn once the second has placed its order, but p holds half the turns of all (2 of 4) until the first ends.
    let third: CheckoutTurns | undefined;
    const later = admission.admit(['p'], waitUntil()).then((turns) => (third = turns));
    second!.leaveProducts();
    await Promise.resolve();
    expect(third).toBeUndefined();
    first.leave();
    await later;
    first.leave();
    second!.leave();
    third!.leave();
    expect(admission.waitingCount()).toBe(0);
  });
  it('refuses a checkout that arrives with its wait already over, cheaply, telling it when to come back', async () => {
    const admission = new CheckoutAdmission(settings);
    const error = admission.late();
    expect(error.extensions).toMatchObject({ code: 'CHECKOUT_BUSY', productIds: [], retryAfterSeconds: 1 });
    expect(error.message).toMatch(/took too long to reach checkout/);
    // A deadline already passed refuses at once at a lane that would have to wait, and admits where a turn is free.
    const one = new CheckoutAdmission({ ...settings, concurrency: 1 });
    const holder = await one.admit(['p'], waitUntil());
    expect((await refusal(one.admit(['q'], Date.now() - 1))).extensions.code).toBe('CHECKOUT_BUSY');
    holder.leave();
    await expect(one.admit(['q'], Date.now() - 1)).resolves.toEqual(expect.objectContaining({ leave: expect.any(Function) }));
  });
  it('tells refused buyers to come back one after another, in the order they came, not all at once', async () => {
    const admission = new CheckoutAdmission({ ...settings, concurrency: 1, concurrencyPerProduct: 1, queueLength: 0 });
    (await admission.admit(['p'], waitUntil())).leave();
    const held = await admission.admit(['p'], waitUntil());
    const told: number[] = [];
    for (let i = 0; i < 12; i += 1) told.push((await refusal(admission.admit(['p'], waitUntil()))).extensions.retryAfterSeconds as number);
    held.leave();
    // Non-decreasing, and spread: later buyers are told later times.
    expect(told).toEqual([...told].sort((a, b) => a - b));
    expect(told.at(-1)!).toBeGreaterThan(told[0]);
  });

  it('takes turns at several products in id order and gives every turn back when one cannot be had', async () => {
    const admission = new CheckoutAdmission({ ...settings, concurrencyPerProduct: 1, queueLength: 0 });
    const holdsB = await admission.admit(['b'], waitUntil());
    // a is free, b is taken and no one may wait: refused, and the turn at a is given back.
    expect((await refusal(admission.admit(['b', 'a'], waitUntil()))).extensions).toMatchObject({ productIds: ['b'] });
    const a = await admission.admit(['a'], waitUntil());
    a.leave();
    holdsB.leave();
    const both = await admission.admit(['b', 'a', 'b'], waitUntil());
    expect((await refusal(admission.admit(['a'], waitUntil()))).extensions.code).toBe('CHECKOUT_BUSY');
    both.leave();
    await expect(admission.admit(['a'], waitUntil())).resolves.toEqual(expect.objectContaining({ leave: expect.any(Function) }));
  });
});
