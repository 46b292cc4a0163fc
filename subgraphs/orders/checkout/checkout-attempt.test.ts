import { GraphQLError } from 'graphql';
import { ErrorCode, graphQLError } from '../../../lib/errors';
import type { Order } from '../order/order.entity';
import { CheckoutAttempt, type SagaOutcome } from './checkout-attempt';

/** The race between a checkout's saga and its answer times, on a fake clock. */
describe('CheckoutAttempt', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  const order = { id: 'order-1', status: 'PAID' } as unknown as Order;
  function saga() {
    let settle!: (outcome: SagaOutcome) => void;
    const outcome = new Promise<SagaOutcome>((resolve) => (settle = resolve));
    return { outcome, settle };
  }
  const attempt = () => new CheckoutAttempt(1_500, 3_000, 3_000);

  it('answers the saga\'s outcome when it ends in time', async () => {
    const { outcome, settle } = saga();
    const answer = attempt().answer(outcome);
    settle({ order });
    await expect(answer).resolves.toEqual({ order });
  });

  it('answers the placed order (PENDING) once the answer time has passed and the order is placed', async () => {
    const { outcome } = saga();
    const race = attempt();
    const answer = race.answer(outcome);
    await jest.advanceTimersByTimeAsync(1_500);
    race.beforePlacing();
    race.placed('order-1');
    await expect(answer).resolves.toEqual({ placedOrderId: 'order-1' });
  });

  it('gives up at the place-by time when the order is not being placed: the saga may then place nothing', async () => {
    const { outcome } = saga();
    const race = attempt();
    const answer = race.answer(outcome);
    await jest.advanceTimersByTimeAsync(3_000);
    const given = await answer;
    expect('error' in given && (given.error as GraphQLError).extensions.code).toBe(ErrorCode.CHECKOUT_BUSY);
    expect(race.gaveUp).toBe(true);
    expect(() => race.assertGoingOn()).toThrow(/nothing was reserved or charged/);
    expect(() => race.beforePlacing()).toThrow(/nothing was reserved or charged/);
  });

  it('waits for an order whose transaction is committing at the place-by time, and answers it', async () => {
    const { outcome } = saga();
    const race = attempt();
    const answer = race.answer(outcome);
    await jest.advanceTimersByTimeAsync(2_900);
    race.beforePlacing();
    await jest.advanceTimersByTimeAsync(500);
    race.placed('order-1');
    await expect(answer).resolves.toEqual({ placedOrderId: 'order-1' });
    expect(race.gaveUp).toBe(false);
  });

  it('answers the order as it stands when the saga fails after placing it, but PAYMENT_DECLINED as such', async () => {
    for (const [error, expected] of [
      [new Error('connection reset'), { placedOrderId: 'order-1' }],
      [graphQLError(ErrorCode.PAYMENT_DECLINED, 'declined'), 'error'],
    ] as const) {
      const { outcome, settle } = saga();
      const race = attempt();
      const answer = race.answer(outcome);
      race.beforePlacing();
      race.placed('order-1');
      settle({ error });
      const given = await answer;
      if (expected === 'error') expect(given).toEqual({ error });
      else expect(given).toEqual(expected);
    }
  });
});
