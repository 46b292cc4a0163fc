import { connectionTypes } from '../../../lib/connection';
import { Order } from './order.entity';

const { EdgeType, ConnectionType } = connectionTypes(Order, 'Order');

export const OrderEdge = EdgeType;
export const OrderConnection = ConnectionType;
export type OrderConnection = InstanceType<typeof ConnectionType>;
