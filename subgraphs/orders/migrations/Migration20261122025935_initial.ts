import { Migration } from '@mikro-orm/migrations';

export class Migration20261122025935_initial extends Migration {

  override async up(): Promise<void> {
    // Order numbers: a sequence, formatted as ORD- and at least six digits (lpad alone would truncate longer ones).
    this.addSql(`create sequence "order_number_seq" as bigint start with 1;`);
    this.addSql(`create function "format_order_number"(n bigint) returns text language sql immutable parallel safe as $$ select 'ORD-' || lpad(n::text, greatest(6, length(n::text)), '0') $$;`);
    this.addSql(`create table "customer_order" ("id" uuid not null, "number" text not null default format_order_number(nextval('order_number_seq'::regclass)), "user_id" uuid not null, "status" text check ("status" in ('PENDING', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED')) not null default 'PENDING', "total_amount" int not null, "currency" varchar(3) not null, "shipping_line1" varchar(200) not null, "shipping_line2" varchar(200) null, "shipping_city" varchar(100) not null, "shipping_postal_code" varchar(20) not null, "shipping_country" varchar(2) not null, "idempotency_key" text null, "created_at" timestamptz(3) not null, "updated_at" timestamptz(3) not null, constraint "customer_order_pkey" primary key ("id"), constraint customer_order_currency_check check (currency ~ '^[A-Z]{3}\$'), constraint customer_order_total_amount_check check (total_amount >= 0));`);
    this.addSql(`alter table "customer_order" add constraint "customer_order_number_unique" unique ("number");`);
    this.addSql(`alter sequence "order_number_seq" owned by "customer_order"."number";`);
    this.addSql(`create index "customer_order_user_id_created_at_id_idx" on "customer_order" ("user_id", "created_at", "id");`);
    this.addSql(`alter table "customer_order" add constraint "customer_order_user_id_idempotency_key_unique" unique ("user_id", "idempotency_key");`);

    this.addSql(`create table "order_item" ("id" uuid not null, "order_id" uuid not null, "product_id" uuid not null, "quantity" int not null, "unit_price_amount" int not null, "currency" varchar(3) not null, constraint "order_item_pkey" primary key ("id"), constraint order_item_currency_check check (currency ~ '^[A-Z]{3}\$'), constraint order_item_unit_price_amount_check check (unit_price_amount >= 0), constraint order_item_quantity_check check (quantity > 0));`);
    this.addSql(`alter table "order_item" add constraint "order_item_order_id_product_id_unique" unique ("order_id", "product_id");`);

    this.addSql(`create table "order_status_event" ("id" uuid not null, "order_id" uuid not null, "status" text check ("status" in ('PENDING', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED')) not null, "at" timestamptz(3) not null, "note" text null, constraint "order_status_event_pkey" primary key ("id"));`);
    this.addSql(`create index "order_status_event_order_id_at_idx" on "order_status_event" ("order_id", "at");`);

    this.addSql(`alter table "order_item" add constraint "order_item_order_id_foreign" foreign key ("order_id") references "customer_order" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "order_status_event" add constraint "order_status_event_order_id_foreign" foreign key ("order_id") references "customer_order" ("id") on update cascade on delete cascade;`);
  }

}
