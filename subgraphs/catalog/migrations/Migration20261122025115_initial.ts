import { Migration } from '@mikro-orm/migrations';

export class Migration20261122025115_initial extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "category" ("id" uuid not null, "name" varchar(255) not null, "slug" varchar(255) not null, "parent_id" uuid null, "created_at" timestamptz(3) not null, constraint "category_pkey" primary key ("id"));`);
    this.addSql(`alter table "category" add constraint "category_slug_unique" unique ("slug");`);
    this.addSql(`create index "category_parent_id_index" on "category" ("parent_id");`);

    this.addSql(`create table "product" ("id" uuid not null, "sku" varchar(255) not null, "slug" varchar(255) not null, "name" varchar(255) not null, "description" text not null, "price_amount" int not null, "currency" varchar(3) not null default 'USD', "category_id" uuid not null, "image_url" text null, "created_at" timestamptz(3) not null, "updated_at" timestamptz(3) not null, "search_vector" tsvector generated always as (setweight(to_tsvector('english', coalesce(name, '')), 'A') || setweight(to_tsvector('english', coalesce(description, '')), 'B')) stored null, constraint "product_pkey" primary key ("id"));`);
    this.addSql(`alter table "product" add constraint "product_sku_unique" unique ("sku");`);
    this.addSql(`alter table "product" add constraint "product_slug_unique" unique ("slug");`);
    this.addSql(`create index "product_category_id_index" on "product" ("category_id");`);
    this.addSql(`create index "product_search_vector_idx" on "product" using gin ("search_vector");`);
    this.addSql(`create index "product_name_id_idx" on "product" ("name", "id");`);
    this.addSql(`create index "product_price_amount_id_idx" on "product" ("price_amount", "id");`);
    this.addSql(`create index "product_created_at_id_idx" on "product" ("created_at", "id");`);

    this.addSql(`alter table "category" add constraint "category_parent_id_foreign" foreign key ("parent_id") references "category" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "product" add constraint "product_category_id_foreign" foreign key ("category_id") references "category" ("id") on update cascade on delete restrict;`);
  }

}
