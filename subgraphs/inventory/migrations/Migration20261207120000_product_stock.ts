import { Migration } from '@mikro-orm/migrations';

/**
 * product_stock: each product's availability (onHand - reserved over all its
 * variants and warehouses), kept by the stock ledger in the transaction that
 * changes a stock level (stock/stock-ledger.ts), so a STOCK_CHANGED event
 * can carry the product-wide figure its transaction leaves behind without
 * locking every stock level of the product. Rows inserted into or deleted
 * from stock_level (seeds, a variant stocked in a new warehouse) are counted
 * by a trigger, in the same statement.
 */
export class Migration20261207120000_product_stock extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "product_stock" ("product_id" uuid not null, "available" int not null, "updated_at" timestamptz(3) not null default now(), constraint "product_stock_pkey" primary key ("product_id"));`);
    this.addSql(`insert into "product_stock" ("product_id", "available") select "product_id", sum("on_hand" - "reserved") from "stock_level" group by "product_id";`);
    this.addSql(`create function "stock_level_counted_in_product_stock"() returns trigger language plpgsql as $$
      begin
        if tg_op = 'INSERT' then
          insert into "product_stock" ("product_id", "available", "updated_at") values (new."product_id", new."on_hand" - new."reserved", now())
            on conflict ("product_id") do update set "available" = "product_stock"."available" + excluded."available", "updated_at" = now();
          return new;
        end if;
        update "product_stock" set "available" = "available" - (old."on_hand" - old."reserved"), "updated_at" = now() where "product_id" = old."product_id";
        return old;
      end $$;`);
    this.addSql(`create trigger "stock_level_counted_in_product_stock" after insert or delete on "stock_level" for each row execute function "stock_level_counted_in_product_stock"();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger "stock_level_counted_in_product_stock" on "stock_level";`);
    this.addSql(`drop function "stock_level_counted_in_product_stock"();`);
    this.addSql(`drop table "product_stock";`);
  }
}
