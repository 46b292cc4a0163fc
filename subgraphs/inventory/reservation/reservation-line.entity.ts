import { Check, Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Warehouse } from '../warehouse/warehouse.entity';
import { Reservation } from './reservation.entity';

/**
 * Units of one product held in one warehouse for a reservation. A product
 * spread over several warehouses gets one line per warehouse, so release and
 * commit give back exactly what was taken from each stock level.
 */
@Entity({ tableName: 'reservation_line' })
@Unique({ name: 'reservation_line_reservation_product_warehouse_unique', properties: ['reservation', 'productId', 'warehouse'] })
@Check({ name: 'reservation_line_quantity_check', expression: 'quantity > 0' })
export class ReservationLine {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Reservation, { deleteRule: 'cascade' })
  reservation!: Reservation;

  /** Catalog's product id. */
  @Property({ type: 'uuid' })
  productId!: string;

  @Index()
  @ManyToOne(() => Warehouse, { deleteRule: 'restrict' })
  warehouse!: Warehouse;

  @Property({ type: 'integer' })
  quantity!: number;
}
