import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { startTestSubgraph, type TestSubgraph } from '../../../test/subgraph-harness';
import { ordersSubgraph } from '../orders.server';
import { Payment, PaymentOutcome, PaymentRefund } from './payment.entity';
import { PaymentService } from './payment.service';

describe('mock payment provider', () => {
  let orders: TestSubgraph;
  const payments = new PaymentService();
  const total = { amount: 12_345, currency: 'USD' };

  beforeAll(async () => {
    orders = await startTestSubgraph(ordersSubgraph);
  }, 30_000);
  afterAll(() => orders?.stop());

  const rowsFor = (orderId: string) => orders.orm.em.fork().find(Payment, { orderId });

  it('approves tok_visa and declines tok_declined, recording amount, currency and token', async () => {
    const approvedId = randomUUID();
    const declinedId = randomUUID();
    const approved = await payments.charge(orders.orm.em.fork(), approvedId, 'tok_visa', total);
    const declined = await payments.charge(orders.orm.em.fork(), declinedId, 'tok_declined', total);
    expect(approved).toMatchObject({ orderId: approvedId, token: 'tok_visa', amount: 12_345, currency: 'USD', outcome: PaymentOutcome.APPROVED });
    expect(declined).toMatchObject({ orderId: declinedId, token: 'tok_declined', outcome: PaymentOutcome.DECLINED });
    expect(approved.createdAt).toBeInstanceOf(Date);
  });

  it('charges an order once: a retry, even with another token or amount, gets the first outcome', async () => {
    const orderId = randomUUID();
    const first = await payments.charge(orders.orm.em.fork(), orderId, 'tok_declined', total);
    const again = await payments.charge(orders.orm.em.fork(), orderId, 'tok_visa', { amount: 1, currency: 'EUR' });
    expect(again).toMatchObject({ id: first.id, outcome: PaymentOutcome.DECLINED, token: 'tok_declined', amount: 12_345, currency: 'USD' });
    expect(await rowsFor(orderId)).toHaveLength(1);
    expect(await payments.forOrder(orders.orm.em.fork(), orderId)).toMatchObject({ id: first.id });
    expect(await payments.forOrder(orders.orm.em.fork(), randomUUID())).toBeNull();
  });

  it('keeps one charge when many attempts for one order race', async () => {
    const orderId = randomUUID();
    const attempts = await Promise.all(
      Array.from({ length: 12 }, (_, i) => payments.charge(orders.orm.em.fork(), orderId, i % 2 === 0 ? 'tok_visa' : 'tok_declined', total)),
    );
    const rows = await rowsFor(orderId);
    expect(rows).toHaveLength(1);
    expect(new Set(attempts.map((payment) => payment.id))).toEqual(new Set([rows[0].id]));
    expect(new Set(attempts.map((payment) => payment.outcome))).toEqual(new Set([rows[0].outcome]));
  });

  it('refuses a token it does not know with BAD_USER_INPUT, recording nothing', async () => {
    const orderId = randomUUID();
    for (const token of ['tok_mastercard', '', 'TOK_VISA', 'constructor', '__proto__']) {
      let thrown: unknown;
      try {
        await payments.charge(orders.orm.em.fork(), orderId, token, total);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(GraphQLError);
      expect((thrown as GraphQLError).extensions.code).toBe('BAD_USER_INPUT');
    }
    expect(await rowsFor(orderId)).toHaveLength(0);
  });
  it('authorizes and captures apart, each once; charge does both, and a declined payment cannot be captured', async () => {
    const orderId = randomUUID();
    const authorized = await payments.authorize(orders.orm.em.fork(), orderId, 'tok_visa', total);
    expect(authorized).toMatchObject({ outcome: PaymentOutcome.APPROVED, capturedAt: null });
    const captured = await payments.capture(orders.orm.em.fork(), orderId);
    expect(captured.capturedAt).toBeInstanceOf(Date);
    expect((await payments.capture(orders.orm.em.fork(), orderId)).capturedAt).toEqual(captured.capturedAt);
    expect((await payments.charge(orders.orm.em.fork(), randomUUID(), 'tok_visa', total)).capturedAt).toBeInstanceOf(Date);
    const declinedId = randomUUID();
    expect((await payments.charge(orders.orm.em.fork(), declinedId, 'tok_declined', total)).capturedAt).toBeNull();
    await expect(payments.capture(orders.orm.em.fork(), declinedId)).rejects.toThrow(/No approved payment/);
  });

  it('refunds once per key, never more than was captured, and nothing that was not captured', async () => {
    const orderId = randomUUID();
    await payments.charge(orders.orm.em.fork(), orderId, 'tok_visa', total);
    const attempts = await Promise.all(Array.from({ length: 6 }, () => payments.refund(orders.orm.em.fork(), `refund-${orderId}`, orderId, total)));
    expect(new Set(attempts.map((refund) => refund.id)).size).toBe(1);
    expect(attempts[0]).toMatchObject({ orderId, amount: 12_345, currency: 'USD' });
    expect(await orders.orm.em.fork().find(PaymentRefund, { orderId })).toHaveLength(1);
    await expect(payments.refund(orders.orm.em.fork(), randomUUID(), orderId, { amount: 1, currency: 'USD' })).rejects.toThrow(/left to refund/);

    const authorizedOnly = randomUUID();
    await payments.authorize(orders.orm.em.fork(), authorizedOnly, 'tok_visa', total);
    await expect(payments.refund(orders.orm.em.fork(), randomUUID(), authorizedOnly, total)).rejects.toThrow(/Nothing was captured/);
    await expect(payments.refund(orders.orm.em.fork(), randomUUID(), randomUUID(), total)).rejects.toThrow(/Nothing was captured/);
    expect(await payments.refundsFor(orders.orm.em.fork(), authorizedOnly)).toEqual([]);
  });
});
