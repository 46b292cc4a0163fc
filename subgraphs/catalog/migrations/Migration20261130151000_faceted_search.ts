import { Migration } from '@mikro-orm/migrations';

/**
 * Faceted search. `product_availability` is catalog's projection of
 * inventory's product-level availability (kept from `stock.changed` events and
 * re-synchronised from inventory; see availability/availability-projection.ts):
 * the `available` filter and the availability facet read it, a product without
 * a row counting as unavailable. Runs after the variants migration, whose
 * `product_variant_option (name, value, product_id)` index serves the option
 * filter; the indexes here serve the rest.
 */
export class Migration20261130151000_faceted_search extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table product_availability (
  product_id uuid primary key,
  available_quantity int not null,
  changed_at timestamptz(3) not null
);`);
    // `available: true` (a semi-join on products in stock) reads only this index.
    this.addSql(`create index product_availability_in_stock_idx on product_availability (product_id) where available_quantity > 0;`);
    // A product's option rows (the option filter of one page and the facet counts join by product).
    this.addSql(`create index product_variant_option_product_idx on product_variant_option (product_id, name, value);`);
    // An option's display order for its facet: the values of the product listing the most of them, one index probe per name.
    this.addSql(`create index product_option_display_idx on product_option (name, cardinality("values") desc, product_id);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists product_option_display_idx;`);
    this.addSql(`drop index if exists product_variant_option_product_idx;`);
    this.addSql(`drop table if exists product_availability;`);
  }

}
