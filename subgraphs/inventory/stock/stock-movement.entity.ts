import { Check, Entity, Enum, Index, ManyToOne, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Warehouse } from '../warehouse/warehouse.entity';

export enum StockMovementKind {
  /** An ADMIN changed onHand (adjustStock). */
  ADJUSTMENT = 'ADJUSTMENT',
  /** Units were held for an order: reserved up. */
  RESERVE = 'RESERVE',
  /** A hold ended unsold (cancelled checkout or expiry): reserved down. */
  RELEASE = 'RELEASE',
  /** A hold became a sale: onHand and reserved down together. */
  COMMIT = 'COMMIT',
  /** A sold order was cancelled: its units are back on hand. */
  RESTOCK = 'RESTOCK',
}

/**
 * The audit trail of stock: one row per change of one stock level. `delta`
 * is the change of onHand and `reservedDelta` the change of reserved, so the
 * sums over a stock level's movements explain its figures (seeded stock
 * excepted, which has no movement).
 */
@Entity({ tableName: 'stock_movement' })
@Index({ name: 'stock_movement_product_id_created_at_idx', properties: ['productId', 'createdAt'] })
@Check({ name: 'stock_movement_nonzero_check', expression: 'delta <> 0 or reserved_delta <> 0' })
export class StockMovement {
  [OptionalProps]?: 'createdAt' | 'reservedDelta';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** Catalog's product id. */
  @Property({ type: 'uuid' })
  productId!: string;

  /** Catalog's variant id (the product's id for its default variant, and for every movement recorded before variants). */
  @Property({ type: 'uuid' })
  variantId!: string;

  @Index()
  @ManyToOne(() => Warehouse, { deleteRule: 'restrict' })
  warehouse!: Warehouse;

  @Enum({ items: () => StockMovementKind })
  kind!: StockMovementKind;

  /** Change of onHand. */
  @Property({ type: 'integer' })
  delta!: number;

  /** Change of reserved. */
  @Property({ type: 'integer', default: 0 })
  reservedDelta: number = 0;

  /** The ADMIN's reason of an adjustment, or why the system moved stock (e.g. an expired reservation). */
  @Property({ type: 'text', nullable: true })
  reason?: string | null;

  /** Who caused it; null for the system (the expiry sweeper) or an anonymous caller. */
  @Property({ type: 'uuid', nullable: true })
  actorId?: string | null;

  /** The order of a reservation movement. */
  @Index()
  @Property({ type: 'uuid', nullable: true })
  orderId?: string | null;

  @Property({ columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();
}
