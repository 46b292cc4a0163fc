import type { EntityManager } from '../../lib/database';
import { demoId } from '../../lib/demo-data';
import type { Logger } from '../../lib/logger';
import { DiscountCode, DiscountKind } from './discount-code/discount-code.entity';

/** The demo discount codes (README "Discounts, shipping and tax"). */
export const DEMO_DISCOUNT_CODES = [
  { code: 'WELCOME10', kind: DiscountKind.PERCENTAGE, value: 10 },
  { code: 'SAVE15', kind: DiscountKind.FIXED_AMOUNT, value: 1500, minimumSubtotalAmount: 10_000 },
  { code: 'LIMITED5', kind: DiscountKind.PERCENTAGE, value: 20, usageLimit: 5, usageLimitPerCustomer: 1 },
] as const;

/** Inserts the demo discount codes that are missing (by code); existing codes are left alone. */
export async function seedCart(em: EntityManager, log: Logger): Promise<void> {
  await em.transactional(async (tx) => {
    const existing = new Set((await tx.find(DiscountCode, {}, { fields: ['code'] })).map((row) => row.code));
    let codes = 0;
    for (const demo of DEMO_DISCOUNT_CODES) {
      if (existing.has(demo.code)) continue;
      tx.create(DiscountCode, { id: demoId('discount-code', demo.code), currency: 'USD', createdAt: new Date(Date.UTC(2026, 0, 1)), ...demo });
      codes += 1;
    }
    log.info({ discountCodes: codes }, 'seeded cart demo data');
  });
}
