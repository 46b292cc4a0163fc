import { Migration } from '@mikro-orm/migrations';

export class Migration20261122031501_checkout_order extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "cart" add column "order_id" uuid null;`);
    this.addSql(`alter table "cart" add constraint "cart_order_id_unique" unique ("order_id");`);
    this.addSql(`alter table "cart" add constraint cart_order_id_when_checked_out check(("status" = 'CHECKED_OUT') = ("order_id" is not null));`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "cart" drop constraint "cart_order_id_unique";`);
    this.addSql(`alter table "cart" drop constraint cart_order_id_when_checked_out;`);
    this.addSql(`alter table "cart" drop column "order_id";`);
  }

}
