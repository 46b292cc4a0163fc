import DataLoader from 'dataloader';
import type { EntityManager } from '../../lib/database';
import { entityLoader, groupLoader, uuidKeyedLoader } from '../../lib/loaders';
import { isUuid } from '../../lib/uuid';
import { OrderItem } from './order-item/order-item.entity';
import { OrderStatusEvent } from './order-status/order-status-event.entity';
import { ORDER_STATUS_RANK } from './order-status/order-status.enum';
import { Order } from './order/order.entity';

/** One user's page of orders, newest first: at most `limit` orders strictly after the keyset position `after`. */
export interface OrderPageKey {
  userId: string;
  limit: number;
  after: { createdAt: string; id: string } | null;
}

const pageKeyOf = (key: OrderPageKey) => `${key.userId}|${key.limit}|${key.after?.createdAt ?? ''}|${key.after?.id ?? ''}`;

/**
 * The pages of several users in one statement per distinct (limit, after):
 * a window function numbers each user's orders newest first, so `User.orders`
 * over many users (e.g. `_entities` with many representations) costs the same
 * as over one.
 */
async function loadOrderPages(em: EntityManager, keys: readonly OrderPageKey[]): Promise<Order[][]> {
  const groups = new Map<string, { limit: number; after: OrderPageKey['after']; userIds: Set<string> }>();
  for (const key of keys) {
    if (!isUuid(key.userId) || key.limit <= 0) continue;
    const groupKey = `${key.limit}|${key.after?.createdAt ?? ''}|${key.after?.id ?? ''}`;
    const group = groups.get(groupKey) ?? { limit: key.limit, after: key.after, userIds: new Set<string>() };
    group.userIds.add(key.userId);
    groups.set(groupKey, group);
  }
  const knex = em.getKnex();
  const pages = new Map<string, Order[]>();
  await Promise.all(
    [...groups.values()].map(async ({ limit, after, userIds }) => {
      const ranked = knex('customer_order as o')
        .select('o.*', knex.raw('row_number() over (partition by o.user_id order by o.created_at desc, o.id desc) as page_position'))
        .whereIn('o.user_id', [...userIds]);
      if (after) ranked.whereRaw('(o.created_at, o.id) < (?::timestamptz, ?::uuid)', [after.createdAt, after.id]);
      const query = knex.select('*').from(ranked.as('ranked')).where('page_position', '<=', limit).orderBy([
        { column: 'user_id' },
        { column: 'page_position' },
      ]);
      const rows = await em.getConnection().execute<Record<string, unknown>[]>(query);
      for (const row of rows) {
        const order = em.map(Order, row);
        const pageKey = pageKeyOf({ userId: order.userId, limit, after });
        const page = pages.get(pageKey);
        if (page) page.push(order);
        else pages.set(pageKey, [order]);
      }
    }),
  );
  return keys.map((key) => pages.get(pageKeyOf(key)) ?? []);
}

async function countOrders(em: EntityManager, userIds: string[]): Promise<Map<string, number>> {
  const rows = await em
    .getConnection()
    .execute<{ user_id: string; count: string }[]>(
      em.getKnex()('customer_order').select('user_id').count({ count: '*' }).whereIn('user_id', userIds).groupBy('user_id'),
    );
  return new Map(rows.map((row) => [row.user_id, Number(row.count)]));
}

export function createOrdersLoaders(em: EntityManager) {
  return {
    orderById: entityLoader(em, Order),
    /** Lines of each order, by variant id (the order of the unique index that serves the lookup). */
    itemsByOrderId: groupLoader(
      (orderIds: readonly string[]) => em.find(OrderItem, { order: { $in: [...orderIds] } }, { orderBy: { order: 'asc', variantId: 'asc' } }),
      (item) => item.order.id,
    ),
    /** Status history of each order, oldest first; same-millisecond events in state-machine order. */
    statusHistoryByOrderId: groupLoader(
      async (orderIds: readonly string[]) => {
        const events = await em.find(OrderStatusEvent, { order: { $in: [...orderIds] } }, { orderBy: { order: 'asc', at: 'asc' } });
        return events.sort((a, b) => a.at.getTime() - b.at.getTime() || ORDER_STATUS_RANK[a.status] - ORDER_STATUS_RANK[b.status]);
      },
      (event) => event.order.id,
    ),
    orderPageByUser: new DataLoader<OrderPageKey, Order[], string>((keys) => loadOrderPages(em, keys), { cacheKeyFn: pageKeyOf }),
    orderCountByUserId: uuidKeyedLoader((userIds) => countOrders(em, userIds), 0),
  };
}

export type OrdersLoaders = ReturnType<typeof createOrdersLoaders>;
