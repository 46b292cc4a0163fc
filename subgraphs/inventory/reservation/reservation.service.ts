import { LockMode } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '../../../lib/database';
import { badUserInput, ErrorCode, graphQLError } from '../../../lib/errors';
import { isUuid } from '../../../lib/uuid';
import type { InventoryContext } from '../inventory.context';
import { available, lockLevels, lockVariants, StockLedger, type LevelRow, type MovementSource } from '../stock/stock-ledger';
import { StockMovementKind } from '../stock/stock-movement.entity';
import { Warehouse } from '../warehouse/warehouse.entity';
import { ReservationLine } from './reservation-line.entity';
import { Reservation, ReservationStatus } from './reservation.entity';
import { DEFAULT_RESERVATION_TTL_SECONDS, type ReserveStockArgs, type StockLineInput } from './reservation.inputs';

const MAX_TTL_SECONDS = 86_400;
const MAX_LINES = 500;

/** Units requested of one variant, and the product it belongs to. */
export interface RequestedStock {
  productId: string;
  quantity: number;
}

/**
 * The requested units per variant (lowercase ids, as PostgreSQL prints
 * uuids), duplicate lines of one variant summed. A line without variantId
 * means the product's default variant, whose id is the product's.
 */
export function requestedQuantities(lines: readonly StockLineInput[]): Map<string, RequestedStock> {
  if (lines.length === 0) throw badUserInput('"lines" must contain at least one line', { argumentName: 'lines' });
  if (lines.length > MAX_LINES) throw badUserInput(`"lines" may contain at most ${MAX_LINES} lines`, { argumentName: 'lines' });
  const requested = new Map<string, RequestedStock>();
  lines.forEach((line, index) => {
    if (!isUuid(line.productId)) throw badUserInput(`lines[${index}].productId "${line.productId}" is not a product id`, { argumentName: `lines.${index}.productId` });
    if (line.variantId != null && !isUuid(line.variantId)) {
      throw badUserInput(`lines[${index}].variantId "${line.variantId}" is not a variant id`, { argumentName: `lines.${index}.variantId` });
    }
    if (!Number.isInteger(line.quantity) || line.quantity < 1) {
      throw badUserInput(`lines[${index}].quantity must be a positive integer, got ${line.quantity}`, { argumentName: `lines.${index}.quantity` });
    }
    const productId = line.productId.toLowerCase();
    const variantId = (line.variantId ?? line.productId).toLowerCase();
    const earlier = requested.get(variantId);
    if (earlier && earlier.productId !== productId) {
      throw badUserInput(`lines[${index}] puts variant ${variantId} under product ${productId}, an earlier line under ${earlier.productId}`, {
        argumentName: `lines.${index}.productId`,
      });
    }
    requested.set(variantId, { productId, quantity: (earlier?.quantity ?? 0) + line.quantity });
  });
  return requested;
}

