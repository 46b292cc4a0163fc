import { Embeddable, Property } from '@mikro-orm/core';
import { Address } from '../../../lib/address';

/**
 * The address an order ships to, copied at checkout: editing or deleting a
 * saved address in users must never change where a placed order went.
 * Served as the shared GraphQL `Address` type (see `toAddress`).
 */
@Embeddable()
export class ShippingAddress {
  @Property({ length: 200 })
  line1!: string;

  @Property({ length: 200, nullable: true })
  line2?: string | null;

  @Property({ length: 100 })
  city!: string;

  @Property({ length: 20 })
  postalCode!: string;

  @Property({ length: 2 })
  country!: string;
}

/**
 * The GraphQL view of an order's shipping address. It has no row of its own,
 * so it takes the order's id: stable, and unique among addresses.
 */
export function toAddress(orderId: string, shipping: ShippingAddress): Address {
  const address = new Address();
  address.id = orderId;
  address.line1 = shipping.line1;
  address.line2 = shipping.line2 ?? null;
  address.city = shipping.city;
  address.postalCode = shipping.postalCode;
  address.country = shipping.country;
  return address;
}
