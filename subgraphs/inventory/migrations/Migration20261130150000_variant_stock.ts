import { Migration } from '@mikro-orm/migrations';

/**
 * Stock is held per product variant. Every id stored before variants existed
 * is a product id, and a product's default variant has the product's id, so
 * the existing rows become the default variants' rows: variant_id = product_id.
 * product_id stays on every row (indexed on stock_level) for product-wide sums
 * and for locking all of a product's stock at once.
 */
export class Migration20261130150000_variant_stock extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "stock_level" add column "variant_id" uuid null;`);
    this.addSql(`update "stock_level" set "variant_id" = "product_id";`);
    this.addSql(`alter table "stock_level" alter column "variant_id" set not null;`);
    this.addSql(`alter table "stock_level" drop constraint "stock_level_product_id_warehouse_id_unique";`);
    this.addSql(`alter table "stock_level" add constraint "stock_level_variant_id_warehouse_id_unique" unique ("variant_id", "warehouse_id");`);
    this.addSql(`create index "stock_level_product_id_index" on "stock_level" ("product_id");`);

    this.addSql(`alter table "reservation_line" add column "variant_id" uuid null;`);
    this.addSql(`update "reservation_line" set "variant_id" = "product_id";`);
    this.addSql(`alter table "reservation_line" alter column "variant_id" set not null;`);
    this.addSql(`alter table "reservation_line" drop constraint "reservation_line_reservation_product_warehouse_unique";`);
    this.addSql(`alter table "reservation_line" add constraint "reservation_line_reservation_variant_warehouse_unique" unique ("reservation_id", "variant_id", "warehouse_id");`);

    this.addSql(`alter table "stock_movement" add column "variant_id" uuid null;`);
    this.addSql(`update "stock_movement" set "variant_id" = "product_id";`);
    this.addSql(`alter table "stock_movement" alter column "variant_id" set not null;`);
  }

  /**
   * Back to one stock level per product and warehouse: possible only while
   * every row is a default variant's (no other variant was ever stocked or
   * reserved); otherwise it refuses rather than merge or drop stock.
   */
  override async down(): Promise<void> {
    this.addSql(`do $$ begin
      if exists (select 1 from "stock_level" where "variant_id" <> "product_id") or exists (select 1 from "reservation_line" where "variant_id" <> "product_id") then
        raise exception 'stock is held for variants other than the default ones: it cannot be folded back into one stock level per product and warehouse';
      end if;
    end $$;`);
    this.addSql(`alter table "stock_movement" drop column "variant_id";`);

    this.addSql(`alter table "reservation_line" drop constraint "reservation_line_reservation_variant_warehouse_unique";`);
    this.addSql(`alter table "reservation_line" add constraint "reservation_line_reservation_product_warehouse_unique" unique ("reservation_id", "product_id", "warehouse_id");`);
    this.addSql(`alter table "reservation_line" drop column "variant_id";`);

    this.addSql(`drop index "stock_level_product_id_index";`);
    this.addSql(`alter table "stock_level" drop constraint "stock_level_variant_id_warehouse_id_unique";`);
    this.addSql(`alter table "stock_level" add constraint "stock_level_product_id_warehouse_id_unique" unique ("product_id", "warehouse_id");`);
    this.addSql(`alter table "stock_level" drop column "variant_id";`);
  }

}
