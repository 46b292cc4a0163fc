import { LockMode } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '../../../lib/database';
import { badUserInput, ErrorCode, forbidden, graphQLError, notFound } from '../../../lib/errors';
import { Role } from '../../../lib/identity';
import { isUuid } from '../../../lib/uuid';
import type { CartContext } from '../cart.context';
import { Cart, CartStatus } from './cart.entity';

/**
 * Every cart change is a read-modify-write of the cart's lines, done in one
 * transaction that first locks the cart row (`SELECT ... FOR UPDATE`): changes
 * to one cart run one after the other, each seeing the lines the previous one
 * committed, so none is lost. Locks are taken one cart at a time, and where two
 * are needed (a merge) always the guest cart first, so changes never deadlock.
 */

export type Transaction = EntityManager;

/**
 * Runs `work` in one transaction on a fork of its own (a clean identity map,
 * so nothing read before the lock leaks in), then drops what the request's
 * loaders remember about the carts it touched, so the returned cart is shown
 * as committed.
 */
export async function inCartTransaction<T>(ctx: CartContext, work: (tx: Transaction) => Promise<T>, touched: (result: T) => Cart[]): Promise<T> {
  const result = await ctx.em.fork().transactional(work);
  for (const cart of touched(result)) forgetCart(ctx, cart);
  if (ctx.viewer) ctx.loaders.activeCartByUserId.clear(ctx.viewer.id);
  return result;
}

function forgetCart(ctx: CartContext, cart: Cart): void {
  ctx.loaders.cartById.clear(cart.id);
  ctx.loaders.itemsByCartId.clear(cart.id);
  if (cart.userId) ctx.loaders.activeCartByUserId.clear(cart.userId);
}

export const cartNotFound = (id: string) => notFound('Cart', id);

/** Locks a cart row by id (any status); null when there is none. */
export async function lockCart(tx: Transaction, id: string): Promise<Cart | null> {
  return isUuid(id) ? tx.findOne(Cart, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE }) : null;
}

/**
 * Locks the user's ACTIVE cart, creating it first when asked. Two first
 * changes of a user may race to create it: the partial unique index lets one
 * insert win, the other's insert does nothing (after waiting for the winner's
 * commit), and both then lock the winner's row.
 */
export async function lockActiveUserCart(tx: Transaction, userId: string, create: boolean): Promise<Cart | null> {
  const find = () => tx.findOne(Cart, { userId, status: CartStatus.ACTIVE }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  const existing = await find();
  if (existing || !create) return existing;
  const now = new Date();
  await tx.execute(
    `insert into "cart" ("id", "user_id", "status", "created_at", "updated_at") values (?, ?, ?, ?, ?)
     on conflict ("user_id") where "user_id" is not null and "status" = 'ACTIVE' do nothing`,
    [randomUUID(), userId, CartStatus.ACTIVE, now, now],
    'run',
  );
  const cart = await find();
  if (!cart) throw new Error(`The active cart of user ${userId} was neither created nor found`);
  return cart;
}

export interface ChangeableCart {
  cart: Cart;
  /** Created by this change, so it has no lines yet. */
  created: boolean;
}

/**
 * The cart a line change applies to, locked:
 * - with an id: that ACTIVE cart, if it is a guest cart (whoever holds a guest
 *   cart's id may change it) or the viewer's own. Unknown, finished and other
 *   users' carts are all NOT_FOUND, so an id reveals nothing; only an ADMIN,
 *   who may look at any cart, is told FORBIDDEN instead.
 * - without: the signed-in viewer's ACTIVE cart, created when `create`; for an
 *   anonymous caller a new guest cart when `create`, else BAD_USER_INPUT.
 */
export async function lockCartToChange(ctx: CartContext, tx: Transaction, cartId: string | null | undefined, create: boolean): Promise<ChangeableCart> {
  const viewer = ctx.viewer;
  if (cartId != null) {
    const cart = await lockCart(tx, cartId);
    if (!cart || cart.status !== CartStatus.ACTIVE) throw cartNotFound(cartId);
    if (cart.userId != null && cart.userId !== viewer?.id) {
      if (viewer?.role === Role.ADMIN) throw forbidden("An ADMIN may look at other users' carts but not change them");
      throw cartNotFound(cartId);
    }
    return { cart, created: false };
  }
  if (viewer) {
    const cart = await lockActiveUserCart(tx, viewer.id, create);
    if (!cart) throw graphQLError(ErrorCode.NOT_FOUND, 'You have no active cart', { argumentName: 'cartId' });
    return { cart, created: false };
  }
  if (!create) throw badUserInput('"cartId" is required when not signed in: pass the guest cart\'s id', { argumentName: 'cartId' });
  // A new guest cart: its random UUID is the guest's only key to it.
  return { cart: tx.create(Cart, { userId: null, status: CartStatus.ACTIVE }), created: true };
}
