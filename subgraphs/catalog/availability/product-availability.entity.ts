import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * Catalog's projection of a product's availability (owner: inventory), for
 * the `available` filter and the availability facet; written by SQL only
 * (product-availability.ts). Mapped so that the ORM's schema diff knows the
 * table. Not part of the GraphQL schema: clients read inventory's figures.
 */
@Entity({ tableName: 'product_availability' })
@Index({
  name: 'product_availability_in_stock_idx',
  expression: 'create index "product_availability_in_stock_idx" on "product_availability" ("product_id") where available_quantity > 0',
})
export class ProductAvailability {
  @PrimaryKey({ type: 'uuid' })
  productId!: string;

  /** Units inventory can sell now, over all variants and warehouses. */
  @Property({ type: 'integer' })
  availableQuantity!: number;

  /** When inventory's figure was true; a figure only replaces an older one. */
  @Property({ columnType: 'timestamptz(3)' })
  changedAt!: Date;
}
