import type { EntityManager } from '../../lib/database';
import { entityLoader, groupLoader, uuidKeyedLoader } from '../../lib/loaders';
import type { LoaderScope } from '../../lib/subgraph';
import { Cart, CartStatus } from './cart/cart.entity';
import { CartItem } from './cart-item/cart-item.entity';
import { DiscountCode } from './discount-code/discount-code.entity';

/** What cart needs to know about a catalog variant: its product, current price and shipping weight. */
export interface CatalogVariant {
  id: string;
  product: { id: string };
  price: { amount: number; currency: string };
  weightGrams: number;
}

/** What cart needs to know about a variant's stock: how many units can be ordered now. */
export interface InventoryVariantStock {
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
     * a cart is shown: one `_entities` call for every variant of the request
     * (a product's default variant has the product's id).
     */
    variantById: scope.clients.catalog.entityLoader<CatalogVariant>('ProductVariant', 'id product { id } price { amount currency } weightGrams', scope.viewer),
    /**
     * Stock is inventory's, per variant, and only checked when a cart grows
     * (a cart reserves nothing): one `_entities` call for the variants of a change.
     */
    variantStockById: scope.clients.inventory.entityLoader<InventoryVariantStock>('ProductVariant', 'id availableQuantity', scope.viewer),
    discountCodeById: entityLoader(em, DiscountCode),
  };
}

export type CartLoaders = ReturnType<typeof createCartLoaders>;
