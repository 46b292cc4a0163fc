import type { EntityManager } from '../../lib/database';
import { DEMO_USERS, demoCatalog, demoId } from '../../lib/demo-data';
import type { Logger } from '../../lib/logger';
import { OrderItem } from './order-item/order-item.entity';
import { OrderStatusEvent } from './order-status/order-status-event.entity';
import { OrderStatus } from './order-status/order-status.enum';
import { Order } from './order/order.entity';

interface DemoOrder {
  key: string;
  /** Indexes into the demo catalog's products (none of them sold out) and quantities. */
  lines: { product: number; quantity: number }[];
  /** Each status with its time; the last one is the order's current status. */
  history: { status: OrderStatus; at: string; note?: string }[];
}

const DEMO_ORDERS: DemoOrder[] = [
  {
    key: 'delivered',
    lines: [
      { product: 0, quantity: 1 },
      { product: 13, quantity: 2 },
    ],
    history: [
      { status: OrderStatus.PENDING, at: '2026-02-03T10:15:00.000Z' },
      { status: OrderStatus.PAID, at: '2026-02-03T10:15:02.000Z' },
      { status: OrderStatus.SHIPPED, at: '2026-02-04T08:30:00.000Z', note: 'Shipped from the Amsterdam fulfilment centre' },
      { status: OrderStatus.DELIVERED, at: '2026-02-06T14:05:00.000Z' },
    ],
  },
  {
    key: 'paid',
    lines: [
      { product: 52, quantity: 1 },
      { product: 101, quantity: 1 },
      { product: 142, quantity: 3 },
    ],
    history: [
      { status: OrderStatus.PENDING, at: '2026-03-14T16:40:00.000Z' },
      { status: OrderStatus.PAID, at: '2026-03-14T16:40:01.000Z' },
    ],
  },
];

const DEMO_SHIPPING_ADDRESS = { line1: 'Keizersgracht 123', line2: '2nd floor', city: 'Amsterdam', postalCode: '1015 CJ', country: 'NL' };

/**
 * Two orders of the demo customer, so "my orders" shows something on a fresh
 * start. Ids derive from names, so a second run finds them and adds nothing.
 */
export async function seedOrders(em: EntityManager, log: Logger): Promise<void> {
  const customer = DEMO_USERS.find((user) => user.role === 'CUSTOMER');
  if (!customer) throw new Error('The demo data has no customer');
  const { products } = demoCatalog();
  await em.transactional(async (tx) => {
    const ids = DEMO_ORDERS.map((demo) => demoId('order', demo.key));
    const known = new Set((await tx.find(Order, { id: { $in: ids } }, { fields: ['id'] })).map((order) => order.id));
    let added = 0;
    for (const demo of DEMO_ORDERS) {
      const id = demoId('order', demo.key);
      if (known.has(id)) continue;
      const lines = demo.lines.map(({ product, quantity }) => ({ product: products[product], quantity }));
      const currency = lines[0].product.currency;
      const subtotal = lines.reduce((sum, line) => sum + line.product.priceAmount * line.quantity, 0);
      const order = tx.create(Order, {
        id,
        userId: customer.id,
        status: demo.history[demo.history.length - 1].status,
        // Placed, as far as the demo tells, before shipping and tax were charged: no shipping method, cost = the lines.
        totalAmount: subtotal,
        subtotalAmount: subtotal,
        currency,
        shippingAddress: DEMO_SHIPPING_ADDRESS,
        idempotencyKey: null,
        // No reservation or cart behind demo orders: nothing for recovery to commit or complete.
        stockCommitted: true,
        cartCompleted: true,
        createdAt: new Date(demo.history[0].at),
        updatedAt: new Date(demo.history[demo.history.length - 1].at),
      });
      for (const line of lines) {
        tx.create(OrderItem, {
          id: demoId('order-item', `${demo.key}:${line.product.sku}`),
          order,
          productId: line.product.id,
          // The product's default variant.
          variantId: line.product.id,
          quantity: line.quantity,
          unitPriceAmount: line.product.priceAmount,
          currency: line.product.currency,
        });
      }
      for (const event of demo.history) {
        tx.create(OrderStatusEvent, {
          id: demoId('order-status-event', `${demo.key}:${event.status}`),
          order,
          status: event.status,
          at: new Date(event.at),
          note: event.note ?? null,
        });
      }
      added += 1;
    }
    log.info({ orders: added }, 'seeded orders demo data');
  });
}
