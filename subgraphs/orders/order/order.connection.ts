import { connectionTypes } from '../../../lib/connection';
import { Order } from './order.entity';

// A user's orders: about one viewer, never shared.
const { EdgeType, ConnectionType } = connectionTypes(Order, 'Order', { directives: ['@cacheControl(scope: PRIVATE)'] });

export const OrderEdge = EdgeType;
export const OrderConnection = ConnectionType;
export type OrderConnection = InstanceType<typeof ConnectionType>;
