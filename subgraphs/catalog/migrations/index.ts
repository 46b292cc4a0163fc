import type { MigrationObject } from '@mikro-orm/core';
import { migration } from '../../../lib/database';
import { Migration20261122025115_initial } from './Migration20261122025115_initial';
import { Migration20261122032135_price_check } from './Migration20261122032135_price_check';
import { Migration20261130121716_outbox } from './Migration20261130121716_outbox';

/** Applied in this order at start; append new migrations, never edit applied ones. */
export const catalogMigrations: MigrationObject[] = [
  migration('Migration20261122025115_initial', Migration20261122025115_initial),
  migration('Migration20261122032135_price_check', Migration20261122032135_price_check),
  migration('Migration20261130121716_outbox', Migration20261130121716_outbox),
];
