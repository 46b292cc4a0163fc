import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { startTestSubgraph, type TestSubgraph } from '../../../test/subgraph-harness';
import { ordersSubgraph } from '../orders.server';
import { Payment, PaymentOutcome } from './payment.entity';
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
});
