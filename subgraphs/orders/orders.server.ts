import { entityReference } from '../../lib/entity-references';
import { createSubgraphServer, type SubgraphDefinition, type SubgraphDeps } from '../../lib/subgraph';
import { ordersMigrations } from './migrations';
import { OrderItem } from './order-item/order-item.entity';
import { OrderItemResolver } from './order-item/order-item.resolver';
import { OrderStatusEvent } from './order-status/order-status-event.entity';
import { Order } from './order/order.entity';
import { OrderResolver } from './order/order.resolver';
import { OrderService } from './order/order.service';
import { PostalAddress } from '../../lib/address';
import { OutboxEvent } from '../../lib/outbox';
import { Payment, PaymentRefund } from './payment/payment.entity';
import { DiscountRedemption } from './discount/discount-redemption.entity';
import { startOrderRecovery } from './recovery/order-recovery';
import { ordersSettings, type OrdersConfig } from './orders.config';
import type { OrdersContext } from './orders.context';
import { createOrdersLoaders, type OrdersLoaders } from './orders.loaders';
import { seedOrders } from './orders.seed';
import { UserOrdersResolver } from './user/user.resolver';
import { UserOrders } from './user/user.type';

const orderService = new OrderService();

export const ordersSubgraph: SubgraphDefinition<OrdersLoaders, OrdersConfig> = {
  name: 'orders',
  env: ordersSettings,
  database: { name: 'orders', entities: [Order, OrderItem, OrderStatusEvent, PostalAddress, Payment, PaymentRefund, DiscountRedemption, OutboxEvent], migrations: ordersMigrations },
  resolvers: [OrderResolver, OrderItemResolver, UserOrdersResolver],
  referenceResolvers: {
    // The same rule as Query.order: other people's orders do not exist for the caller.
    Order: (reference, ctx: OrdersContext) => orderService.visibleOrder(ctx, reference.id),
    User: (reference) => entityReference(UserOrders, reference.id),
  },
  createLoaders: createOrdersLoaders,
  seed: seedOrders,
  publishesEvents: true,
  startBackgroundTasks: startOrderRecovery,
};

export function createServer(deps: SubgraphDeps) {
  return createSubgraphServer(ordersSubgraph, deps);
}
