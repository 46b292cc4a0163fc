import { Migration } from '@mikro-orm/migrations';

export class Migration20261123090000_order_attention extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "customer_order" add column "attention_reason" text check ("attention_reason" in ('STOCK_UNAVAILABLE')) null, add column "attention_checked_at" timestamptz(3) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "customer_order" drop column "attention_reason", drop column "attention_checked_at";`);
  }

}
