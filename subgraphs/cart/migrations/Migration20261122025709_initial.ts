import { Migration } from '@mikro-orm/migrations';

export class Migration20261122025709_initial extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "cart" ("id" uuid not null, "user_id" uuid null, "status" text check ("status" in ('ACTIVE', 'MERGED', 'CHECKED_OUT')) not null default 'ACTIVE', "created_at" timestamptz(3) not null, "updated_at" timestamptz(3) not null, constraint "cart_pkey" primary key ("id"));`);
    this.addSql(`create unique index "cart_user_id_active_unique" on "cart" ("user_id") where "user_id" is not null and "status" = 'ACTIVE';`);

    this.addSql(`create table "cart_item" ("id" uuid not null, "cart_id" uuid not null, "product_id" uuid not null, "quantity" int not null, "created_at" timestamptz(3) not null, constraint "cart_item_pkey" primary key ("id"), constraint cart_item_quantity_positive check (quantity > 0));`);
    this.addSql(`alter table "cart_item" add constraint "cart_item_cart_id_product_id_unique" unique ("cart_id", "product_id");`);

    this.addSql(`alter table "cart_item" add constraint "cart_item_cart_id_foreign" foreign key ("cart_id") references "cart" ("id") on update cascade on delete cascade;`);
  }

}
