import { FieldResolver, Resolver, Root } from 'type-graphql';
import { entityReference, ProductReference, ProductVariantReference } from '../../../lib/entity-references';
import { money, Money } from '../../../lib/money';
import { OrderItem } from './order-item.entity';

@Resolver(() => OrderItem)
export class OrderItemResolver {
  @FieldResolver(() => ProductReference, { description: 'The product bought; its current details come from catalog' })
  product(@Root() item: OrderItem): ProductReference {
    return entityReference(ProductReference, item.productId);
  }

  @FieldResolver(() => ProductVariantReference, {
    description: "The variant bought (the product's default variant for orders placed before variants); its current details come from catalog",
  })
  variant(@Root() item: OrderItem): ProductVariantReference {
    return entityReference(ProductVariantReference, item.variantId);
  }

  @FieldResolver(() => Money, { description: 'Price of one unit at checkout time; never changes afterwards' })
  unitPrice(@Root() item: OrderItem): Money {
    return money(item.unitPriceAmount, item.currency);
  }

  @FieldResolver(() => Money, { description: 'unitPrice times quantity' })
  lineTotal(@Root() item: OrderItem): Money {
    return money(item.unitPriceAmount * item.quantity, item.currency);
  }
}
