import type { EntityManager } from '../../../lib/database';
import { demoCatalog } from '../../../lib/demo-data';
import type { Logger } from '../../../lib/logger';
import type { SubgraphClient } from '../../../lib/subgraph-client';

/**
 * Catalog's projection of inventory's product-level availability, in
 * `product_availability` (product_id, available_quantity, changed_at): what
 * the `available` filter and the availability facet read, inside catalog's
 * own statements. Inventory stays the owner: the projection only follows its
 * `stock.changed` events and re-reads it (resync). A product without a row is
 * unavailable.
 */
export interface AvailabilityFigure {
  productId: string;
  availableQuantity: number;
  /** When inventory's figure was true: an event's changedAt, or when a resync asked. */
  changedAt: Date | string;
}

/** Products per `_entities` call of a resync. */
const RESYNC_BATCH_SIZE = 500;

/**
 * Upserts figures in one statement, each only over an older one: events may
 * arrive late or twice, and a resync's figures (timed when it asked) must not
 * undo an event that came after. So the order in which figures are written
 * does not matter. Figures of products catalog does not have are dropped.
 * Returns the number of rows written.
 */
export async function recordAvailability(em: EntityManager, figures: readonly AvailabilityFigure[]): Promise<number> {
  if (figures.length === 0) return 0;
  // One row per product (ON CONFLICT cannot touch a row twice): the newest figure wins.
  const newest = new Map<string, { product_id: string; available_quantity: number; changed_at: string }>();
  for (const figure of figures) {
    const changedAt = new Date(figure.changedAt).toISOString();
    const productId = figure.productId.toLowerCase();
    const known = newest.get(productId);
    if (!known || known.changed_at < changedAt) newest.set(productId, { product_id: productId, available_quantity: figure.availableQuantity, changed_at: changedAt });
  }
  const result = await em.getConnection().execute<{ count: number }[]>(
    `with written as (
       insert into product_availability (product_id, available_quantity, changed_at)
       select r.product_id, r.available_quantity, r.changed_at
       from jsonb_to_recordset(?::jsonb) as r(product_id uuid, available_quantity int, changed_at timestamptz)
       where exists (select 1 from product p where p.id = r.product_id)
       on conflict (product_id) do update set available_quantity = excluded.available_quantity, changed_at = excluded.changed_at
       where product_availability.changed_at < excluded.changed_at
       returning 1
     )
     select count(*)::int as count from written`,
    [JSON.stringify([...newest.values()])],
  );
  return Number(result[0]?.count ?? 0);
}

export interface ResyncResult {
  products: number;
  batches: number;
  written: number;
}

/**
 * Asks inventory for the availability of every catalog product, in batches
 * of `batchSize` ids (keyset over product ids, so catalog never holds them all),
 * and records the answers timed at when each batch was asked. Throws when
 * inventory cannot answer (the caller retries).
 */
export async function resyncAvailability(em: EntityManager, inventory: SubgraphClient, batchSize = RESYNC_BATCH_SIZE): Promise<ResyncResult> {
  const result: ResyncResult = { products: 0, batches: 0, written: 0 };
  let after: string | null = null;
  for (;;) {
    const rows: { id: string }[] = await em
      .getConnection()
      .execute<{ id: string }[]>(`select id from product ${after ? 'where id > ? ' : ''}order by id limit ?`, after ? [after, batchSize] : [batchSize]);
    if (rows.length === 0) break;
    const ids = rows.map((row) => row.id);
    // Before asking: an event newer than this answer may then still win over it, never an older one.
    const askedAt = new Date();
    const answers = await inventory.entities<{ availableQuantity: number }>('Product', 'availableQuantity', ids);
    result.written += await recordAvailability(
      em,
      ids.map((productId, i) => ({ productId, availableQuantity: answers[i]?.availableQuantity ?? 0, changedAt: askedAt })),
    );
    result.products += ids.length;
    result.batches += 1;
    after = ids[ids.length - 1];
    if (rows.length < batchSize) break;
  }
  return result;
}

/** When the demo stock was "counted": older than any event or resync, so either replaces it. */
const DEMO_STOCK_TIME = '2026-01-01T00:00:00.000Z';

/**
 * The demo products' availability as inventory's demo seed stocks them (on
 * hand, nothing reserved), for rows still missing. Inventory's seed records no
 * events and, under `npm start` on fresh databases, runs after catalog's
 * start-up resync found no products: without this the demo would start with
 * every product unavailable until the next resync. Dated before any real
 * figure, so events and resyncs replace it.
 */
export async function seedAvailability(em: EntityManager, log: Logger): Promise<void> {
  const totals = new Map<string, number>();
  for (const level of demoCatalog().stock) totals.set(level.productId, (totals.get(level.productId) ?? 0) + level.onHand);
  // Older than any real figure, so recordAvailability writes only the rows still missing.
  const written = await recordAvailability(
    em,
    [...totals].map(([productId, availableQuantity]) => ({ productId, availableQuantity, changedAt: DEMO_STOCK_TIME })),
  );
  log.info({ availabilityRows: written }, 'seeded catalog availability projection');
}
