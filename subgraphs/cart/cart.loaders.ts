import type { EntityManager } from '../../lib/database';
import { entityLoader, groupLoader, uuidKeyedLoader } from '../../lib/loaders';
import type { LoaderScope } from '../../lib/subgraph';
import { Cart, CartStatus } from './cart/cart.entity';
import { CartItem } from './cart-item/cart-item.entity';

/** What cart needs to know about a catalog product: its current price. */
export interface CatalogProductPrice {
  id: string;
  price: { amount: number; currency: string };
}

/** What cart needs to know about a product's stock: how many units can be ordered now. */
export interface InventoryProductStock {
  id: string;
  availableQuantity: number;
}

export function createCartLoaders(em: EntityManager, scope: LoaderScope) {
  return {
    cartById: entityLoader(em, Cart),
    itemsByCartId: groupLoader(
      (cartIds: readonly string[]) => em.find(CartItem, { cart: { $in: [...cartIds] } }, { orderBy: { createdAt: 'asc', id: 'asc' } }),
      (item) => item.cart.id,
    ),
    activeCartByUserId: uuidKeyedLoader<Cart | null>(async (userIds) => {
      const carts = await em.find(Cart, { userId: { $in: userIds }, status: CartStatus.ACTIVE });
      return new Map(carts.map((cart) => [cart.userId!, cart]));
    }, null),
    /**
     * Prices are catalog's and may change at any time, so they are read when
     * a cart is shown: one `_entities` call for every product of the request.
     */
    productPriceById: scope.clients.catalog.entityLoader<CatalogProductPrice>('Product', 'id price { amount currency }', scope.viewer),
    /**
     * Stock is inventory's and only checked when a cart grows (a cart
     * reserves nothing): one `_entities` call for the products of a change.
     */
    productStockById: scope.clients.inventory.entityLoader<InventoryProductStock>('Product', 'id availableQuantity', scope.viewer),
  };
}

export type CartLoaders = ReturnType<typeof createCartLoaders>;
