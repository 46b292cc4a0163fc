import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '../../../lib/database';
import { Topics } from '../../../lib/events';
import { recordEvent } from '../../../lib/outbox';
import { isUuid } from '../../../lib/uuid';
import { Warehouse } from '../warehouse/warehouse.entity';
import { StockLevel } from './stock-level.entity';
import { StockMovement, StockMovementKind } from './stock-movement.entity';

/**
 * Locks every stock level of the products, in one statement, in the order
 * (product_id, warehouse_id). Every writer of stock locks through here, so
 * all of them take row locks in the same global order and cannot deadlock;
 * a product's figures cannot change under a holder of its locks.
 */
export async function lockStockLevels(tx: EntityManager, productIds: readonly string[]): Promise<StockLevel[]> {
  if (productIds.length === 0) return [];
  return tx.find(
    StockLevel,
    { productId: { $in: [...productIds] } },
    { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { productId: 'asc', warehouse: 'asc' }, refresh: true },
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
 * STOCK_CHANGED event with its availability after the operation. The caller
 * holds the locks of all stock levels of those products (lockStockLevels),
 * so the figures are final and events follow commit order per product.
 */
export class StockLedger {
  private readonly touched = new Set<string>();

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
      warehouse: this.tx.getReference(Warehouse, level.warehouse.id),
      kind,
      delta: onHandDelta,
      reservedDelta,
      reason: this.source.reason,
      actorId: this.source.actorId != null && isUuid(this.source.actorId) ? this.source.actorId : null,
      orderId: this.source.orderId,
    });
    this.touched.add(level.productId);
  }

  /** Records one STOCK_CHANGED per product touched; call once, after the last move. */
  recordEvents(changedAt: Date): void {
    for (const productId of [...this.touched].sort()) {
      const availableQuantity = this.levels.filter((level) => level.productId === productId).reduce((sum, level) => sum + available(level), 0);
      recordEvent(this.tx, Topics.STOCK_CHANGED, productId, {
        productId,
        availableQuantity,
        inStock: availableQuantity > 0,
        changedAt: changedAt.toISOString(),
      });
    }
    this.touched.clear();
  }
}
