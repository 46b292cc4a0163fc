import { Migration } from '@mikro-orm/migrations';

export class Migration20261130160000_variants_cost_discounts extends Migration {

  override async up(): Promise<void> {
    // Every product id stored so far names the product's default variant, whose id it is.
    this.addSql(`alter table "order_item" add column "variant_id" uuid null;`);
    this.addSql(`update "order_item" set "variant_id" = "product_id";`);
    this.addSql(`alter table "order_item" alter column "variant_id" set not null;`);
    // One line per variant: an order may buy two sizes of one product.
    this.addSql(`alter table "order_item" drop constraint "order_item_order_id_product_id_unique";`);
    this.addSql(`alter table "order_item" add constraint "order_item_order_id_variant_id_unique" unique ("order_id", "variant_id");`);

    // Orders placed before the breakdown existed cost the sum of their lines: subtotal = total, nothing else.
    this.addSql(`alter table "customer_order" add column "subtotal_amount" int not null default 0, add column "discounts_amount" int not null default 0, add column "shipping_amount" int not null default 0, add column "tax_amount" int not null default 0, add column "shipping_method_id" text null, add column "shipping_method_name" text null, add column "shipping_method_description" text null, add column "discount_codes" text[] not null default '{}';`);
    this.addSql(`update "customer_order" set "subtotal_amount" = "total_amount";`);
    this.addSql(`alter table "customer_order" alter column "subtotal_amount" drop default, add constraint customer_order_cost_amounts_check check (subtotal_amount >= 0 and discounts_amount >= 0 and discounts_amount <= subtotal_amount and shipping_amount >= 0 and tax_amount >= 0), add constraint customer_order_cost_total_check check (total_amount = subtotal_amount - discounts_amount + shipping_amount + tax_amount);`);

    this.addSql(`create table "discount_redemption" ("id" uuid not null, "code_id" uuid not null, "code" text not null, "order_id" uuid not null, "user_id" uuid not null, "amount" int not null, "currency" varchar(3) not null, "created_at" timestamptz(3) not null, constraint "discount_redemption_pkey" primary key ("id"), constraint discount_redemption_amount_check check (amount >= 0), constraint discount_redemption_currency_check check (currency ~ '^[A-Z]{3}\$'));`);
    this.addSql(`alter table "discount_redemption" add constraint "discount_redemption_order_id_unique" unique ("order_id");`);
    this.addSql(`create index "discount_redemption_code_id_user_id_idx" on "discount_redemption" ("code_id", "user_id");`);
    this.addSql(`alter table "discount_redemption" add constraint "discount_redemption_order_id_foreign" foreign key ("order_id") references "customer_order" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "discount_redemption" cascade;`);
    this.addSql(`alter table "customer_order" drop constraint customer_order_cost_total_check, drop constraint customer_order_cost_amounts_check, drop column "subtotal_amount", drop column "discounts_amount", drop column "shipping_amount", drop column "tax_amount", drop column "shipping_method_id", drop column "shipping_method_name", drop column "shipping_method_description", drop column "discount_codes";`);
    this.addSql(`alter table "order_item" drop constraint "order_item_order_id_variant_id_unique";`);
    this.addSql(`alter table "order_item" add constraint "order_item_order_id_product_id_unique" unique ("order_id", "product_id");`);
    this.addSql(`alter table "order_item" drop column "variant_id";`);
  }

}
