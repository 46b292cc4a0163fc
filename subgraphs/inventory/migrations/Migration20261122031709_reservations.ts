import { Migration } from '@mikro-orm/migrations';

export class Migration20261122031709_reservations extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "outbox_event" ("id" bigserial primary key, "topic" varchar(100) not null, "key" varchar(100) not null, "payload" jsonb not null, "created_at" timestamptz(3) not null, "published_at" timestamptz(3) null);`);
    this.addSql(`create index "outbox_event_unpublished_idx" on "outbox_event" ("id") where "published_at" is null;`);

    this.addSql(`create table "reservation" ("id" uuid not null, "order_id" uuid not null, "status" text check ("status" in ('ACTIVE', 'COMMITTED', 'RELEASED', 'RESTOCKED')) not null, "expires_at" timestamptz(3) not null, "created_at" timestamptz(3) not null, "updated_at" timestamptz(3) not null, constraint "reservation_pkey" primary key ("id"));`);
    this.addSql(`alter table "reservation" add constraint "reservation_order_id_unique" unique ("order_id");`);
    this.addSql(`create index "reservation_active_expires_at_idx" on "reservation" ("expires_at") where "status" = 'ACTIVE';`);

    this.addSql(`create table "stock_movement" ("id" uuid not null, "product_id" uuid not null, "warehouse_id" uuid not null, "kind" text check ("kind" in ('ADJUSTMENT', 'RESERVE', 'RELEASE', 'COMMIT', 'RESTOCK')) not null, "delta" int not null, "reserved_delta" int not null default 0, "reason" text null, "actor_id" uuid null, "order_id" uuid null, "created_at" timestamptz(3) not null, constraint "stock_movement_pkey" primary key ("id"), constraint stock_movement_nonzero_check check (delta <> 0 or reserved_delta <> 0));`);
    this.addSql(`create index "stock_movement_warehouse_id_index" on "stock_movement" ("warehouse_id");`);
    this.addSql(`create index "stock_movement_order_id_index" on "stock_movement" ("order_id");`);
    this.addSql(`create index "stock_movement_product_id_created_at_idx" on "stock_movement" ("product_id", "created_at");`);

    this.addSql(`create table "reservation_line" ("id" uuid not null, "reservation_id" uuid not null, "product_id" uuid not null, "warehouse_id" uuid not null, "quantity" int not null, constraint "reservation_line_pkey" primary key ("id"), constraint reservation_line_quantity_check check (quantity > 0));`);
    this.addSql(`create index "reservation_line_warehouse_id_index" on "reservation_line" ("warehouse_id");`);
    this.addSql(`alter table "reservation_line" add constraint "reservation_line_reservation_product_warehouse_unique" unique ("reservation_id", "product_id", "warehouse_id");`);

    this.addSql(`alter table "stock_movement" add constraint "stock_movement_warehouse_id_foreign" foreign key ("warehouse_id") references "warehouse" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "reservation_line" add constraint "reservation_line_reservation_id_foreign" foreign key ("reservation_id") references "reservation" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "reservation_line" add constraint "reservation_line_warehouse_id_foreign" foreign key ("warehouse_id") references "warehouse" ("id") on update cascade on delete restrict;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "reservation_line" drop constraint "reservation_line_reservation_id_foreign";`);

    this.addSql(`drop table if exists "outbox_event" cascade;`);

    this.addSql(`drop table if exists "reservation" cascade;`);

    this.addSql(`drop table if exists "stock_movement" cascade;`);

    this.addSql(`drop table if exists "reservation_line" cascade;`);
  }

}
