import { Migration } from '@mikro-orm/migrations';

export class Migration20261122031845_checkout_saga extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "outbox_event" ("id" bigserial primary key, "topic" varchar(100) not null, "key" varchar(100) not null, "payload" jsonb not null, "created_at" timestamptz(3) not null, "published_at" timestamptz(3) null);`);
    this.addSql(`create index "outbox_event_unpublished_idx" on "outbox_event" ("id") where "published_at" is null;`);

    this.addSql(`create table "payment" ("id" uuid not null, "order_id" uuid not null, "token" text not null, "amount" int not null, "currency" varchar(3) not null, "outcome" text check ("outcome" in ('APPROVED', 'DECLINED')) not null, "created_at" timestamptz(3) not null, constraint "payment_pkey" primary key ("id"), constraint payment_currency_check check (currency ~ '^[A-Z]{3}\$'), constraint payment_amount_check check (amount >= 0));`);
    this.addSql(`alter table "payment" add constraint "payment_order_id_unique" unique ("order_id");`);

    this.addSql(`alter table "customer_order" add column "cart_id" uuid null, add column "lines_fingerprint" text null, add column "stock_committed" boolean not null default false, add column "stock_released" boolean not null default false, add column "cart_completed" boolean not null default false;`);
    // Orders placed before the saga existed reserved no stock and kept no cart: no follow-up step is owed for them.
    this.addSql(`update "customer_order" set "stock_committed" = "status" in ('PAID', 'SHIPPED', 'DELIVERED'), "stock_released" = "status" = 'CANCELLED', "cart_completed" = true;`);
    this.addSql(`create unique index "customer_order_cart_id_live_unique" on "customer_order" ("cart_id") where "status" <> 'CANCELLED';`);
    this.addSql(`create index "customer_order_recovery_idx" on "customer_order" ("created_at") where status = 'PENDING' or (status = 'CANCELLED' and not stock_released) or (status in ('PAID', 'SHIPPED', 'DELIVERED') and not (stock_committed and cart_completed));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "outbox_event" cascade;`);

    this.addSql(`drop table if exists "payment" cascade;`);

    this.addSql(`drop index "customer_order_cart_id_live_unique";`);
    this.addSql(`drop index "customer_order_recovery_idx";`);
    this.addSql(`alter table "customer_order" drop column "cart_id", drop column "lines_fingerprint", drop column "stock_committed", drop column "stock_released", drop column "cart_completed";`);
  }

}
