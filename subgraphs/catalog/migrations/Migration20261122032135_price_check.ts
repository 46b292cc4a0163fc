import { Migration } from '@mikro-orm/migrations';

export class Migration20261122032135_price_check extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "product" add constraint product_price_amount_check check(price_amount >= 0);`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "product" drop constraint product_price_amount_check;`);
  }

}
