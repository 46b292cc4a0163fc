import type { MigrationObject } from '@mikro-orm/core';
import { migration } from '../../../lib/database';
import { Migration20261122025115_initial } from './Migration20261122025115_initial';
import { Migration20261122032135_price_check } from './Migration20261122032135_price_check';
import { Migration20261130121716_outbox } from './Migration20261130121716_outbox';
import { Migration20261130150000_product_variants } from './Migration20261130150000_product_variants';
import { Migration20261130151000_faceted_search } from './Migration20261130151000_faceted_search';

/** Applied in this order at start; append new migrations, never edit applied ones. */
export const catalogMigrations: MigrationObject[] = [
  migration('Migration20261122025115_initial', Migration20261122025115_initial),
  migration('Migration20261122032135_price_check', Migration20261122032135_price_check),
  migration('Migration20261130121716_outbox', Migration20261130121716_outbox),
  migration('Migration20261130150000_product_variants', Migration20261130150000_product_variants),
  migration('Migration20261130151000_faceted_search', Migration20261130151000_faceted_search),
];