/** The reservation of an order, locked for the rest of the transaction; null when there is none. */
async function lockReservation(tx: EntityManager, orderId: string): Promise<Reservation | null> {
  return tx.findOne(Reservation, { orderId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
}

/**
 * Ends a locked ACTIVE or COMMITTED reservation: an ACTIVE one stops holding
 * its units (RELEASED), a COMMITTED one puts its sold units back on hand
 * (RESTOCKED). Only the stock levels of its lines are locked.
 */
export async function giveBackReservation(tx: EntityManager, reservation: Reservation, source: Omit<MovementSource, 'orderId'>, now: Date): Promise<void> {
  const wasActive = reservation.status === ReservationStatus.ACTIVE;
  if (!wasActive && reservation.status !== ReservationStatus.COMMITTED) return;
  const ledger = new StockLedger(tx, { ...source, orderId: reservation.orderId });
  for (const { line, level } of await lockLinesLevels(tx, reservation)) {
    if (wasActive) ledger.move(level, StockMovementKind.RELEASE, 0, -line.quantity);
    else ledger.move(level, StockMovementKind.RESTOCK, line.quantity, 0);
  }
  reservation.status = wasActive ? ReservationStatus.RELEASED : ReservationStatus.RESTOCKED;
  await ledger.commit(now);
}

/** A reservation's lines, each with its stock level, locked (in one statement, in the lock order). */
async function lockLinesLevels(tx: EntityManager, reservation: Reservation): Promise<{ line: ReservationLine; level: LevelRow }[]> {
  const lines = await tx.find(ReservationLine, { reservation }, { orderBy: { variantId: 'asc', warehouse: 'asc' } });
  const levels = await lockLevels(
    tx,
    lines.map((line) => ({ variantId: line.variantId, warehouseId: line.warehouse.id })),
  );
  return lines.map((line) => {
    const level = levels.find((l) => l.variantId === line.variantId && l.warehouseId === line.warehouse.id);
    // Stock levels are never deleted, and the check constraints keep reserved within onHand.
    if (!level) throw new Error(`Reservation line ${line.id} points at a missing stock level (variant ${line.variantId} of ${line.productId} in ${line.warehouse.id})`);
    return { line, level };
  });
}

/** "product P" for a default variant, else "variant V of product P". */
function describeVariant(variantId: string, productId: string): string {
  return variantId === productId ? `product ${productId}` : `variant ${variantId} of product ${productId}`;
}

/**
 * Takes the requested units for a reservation in the transaction: locks the
 * requested variants' stock levels (in one statement, in the lock order: the
 * rest of each product is not locked), then every variant comes from its
 * warehouses, most available first, or nothing does: a shortage is
 * OUT_OF_STOCK (extensions.productIds: the products of the short variants;
 * extensions.variantIds: the short variants; both in the order of the
 * lines), thrown inside the transaction so whatever it wrote before rolls
 * back. A variant counts only with the stock levels of the product its line
 * names (a variant stocked under another product is not there).
 */
async function holdLines(tx: EntityManager, reservationId: string, requested: ReadonlyMap<string, RequestedStock>, source: MovementSource, now: Date): Promise<void> {
  const levels = await lockVariants(tx, [...requested.keys()]);
  const levelsOf = (variantId: string) => levels.filter((level) => level.variantId === variantId && level.productId === requested.get(variantId)!.productId);
  const availableOf = (variantId: string) => levelsOf(variantId).reduce((sum, level) => sum + available(level), 0);
  // In the order of the lines, as before variants.
  const short = [...requested.keys()].filter((variantId) => availableOf(variantId) < requested.get(variantId)!.quantity);
  if (short.length > 0) {
    const productIds = [...new Set(short.map((variantId) => requested.get(variantId)!.productId))];
    throw graphQLError(ErrorCode.OUT_OF_STOCK, `Not enough stock for ${short.map((variantId) => describeVariant(variantId, requested.get(variantId)!.productId)).join(', ')}`, {
      productIds,
      variantIds: short,
    });
  }
  const reservation = tx.getReference(Reservation, reservationId);
  const ledger = new StockLedger(tx, source);
  for (const variantId of [...requested.keys()].sort()) {
    const { productId, quantity: wanted } = requested.get(variantId)!;
    let remaining = wanted;
    // Most available first keeps an order in as few warehouses as possible.
    const candidates = levelsOf(variantId).sort((a, b) => available(b) - available(a) || a.warehouseId.localeCompare(b.warehouseId));
    for (const level of candidates) {
      if (remaining === 0) break;
      const quantity = Math.min(remaining, available(level));
      if (quantity <= 0) continue;
      ledger.move(level, StockMovementKind.RESERVE, 0, quantity);
      tx.create(ReservationLine, { reservation, productId, variantId, warehouse: tx.getReference(Warehouse, level.warehouseId), quantity });
      remaining -= quantity;
    }
  }
  await ledger.commit(now);
}

/**
 * The stock side of checkout. Every operation runs in one transaction that
 * holds the order's reservation row, then locks only the stock levels it
 * changes, in (variant_id, warehouse_id) order (see stock/stock-ledger.ts),
 * so concurrent checkouts never oversell, never deadlock and never wait for
 * a whole product; stock is taken and given back per variant; every
 * operation is idempotent per order id.
 */
export class ReservationService {
  async reserve(ctx: InventoryContext, args: ReserveStockArgs): Promise<boolean> {
    return this.take(ctx, args, false);
  }

  /**
   * reserve, for an order whose reservation was given back unsold (RELEASED:
   * it expired before the order could commit it, e.g. orders was down
   * longer than its lifetime): the same reservation takes the lines again,
   * all or nothing, and is ACTIVE with a new expiry. ACTIVE and COMMITTED
   * are true without change; no reservation at all is reserved afresh; a
   * RESTOCKED one (sold, then given back) is BAD_USER_INPUT.
   */
  async renew(ctx: InventoryContext, args: ReserveStockArgs): Promise<boolean> {
    return this.take(ctx, args, true);
  }

  private async take(ctx: InventoryContext, args: ReserveStockArgs, renew: boolean): Promise<boolean> {
    if (!isUuid(args.orderId)) throw badUserInput(`orderId "${args.orderId}" is not an order id`, { argumentName: 'orderId' });
    const orderId = args.orderId.toLowerCase();
    const ttlSeconds = args.ttlSeconds ?? DEFAULT_RESERVATION_TTL_SECONDS;
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_TTL_SECONDS) {
      throw badUserInput(`ttlSeconds must be between 1 and ${MAX_TTL_SECONDS}, got ${ttlSeconds}`, { argumentName: 'ttlSeconds' });
    }
    const requested = requestedQuantities(args.lines);
    const now = new Date();
    const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
    const source: MovementSource = { actorId: ctx.viewer?.id ?? null, orderId, reason: null };
    return ctx.em.transactional(async (tx) => {
      // Claiming the order id first makes a concurrent duplicate wait here, then see our outcome.
      const reservationId = randomUUID();
      const claim = await tx
        .createQueryBuilder(Reservation)
        .insert({ id: reservationId, orderId, status: ReservationStatus.ACTIVE, expiresAt, createdAt: now, updatedAt: now })
        .onConflict('orderId')
        .ignore()
        .execute('run');
      if (claim.affectedRows === 0) {
        const existing = await lockReservation(tx, orderId);
        if (existing?.status === ReservationStatus.ACTIVE || existing?.status === ReservationStatus.COMMITTED) return true;
        if (renew && existing?.status === ReservationStatus.RELEASED) {
          // What it held before is history (the movements keep it); it holds what it takes now.
          await tx.nativeDelete(ReservationLine, { reservation: existing.id });
          await holdLines(tx, existing.id, requested, { ...source, reason: 'reservation renewed' }, now);
          existing.status = ReservationStatus.ACTIVE;
          existing.expiresAt = expiresAt;
          return true;
        }
        throw badUserInput(`The stock of order ${orderId} was already given back; a new checkout needs a new order id`, {
          argumentName: 'orderId',
          reservationStatus: existing?.status ?? null,
        });
      }
      await holdLines(tx, reservationId, requested, source, now);
      return true;
    });
  }

  async release(ctx: InventoryContext, orderId: string): Promise<boolean> {
    // An id that cannot exist has nothing reserved: releasing it is done.
    if (!isUuid(orderId)) return true;
    const now = new Date();
    return ctx.em.transactional(async (tx) => {
      const reservation = await lockReservation(tx, orderId.toLowerCase());
      if (reservation) await giveBackReservation(tx, reservation, { actorId: ctx.viewer?.id ?? null, reason: null }, now);
      return true;
    });
  }

  async commit(ctx: InventoryContext, orderId: string): Promise<boolean> {
    if (!isUuid(orderId)) throw badUserInput(`orderId "${orderId}" is not an order id`, { argumentName: 'orderId' });
    const now = new Date();
    return ctx.em.transactional(async (tx) => {
      const reservation = await lockReservation(tx, orderId.toLowerCase());
      // extensions.reservationStatus tells orders the stock was given back (RELEASED: expired) or never held, so it can take it again (renewReservation).
      if (!reservation) throw badUserInput(`Order ${orderId} has no stock reservation to commit`, { argumentName: 'orderId', reservationStatus: null });
      if (reservation.status === ReservationStatus.COMMITTED) return true;
      if (reservation.status !== ReservationStatus.ACTIVE) {
        throw badUserInput(`The reservation of order ${orderId} is ${reservation.status}; only an ACTIVE one can be committed`, {
          argumentName: 'orderId',
          reservationStatus: reservation.status,
        });
      }
      // An ACTIVE reservation still holds its units even past expiresAt (the sweeper has not run), so committing it cannot oversell.
      const ledger = new StockLedger(tx, { actorId: ctx.viewer?.id ?? null, orderId: reservation.orderId, reason: null });
      for (const { line, level } of await lockLinesLevels(tx, reservation)) ledger.move(level, StockMovementKind.COMMIT, -line.quantity, -line.quantity);
      reservation.status = ReservationStatus.COMMITTED;
      await ledger.commit(now);
      return true;
    });
  }
}

/** Releases the order's reservation if it is still ACTIVE and due; true when it did. */
export async function expireReservation(em: EntityManager, orderId: string, now: Date): Promise<boolean> {
  return em.transactional(async (tx) => {
    const reservation = await lockReservation(tx, orderId);
    // Re-checked under the lock: a commit or release may have won the race.
    if (!reservation || reservation.status !== ReservationStatus.ACTIVE || reservation.expiresAt > now) return false;
    await giveBackReservation(tx, reservation, { actorId: null, reason: 'reservation expired' }, now);
    return true;
  });
}
