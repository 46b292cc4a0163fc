import type { MigrationObject } from '@mikro-orm/core';
import { migration } from '../../../lib/database';
import { Migration20261122025935_initial } from './Migration20261122025935_initial';
import { Migration20261122031845_checkout_saga } from './Migration20261122031845_checkout_saga';
import { Migration20261123090000_order_attention } from './Migration20261123090000_order_attention';
import { Migration20261130100000_payment_refunds } from './Migration20261130100000_payment_refunds';
import { Migration20261130160000_variants_cost_discounts } from './Migration20261130160000_variants_cost_discounts';
import { Migration20261207130000_checkout_request_fingerprint } from './Migration20261207130000_checkout_request_fingerprint';

/** Applied in this order at start; append new migrations, never edit applied ones. */
export const ordersMigrations: MigrationObject[] = [
  migration('Migration20261122025935_initial', Migration20261122025935_initial),
  migration('Migration20261122031845_checkout_saga', Migration20261122031845_checkout_saga),
  migration('Migration20261123090000_order_attention', Migration20261123090000_order_attention),
  migration('Migration20261130100000_payment_refunds', Migration20261130100000_payment_refunds),
  migration('Migration20261130160000_variants_cost_discounts', Migration20261130160000_variants_cost_discounts),
  migration('Migration20261207130000_checkout_request_fingerprint', Migration20261207130000_checkout_request_fingerprint),
];
