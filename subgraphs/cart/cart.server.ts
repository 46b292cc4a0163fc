import { entityReference } from '../../lib/entity-references';
import { createSubgraphServer, type SubgraphDefinition, type SubgraphDeps } from '../../lib/subgraph';
import { Cart } from './cart/cart.entity';
import { CartResolver } from './cart/cart.resolver';
import { CartService } from './cart/cart.service';
import type { CartContext } from './cart.context';
import { createCartLoaders, type CartLoaders } from './cart.loaders';
import { CartItem } from './cart-item/cart-item.entity';
import { CartItemResolver } from './cart-item/cart-item.resolver';
import { cartSettings, type CartConfig } from './cart.config';
import { seedCart } from './cart.seed';
import { DiscountCode } from './discount-code/discount-code.entity';
import { DiscountCodeResolver } from './discount-code/discount-code.resolver';
import { CartCostResolver } from './pricing/cart-cost.resolver';
import { cartMigrations } from './migrations';
import { UserCartResolver } from './user/user.resolver';
import { UserCart } from './user/user.type';

const cartService = new CartService();

/** Carts start empty; the demo data is a few discount codes. */
export const cartSubgraph: SubgraphDefinition<CartLoaders, CartConfig> = {
  name: 'cart',
  env: cartSettings,
  database: { name: 'cart', entities: [Cart, CartItem, DiscountCode], migrations: cartMigrations },
  resolvers: [CartResolver, CartItemResolver, CartCostResolver, DiscountCodeResolver, UserCartResolver],
  // Only reachable through `_entities`, so no field of ours leads to it.
  orphanedTypes: [UserCart],
  referenceResolvers: {
    // The same visibility as Query.cart: a cart id is no way around it.
    Cart: (reference, ctx: CartContext) => cartService.visibleById(ctx, reference.id),
    User: (reference) => entityReference(UserCart, reference.id),
  },
  createLoaders: createCartLoaders,
  seed: seedCart,
};

export function createServer(deps: SubgraphDeps) {
  return createSubgraphServer(cartSubgraph, deps);
}
