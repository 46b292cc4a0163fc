import { connectionTypes } from '../../../lib/connection';
import { Product } from './product.entity';

// A page is as cacheable as the field that returns it (`products`: as the products it lists).
const { EdgeType, ConnectionType } = connectionTypes(Product, 'Product', { directives: ['@cacheControl(inheritMaxAge: true)'] });

export const ProductEdge = EdgeType;
export const ProductConnection = ConnectionType;
export type ProductConnection = InstanceType<typeof ConnectionType>;
