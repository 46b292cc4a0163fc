import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 14: cart lines name a variant, and carts may carry a discount code.
 * Every existing line names a product, whose default variant has the same id,
 * so the product id is copied into variant_id and each line keeps meaning
 * exactly what it did.
 */
export class Migration20261130150000_variants_discounts extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "cart_item" add column "variant_id" uuid null;`);
    this.addSql(`update "cart_item" set "variant_id" = "product_id";`);
    this.addSql(`alter table "cart_item" alter column "variant_id" set not null;`);
    this.addSql(`alter table "cart_item" drop constraint "cart_item_cart_id_product_id_unique";`);
    this.addSql(`alter table "cart_item" add constraint "cart_item_cart_id_variant_id_unique" unique ("cart_id", "variant_id");`);

    this.addSql(`create table "discount_code" ("id" uuid not null, "code" varchar(32) not null, "kind" text check ("kind" in ('PERCENTAGE', 'FIXED_AMOUNT')) not null, "value" int not null, "currency" varchar(3) not null, "minimum_subtotal_amount" int null, "starts_at" timestamptz(3) null, "ends_at" timestamptz(3) null, "usage_limit" int null, "usage_limit_per_customer" int null, "created_at" timestamptz(3) not null, constraint "discount_code_pkey" primary key ("id"),
      constraint discount_code_code_format check ("code" ~ '^[A-Z0-9_-]{3,32}$'),
      constraint discount_code_value_range check (("kind" = 'PERCENTAGE' and "value" between 1 and 100) or ("kind" = 'FIXED_AMOUNT' and "value" > 0)),
      constraint discount_code_minimum_subtotal_positive check ("minimum_subtotal_amount" is null or "minimum_subtotal_amount" >= 0),
      constraint discount_code_window check ("starts_at" is null or "ends_at" is null or "ends_at" > "starts_at"),
      constraint discount_code_usage_limit_positive check ("usage_limit" is null or "usage_limit" >= 1),
      constraint discount_code_usage_limit_per_customer_positive check ("usage_limit_per_customer" is null or "usage_limit_per_customer" >= 1));`);
    this.addSql(`alter table "discount_code" add constraint "discount_code_code_unique" unique ("code");`);

    this.addSql(`alter table "cart" add column "discount_code_id" uuid null;`);
    this.addSql(`alter table "cart" add constraint "cart_discount_code_id_foreign" foreign key ("discount_code_id") references "discount_code" ("id") on update cascade on delete set null;`);
    // For the foreign key's checks when a code is deleted.
    this.addSql(`create index "cart_discount_code_id_index" on "cart" ("discount_code_id") where "discount_code_id" is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "cart" drop column "discount_code_id";`);
    this.addSql(`drop table "discount_code";`);
    this.addSql(`alter table "cart_item" drop constraint "cart_item_cart_id_variant_id_unique";`);
    this.addSql(`alter table "cart_item" add constraint "cart_item_cart_id_product_id_unique" unique ("cart_id", "product_id");`);
    this.addSql(`alter table "cart_item" drop column "variant_id";`);
  }

}
