import { Migration } from '@mikro-orm/migrations';

export class Migration20261130121716_outbox extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "outbox_event" ("id" bigserial primary key, "topic" varchar(100) not null, "key" varchar(100) not null, "payload" jsonb not null, "created_at" timestamptz(3) not null, "published_at" timestamptz(3) null);`);
    this.addSql(`create index "outbox_event_unpublished_idx" on "outbox_event" ("id") where "published_at" is null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "outbox_event" cascade;`);
  }

}
