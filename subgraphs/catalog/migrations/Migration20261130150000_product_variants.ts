import { Migration } from '@mikro-orm/migrations';

/**
 * Options and variants. Every existing product gets its default variant: id =
 * the product's id (so ids stored before variants, in carts, orders and stock,
 * each name exactly one variant), its SKU, price and currency, title
 * "Default", 500 g.
 */
export class Migration20261130150000_product_variants extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table product_option (
  id uuid primary key,
  product_id uuid not null references product(id) on delete cascade,
  position int not null,
  name varchar(50) not null,
  "values" text[] not null,
  unique (product_id, position),
  unique (product_id, name)
);`);
    this.addSql(`create table product_variant (
  id uuid primary key,
  product_id uuid not null references product(id) on delete cascade,
  position int not null,
  sku varchar(64) not null unique,
  title varchar(200) not null,
  price_amount int not null check (price_amount >= 0),
  currency varchar(3) not null,
  weight_grams int not null default 0 check (weight_grams >= 0),
  created_at timestamptz(3) not null, updated_at timestamptz(3) not null,
  unique (product_id, position)
);`);
    this.addSql(`create table product_variant_option (
  variant_id uuid not null references product_variant(id) on delete cascade,
  product_id uuid not null,
  name varchar(50) not null,
  value varchar(100) not null,
  primary key (variant_id, name)
);`);
    this.addSql(`create index product_variant_option_name_value_product_idx on product_variant_option (name, value, product_id);`);
    this.addSql(`insert into product_variant (id, product_id, position, sku, title, price_amount, currency, weight_grams, created_at, updated_at)
  select id, id, 0, sku, 'Default', price_amount, currency, 500, created_at, now() from product;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists product_variant_option;`);
    this.addSql(`drop table if exists product_variant;`);
    this.addSql(`drop table if exists product_option;`);
  }

}
