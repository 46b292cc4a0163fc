import { Migration } from '@mikro-orm/migrations';

export class Migration20261130100000_payment_refunds extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "payment" add column "captured_at" timestamptz(3) null;`);
    // Until now an approved charge was captured at once.
    this.addSql(`update "payment" set "captured_at" = "created_at" where "outcome" = 'APPROVED';`);

    this.addSql(`create table "payment_refund" ("id" uuid not null, "idempotency_key" text not null, "order_id" uuid not null, "amount" int not null, "currency" varchar(3) not null, "created_at" timestamptz(3) not null, constraint "payment_refund_pkey" primary key ("id"), constraint payment_refund_currency_check check (currency ~ '^[A-Z]{3}\$'), constraint payment_refund_amount_check check (amount > 0));`);
    this.addSql(`alter table "payment_refund" add constraint "payment_refund_idempotency_key_unique" unique ("idempotency_key");`);
    this.addSql(`create index "payment_refund_order_id_idx" on "payment_refund" ("order_id");`);

    this.addSql(`alter table "customer_order" add column "refund_status" text check ("refund_status" in ('PENDING', 'REFUNDED')) null, add column "refunded_amount" int not null default 0, add constraint customer_order_refunded_amount_check check (refunded_amount >= 0);`);
    this.addSql(`drop index "customer_order_recovery_idx";`);
    this.addSql(`create index "customer_order_recovery_idx" on "customer_order" ("created_at") where status = 'PENDING' or (status = 'CANCELLED' and (not stock_released or refund_status = 'PENDING')) or (status in ('PAID', 'SHIPPED', 'DELIVERED') and not (stock_committed and cart_completed));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "customer_order_recovery_idx";`);
    this.addSql(`create index "customer_order_recovery_idx" on "customer_order" ("created_at") where status = 'PENDING' or (status = 'CANCELLED' and not stock_released) or (status in ('PAID', 'SHIPPED', 'DELIVERED') and not (stock_committed and cart_completed));`);
    this.addSql(`alter table "customer_order" drop constraint customer_order_refunded_amount_check, drop column "refund_status", drop column "refunded_amount";`);
    this.addSql(`drop table if exists "payment_refund" cascade;`);
    this.addSql(`alter table "payment" drop column "captured_at";`);
  }

}
