import { Migration } from '@mikro-orm/migrations';

/**
 * The digest of what a checkout request asked for besides its cart (address,
 * payment token, shipping method, the cart named): a retry under the same
 * idempotency key must ask for the same, or it is refused. Orders placed
 * before have none and are compared by cart and lines only, as before.
 */
export class Migration20261207130000_checkout_request_fingerprint extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "customer_order" add column "request_fingerprint" text null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "customer_order" drop column "request_fingerprint";`);
  }
}
