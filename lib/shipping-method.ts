import { Directive, Field, ID, ObjectType } from 'type-graphql';

/**
 * A shipping method: cart offers it (Cart.cost, Cart.shippingRates,
 * Query.shippingMethods) and orders keeps a snapshot of the chosen one
 * (Order.shippingMethod). A value type both declare, so `@shareable` with one
 * declaration here: composition needs the same fields and descriptions.
 */
@ObjectType({ description: 'A way to ship an order, e.g. standard or express delivery' })
@Directive('@shareable')
// As cacheable as what it is part of (the public list of methods, a private cart or order).
@Directive('@cacheControl(inheritMaxAge: true)')
export class ShippingMethod {
  @Field(() => ID, { description: 'A stable code, e.g. "standard", "express"' })
  id!: string;

  @Field({ description: 'Display name, e.g. "Standard"' })
  name!: string;

  @Field({ description: 'What the method promises, e.g. "3-5 business days"' })
  description!: string;
}
