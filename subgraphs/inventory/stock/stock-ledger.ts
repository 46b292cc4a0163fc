import type { EntityManager } from '../../../lib/database';
import { Topics } from '../../../lib/events';
import { recordEvent } from '../../../lib/outbox';
import { isUuid } from '../../../lib/uuid';
import { Warehouse } from '../warehouse/warehouse.entity';
import { StockMovement, StockMovementKind } from './stock-movement.entity';

/*
 * How stock is written without product-wide locks.
 *
 * A writer locks only the stock levels it changes: the variants it takes
 * from (reserve), or the (variant, warehouse) rows of a reservation's lines
 * (release, commit), or the one row it adjusts. Two checkouts of different
 * variants of one product, or of one variant in different warehouses, never
 * wait for each other; two checkouts of the same variant wait while the
 * first holds it, from its locking statement to its commit: a few statements
 * of its own (one batched update, the inserts of its lines and movements,
 * the product row, its event), never a call to another service.
 *
 * The product-wide availability every STOCK_CHANGED event carries comes from
 * `product_stock`, one row per product, which the same transaction moves by
 * the sum of its changes, last, just before its event and commit: the value
 * that statement returns is exactly the availability the transaction leaves
 * behind, and the row's lock puts the writers of one product (so their
 * events, whose outbox ids follow) in commit order. That lock is held for
 * the event's insert and the commit only.
 *
 * Lock order, so that no two writers deadlock: stock levels first, all in
 * one statement, in (variant_id, warehouse_id) order; then product_stock
 * rows, in one statement, in product_id order; never a level after a product
 * row. Rows inserted into or deleted from stock_level (seeds, a variant
 * stocked in a new warehouse) are counted in product_stock by the table's
 * trigger; an UPDATE of stock_level outside this ledger would not be.
 */

/** Which stock level: a variant's in one warehouse (unique). */
export interface LevelKey {
  variantId: string;
  warehouseId: string;
}

/** A stock level as the ledger reads it: plain values, never an entity the unit of work would write back. */
export interface LevelRow extends LevelKey {
  id: string;
  productId: string;
  onHand: number;
  reserved: number;
}

interface RawLevel {
  id: string;
  product_id: string;
  variant_id: string;
  warehouse_id: string;
  on_hand: number;
  reserved: number;
}

const LEVEL_COLUMNS = 'id, product_id, variant_id, warehouse_id, on_hand, reserved';
const LOCK_ORDER = 'order by variant_id, warehouse_id for update';

function levelRow(raw: RawLevel): LevelRow {
  return { id: raw.id, productId: raw.product_id, variantId: raw.variant_id, warehouseId: raw.warehouse_id, onHand: raw.on_hand, reserved: raw.reserved };
}

const placeholders = (count: number, each = '?') => Array.from({ length: count }, () => each).join(', ');

export function available(level: Pick<LevelRow, 'onHand' | 'reserved'>): number {
  return level.onHand - level.reserved;
}

/** Who and why, written on every movement of one operation. */
export interface MovementSource {
  actorId: string | null;
  orderId: string | null;
  reason: string | null;
}

/** Locks every stock level of the variants (in every warehouse, under whichever product), in one statement, in the lock order. */
export async function lockVariants(tx: EntityManager, variantIds: readonly string[]): Promise<LevelRow[]> {
  const unique = [...new Set(variantIds)];
  if (unique.length === 0) return [];
  const rows = await tx.execute<RawLevel[]>(`select ${LEVEL_COLUMNS} from stock_level where variant_id in (${placeholders(unique.length)}) ${LOCK_ORDER}`, unique);
  return rows.map(levelRow);
}

/** Locks the given stock levels, in one statement, in the lock order; a key without a level is left out. */
export async function lockLevels(tx: EntityManager, keys: readonly LevelKey[]): Promise<LevelRow[]> {
  if (keys.length === 0) return [];
  const rows = await tx.execute<RawLevel[]>(
    `select ${LEVEL_COLUMNS} from stock_level where (variant_id, warehouse_id) in (${placeholders(keys.length, '(?::uuid, ?::uuid)')}) ${LOCK_ORDER}`,
    keys.flatMap((key) => [key.variantId, key.warehouseId]),
  );
  return rows.map(levelRow);
}

/** One change of one stock level. */
export interface StockChange {
  level: LevelRow;
  kind: StockMovementKind;
  onHandDelta: number;
  reservedDelta: number;
}

