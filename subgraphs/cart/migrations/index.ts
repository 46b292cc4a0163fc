import type { MigrationObject } from '@mikro-orm/core';
import { migration } from '../../../lib/database';
import { Migration20261122025709_initial } from './Migration20261122025709_initial';
import { Migration20261122031501_checkout_order } from './Migration20261122031501_checkout_order';
import { Migration20261130150000_variants_discounts } from './Migration20261130150000_variants_discounts';

/** Applied in this order at start; append new migrations, never edit applied ones. */
export const cartMigrations: MigrationObject[] = [
  migration('Migration20261122025709_initial', Migration20261122025709_initial),
  migration('Migration20261122031501_checkout_order', Migration20261122031501_checkout_order),
  migration('Migration20261130150000_variants_discounts', Migration20261130150000_variants_discounts),
];
