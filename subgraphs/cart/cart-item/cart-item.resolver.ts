import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { entityReference, ProductReference, ProductVariantReference } from '../../../lib/entity-references';
import { Money } from '../../../lib/money';
import type { CartContext } from '../cart.context';
import { CartItem } from './cart-item.entity';
import { CartItemService } from './cart-item.service';

@Resolver(() => CartItem)
export class CartItemResolver {
  private readonly cartItemService = new CartItemService();

  @FieldResolver(() => ProductReference, { description: 'The product of this line' })
  product(@Root() item: CartItem): ProductReference {
    return entityReference(ProductReference, item.productId);
  }

  @FieldResolver(() => ProductVariantReference, { description: "The variant of this line (the product's default variant unless one was chosen)" })
  variant(@Root() item: CartItem): ProductVariantReference {
    return entityReference(ProductVariantReference, item.variantId);
  }

  @FieldResolver(() => Money, { description: "The variant's current catalog price" })
  async unitPrice(@Root() item: CartItem, @Ctx() ctx: CartContext): Promise<Money> {
    return this.cartItemService.unitPrice(ctx, item);
  }

  @FieldResolver(() => Money, { description: 'Unit price times quantity' })
  async lineTotal(@Root() item: CartItem, @Ctx() ctx: CartContext): Promise<Money> {
    return this.cartItemService.lineTotal(ctx, item);
  }
}
