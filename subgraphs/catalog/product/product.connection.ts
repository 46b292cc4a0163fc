import { connectionTypes } from '../../../lib/connection';
import { Product } from './product.entity';

const { EdgeType, ConnectionType } = connectionTypes(Product, 'Product');

export const ProductEdge = EdgeType;
export const ProductConnection = ConnectionType;
export type ProductConnection = InstanceType<typeof ConnectionType>;
