import { Check, Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Warehouse } from '../warehouse/warehouse.entity';
import { Reservation } from './reservation.entity';

/**
 * Units of one product variant held in one warehouse for a reservation. A
 * variant spread over several warehouses gets one line per warehouse, so
 * release and commit give back exactly what was taken from each stock level.
 * Lines reserved before variants existed have variantId = productId (the
 * default variant).
 */
@Entity({ tableName: 'reservation_line' })
@Unique({ name: 'reservation_line_reservation_variant_warehouse_unique', properties: ['reservation', 'variantId', 'warehouse'] })
@Check({ name: 'reservation_line_quantity_check', expression: 'quantity > 0' })
export class ReservationLine {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Reservation, { deleteRule: 'cascade' })
  reservation!: Reservation;

  /** Catalog's product id: the product whose stock levels are locked to give the units back. */
  @Property({ type: 'uuid' })
  productId!: string;

  /** Catalog's variant id (the product's id for its default variant). */
  @Property({ type: 'uuid' })
  variantId!: string;

  @Index()
  @ManyToOne(() => Warehouse, { deleteRule: 'restrict' })
  warehouse!: Warehouse;

  @Property({ type: 'integer' })
  quantity!: number;
}
