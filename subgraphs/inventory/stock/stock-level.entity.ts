import { Check, Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Directive, Field, Int, ObjectType } from 'type-graphql';
import { Warehouse } from '../warehouse/warehouse.entity';

/**
 * How many units of one product variant one warehouse holds. `variantId` and
 * `productId` are catalog's ids: there is no product table here (database per
 * service), so no foreign key. A product's default variant has the product's
 * id, so its rows have variantId = productId (as every row stocked before
 * variants existed). productId is kept on every row for product-wide sums
 * (product_stock keeps them up to date: see stock/stock-ledger.ts).
 * The checks make overselling impossible at the database level, whatever a
 * concurrent writer does: stock can only be reserved while it is on hand.
 */
@ObjectType({ description: 'Stock of one product variant in one warehouse.' })
// Back-office data (ADMIN only): never shared.
@Directive('@cacheControl(scope: PRIVATE)')
@Entity({ tableName: 'stock_level' })
@Unique({ name: 'stock_level_variant_id_warehouse_id_unique', properties: ['variantId', 'warehouse'] })
@Index({ name: 'stock_level_product_id_index', properties: ['productId'] })
@Check({ name: 'stock_level_reserved_check', expression: 'reserved >= 0' })
@Check({ name: 'stock_level_on_hand_check', expression: 'on_hand >= reserved' })
export class StockLevel {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  productId!: string;

  /** A reference only: StockLevel.variant resolves to the ProductVariant of this id. */
  @Property({ type: 'uuid' })
  variantId!: string;

  /** A reference only: the resolver loads it through the warehouse loader. */
  @Field(() => Warehouse, { description: 'The warehouse holding this stock' })
  @Index()
  @ManyToOne(() => Warehouse, { deleteRule: 'restrict' })
  warehouse!: Warehouse;

  @Field(() => Int, { description: 'Units physically in the warehouse, including reserved ones' })
  @Property({ type: 'integer' })
  onHand!: number;

  @Field(() => Int, { description: 'Units held for orders that are not yet paid or shipped' })
  @Property({ type: 'integer', default: 0 })
  reserved: number = 0;

  @Property({ columnType: 'timestamptz(3)', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
