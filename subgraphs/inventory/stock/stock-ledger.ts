import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '../../../lib/database';
import { Topics } from '../../../lib/events';
import { recordEvent } from '../../../lib/outbox';
import { isUuid } from '../../../lib/uuid';
import { Warehouse } from '../warehouse/warehouse.entity';
import { StockLevel } from './stock-level.entity';
import { StockMovement, StockMovementKind } from './stock-movement.entity';

/**
 * Locks every stock level of the products (all their variants), in one
 * statement, in the global order (variant_id, warehouse_id). Every writer of
 * stock locks through here, so all of them take row locks in the same order
 * and cannot deadlock, and a product's figures cannot change under a holder
 * of its locks. Stock is taken per variant, but the locks cover the whole
 * product: the product-wide availability each STOCK_CHANGED event carries
 * must be the one its transaction leaves behind, which only holds if no
 * other variant of the product changes meanwhile (two variants locked alone
 * by two transactions would each publish a sum missing the other's change).
 */
export async function lockStockLevels(tx: EntityManager, productIds: readonly string[]): Promise<StockLevel[]> {
  if (productIds.length === 0) return [];
  return tx.find(
    StockLevel,
    { productId: { $in: [...new Set(productIds)] } },
    { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { variantId: 'asc', warehouse: 'asc' }, refresh: true },
  );
}

export function available(level: StockLevel): number {
  return level.onHand - level.reserved;
}

/** Who and why, written on every movement of one operation. */
export interface MovementSource {
  actorId: string | null;
  orderId: string | null;
  reason: string | null;
}

/**
 * Applies stock changes to locked stock levels and writes what they imply in
 * the same unit of work: a movement per change and, per product touched, one
 * STOCK_CHANGED event with its product-wide availability after the operation
 * and the variants that changed. The caller holds the locks of all stock
 * levels of those products (lockStockLevels), so the figures are final and
 * events follow commit order per product.
 */
export class StockLedger {
  /** Variant ids touched, per product id. */
  private readonly touched = new Map<string, Set<string>>();

  constructor(
    private readonly tx: EntityManager,
    private readonly levels: readonly StockLevel[],
    private readonly source: MovementSource,
  ) {}

  move(level: StockLevel, kind: StockMovementKind, onHandDelta: number, reservedDelta: number): void {
    level.onHand += onHandDelta;
    level.reserved += reservedDelta;
    this.tx.create(StockMovement, {
      productId: level.productId,
      variantId: level.variantId,
      warehouse: this.tx.getReference(Warehouse, level.warehouse.id),
      kind,
      delta: onHandDelta,
      reservedDelta,
      reason: this.source.reason,
      actorId: this.source.actorId != null && isUuid(this.source.actorId) ? this.source.actorId : null,
      orderId: this.source.orderId,
    });
    const variants = this.touched.get(level.productId);
    if (variants) variants.add(level.variantId);
    else this.touched.set(level.productId, new Set([level.variantId]));
  }

  /** Records one STOCK_CHANGED per product touched; call once, after the last move. */
  recordEvents(changedAt: Date): void {
    for (const productId of [...this.touched.keys()].sort()) {
      const availableQuantity = this.levels.filter((level) => level.productId === productId).reduce((sum, level) => sum + available(level), 0);
      recordEvent(this.tx, Topics.STOCK_CHANGED, productId, {
        productId,
        variantIds: [...this.touched.get(productId)!].sort(),
        availableQuantity,
        inStock: availableQuantity > 0,
        changedAt: changedAt.toISOString(),
      });
    }
    this.touched.clear();
  }
}
