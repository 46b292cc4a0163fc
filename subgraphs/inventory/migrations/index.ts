import type { MigrationObject } from '@mikro-orm/core';
import { migration } from '../../../lib/database';
import { Migration20261122025737_initial } from './Migration20261122025737_initial';
import { Migration20261122031709_reservations } from './Migration20261122031709_reservations';
import { Migration20261130150000_variant_stock } from './Migration20261130150000_variant_stock';
import { Migration20261207120000_product_stock } from './Migration20261207120000_product_stock';

/** Applied in this order at start; append new migrations, never edit applied ones. */
export const inventoryMigrations: MigrationObject[] = [
  migration('Migration20261122025737_initial', Migration20261122025737_initial),
  migration('Migration20261122031709_reservations', Migration20261122031709_reservations),
  migration('Migration20261130150000_variant_stock', Migration20261130150000_variant_stock),
  migration('Migration20261207120000_product_stock', Migration20261207120000_product_stock),
];
