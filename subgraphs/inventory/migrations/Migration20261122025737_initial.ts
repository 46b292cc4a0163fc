import { Migration } from '@mikro-orm/migrations';

export class Migration20261122025737_initial extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "warehouse" ("id" uuid not null, "code" varchar(255) not null, "name" varchar(255) not null, "created_at" timestamptz(3) not null, constraint "warehouse_pkey" primary key ("id"));`);
    this.addSql(`alter table "warehouse" add constraint "warehouse_code_unique" unique ("code");`);

    this.addSql(`create table "stock_level" ("id" uuid not null, "product_id" uuid not null, "warehouse_id" uuid not null, "on_hand" int not null, "reserved" int not null default 0, "updated_at" timestamptz(3) not null, constraint "stock_level_pkey" primary key ("id"), constraint stock_level_on_hand_check check (on_hand >= reserved), constraint stock_level_reserved_check check (reserved >= 0));`);
    this.addSql(`create index "stock_level_warehouse_id_index" on "stock_level" ("warehouse_id");`);
    this.addSql(`alter table "stock_level" add constraint "stock_level_product_id_warehouse_id_unique" unique ("product_id", "warehouse_id");`);

    this.addSql(`alter table "stock_level" add constraint "stock_level_warehouse_id_foreign" foreign key ("warehouse_id") references "warehouse" ("id") on update cascade on delete restrict;`);
  }

}
