import { randomUUID } from 'node:crypto';
import { badUserInput, notFound } from '../../../lib/errors';
import { isUuid } from '../../../lib/uuid';
import type { InventoryContext } from '../inventory.context';
import { Warehouse } from '../warehouse/warehouse.entity';
import { lockLevels, StockLedger } from './stock-ledger';
import { StockLevel } from './stock-level.entity';
import type { AdjustStockArgs } from './stock-level.inputs';
import { StockMovementKind } from './stock-movement.entity';

const MAX_REASON_LENGTH = 500;
const MAX_INTEGER = 2_147_483_647;

export class StockLevelService {
  /**
   * Changes onHand of one stock level (of a variant: the product's default
   * variant unless variantId names another), holding that stock level alone,
   * with its movement and STOCK_CHANGED event in the same transaction.
   * Product and variant ids are catalog's and not checked here: stocking a
   * product or variant before (or without) catalog knowing it is allowed; a
   * variant stocked under one product cannot be stocked under another.
   */
  async adjust(ctx: InventoryContext, args: AdjustStockArgs): Promise<StockLevel> {
    if (!isUuid(args.productId)) throw badUserInput(`productId "${args.productId}" is not a product id`, { argumentName: 'productId' });
    if (args.variantId != null && !isUuid(args.variantId)) throw badUserInput(`variantId "${args.variantId}" is not a variant id`, { argumentName: 'variantId' });
    if (!Number.isInteger(args.delta) || args.delta === 0) throw badUserInput('delta must be a non-zero whole number of units', { argumentName: 'delta' });
    const reason = args.reason?.trim() || null;
    if (reason && reason.length > MAX_REASON_LENGTH) {
      throw badUserInput(`reason may be at most ${MAX_REASON_LENGTH} characters`, { argumentName: 'reason' });
    }
    const productId = args.productId.toLowerCase();
    // The default variant has the product's id.
    const variantId = (args.variantId ?? args.productId).toLowerCase();
    const warehouse = isUuid(args.warehouseId) ? await ctx.em.findOne(Warehouse, { id: args.warehouseId.toLowerCase() }) : null;
    if (!warehouse) throw notFound('Warehouse', args.warehouseId);

    await this.ensureStockLevel(ctx, productId, variantId, warehouse, args.delta);
    const now = new Date();
    return ctx.em.transactional(async (tx) => {
      // ensureStockLevel made it; stock levels are never deleted.
      const [level] = await lockLevels(tx, [{ variantId, warehouseId: warehouse.id }]);
      const onHand = level.onHand + args.delta;
      if (onHand < level.reserved) {
        throw badUserInput(
          `Removing ${-args.delta} would leave ${onHand} on hand in ${warehouse.code}, below the ${level.reserved} reserved for orders`,
          { argumentName: 'delta', onHand: level.onHand, reserved: level.reserved },
        );
      }
      if (onHand > MAX_INTEGER) throw badUserInput(`A stock level holds at most ${MAX_INTEGER} units`, { argumentName: 'delta' });
      const ledger = new StockLedger(tx, { actorId: ctx.viewer?.id ?? null, orderId: null, reason });
      ledger.move(level, StockMovementKind.ADJUSTMENT, args.delta, 0);
      await ledger.commit(now);
      return tx.findOneOrFail(StockLevel, { id: level.id }, { refresh: true });
    });
  }

  /**
   * A variant stocked in a new warehouse gets its (empty) stock level in its
   * own committed statement before the changing transaction (stock_level's
   * trigger gives its product a product_stock row, if it has none, in the
   * same statement). An empty level changes no figure. Rows never
   * move between products, so a variant's product is settled by its first row.
   */
  private async ensureStockLevel(ctx: InventoryContext, productId: string, variantId: string, warehouse: Warehouse, delta: number): Promise<void> {
    const rows = await ctx.em
      .getConnection()
      .execute<{ product_id: string; here: boolean }[]>('select product_id, warehouse_id = ? as here from stock_level where variant_id = ?', [warehouse.id, variantId]);
    const elsewhere = rows.find((row) => row.product_id !== productId);
    if (elsewhere) {
      throw badUserInput(`Variant ${variantId} is stocked as a variant of product ${elsewhere.product_id}, not of ${productId}`, {
        argumentName: 'variantId',
        productId: elsewhere.product_id,
      });
    }
    if (rows.some((row) => row.here)) return;
    if (delta < 0) {
      throw badUserInput(`Removing ${-delta} would leave ${delta} on hand in ${warehouse.code}: the ${variantId === productId ? 'product' : 'variant'} has no stock there`, {
        argumentName: 'delta',
        onHand: 0,
        reserved: 0,
      });
    }
    await ctx.em
      .createQueryBuilder(StockLevel)
      .insert({ id: randomUUID(), productId, variantId, warehouse: warehouse.id, onHand: 0, reserved: 0, updatedAt: new Date() })
      .onConflict(['variantId', 'warehouse'])
      .ignore()
      .execute('run');
  }
}