/**
 * Applies stock changes to stock levels the transaction has locked
 * (lockVariants, lockLevels) and writes what they imply: a movement per
 * change and, per product touched, one STOCK_CHANGED event with the
 * product-wide availability after the transaction and the variants that
 * changed (see the comment at the top for the locks).
 */
export class StockLedger {
  private readonly changes: StockChange[] = [];

  constructor(
    private readonly tx: EntityManager,
    private readonly source: MovementSource,
  ) {}

  /** Adds a change; `commit` writes them all. */
  move(level: LevelRow, kind: StockMovementKind, onHandDelta: number, reservedDelta: number): void {
    this.changes.push({ level, kind, onHandDelta, reservedDelta });
  }

  /**
   * Writes the changes: one update of every stock level (the check
   * constraints refuse anything that would leave reserved below 0 or above
   * onHand, which rolls the transaction back), the movements and whatever
   * else the transaction created, then one update of the products'
   * product_stock rows and a STOCK_CHANGED event per product. Call once, as
   * the transaction's last work.
   */
  async commit(changedAt: Date): Promise<void> {
    if (this.changes.length === 0) return;
    const byLevel = new Map<string, { onHand: number; reserved: number }>();
    const byProduct = new Map<string, { delta: number; variantIds: Set<string> }>();
    for (const change of this.changes) {
      const { level } = change;
      const sum = byLevel.get(level.id) ?? { onHand: 0, reserved: 0 };
      sum.onHand += change.onHandDelta;
      sum.reserved += change.reservedDelta;
      byLevel.set(level.id, sum);
      const product = byProduct.get(level.productId) ?? { delta: 0, variantIds: new Set<string>() };
      product.delta += change.onHandDelta - change.reservedDelta;
      product.variantIds.add(level.variantId);
      byProduct.set(level.productId, product);
      this.tx.create(StockMovement, {
        productId: level.productId,
        variantId: level.variantId,
        warehouse: this.tx.getReference(Warehouse, level.warehouseId),
        kind: change.kind,
        delta: change.onHandDelta,
        reservedDelta: change.reservedDelta,
        reason: this.source.reason,
        actorId: this.source.actorId != null && isUuid(this.source.actorId) ? this.source.actorId : null,
        orderId: this.source.orderId,
      });
    }
    const levels = [...byLevel];
    await this.tx.execute(
      `update stock_level s set on_hand = s.on_hand + d.on_hand, reserved = s.reserved + d.reserved, updated_at = ?
       from (values ${placeholders(levels.length, '(?::uuid, ?::int, ?::int)')}) as d(id, on_hand, reserved) where s.id = d.id`,
      [changedAt, ...levels.flatMap(([id, delta]) => [id, delta.onHand, delta.reserved])],
      'run',
    );
    // What the transaction created (reservation lines, movements) goes first: the product rows are then held for the events and the commit only.
    await this.tx.flush();
    const products = [...byProduct.keys()].sort();
    const figures = await this.tx.execute<{ product_id: string; available: number }[]>(
      `with locked as materialized (select product_id from product_stock where product_id in (${placeholders(products.length)}) order by product_id for update)
       update product_stock p set available = p.available + d.delta, updated_at = ?
       from locked join (values ${placeholders(products.length, '(?::uuid, ?::int)')}) as d(product_id, delta) on d.product_id = locked.product_id
       where p.product_id = locked.product_id returning p.product_id, p.available`,
      [...products, changedAt, ...products.flatMap((productId) => [productId, byProduct.get(productId)!.delta])],
    );
    const availableOf = new Map(figures.map((row) => [row.product_id, row.available]));
    for (const productId of products) {
      const availableQuantity = availableOf.get(productId);
      if (availableQuantity === undefined) throw new Error(`product_stock has no row for product ${productId}, which has stock levels`);
      recordEvent(this.tx, Topics.STOCK_CHANGED, productId, {
        productId,
        variantIds: [...byProduct.get(productId)!.variantIds].sort(),
        availableQuantity,
        inStock: availableQuantity > 0,
        // The update above moved the row by exactly this delta.
        wasInStock: availableQuantity - byProduct.get(productId)!.delta > 0,
        changedAt: changedAt.toISOString(),
      });
    }
    this.changes.length = 0;
  }
}
