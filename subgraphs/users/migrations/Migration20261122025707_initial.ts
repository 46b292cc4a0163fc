import { Migration } from '@mikro-orm/migrations';

export class Migration20261122025707_initial extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "user_account" ("id" uuid not null, "email" varchar(254) not null, "name" varchar(200) not null, "role" text check ("role" in ('CUSTOMER', 'ADMIN')) not null default 'CUSTOMER', "password_hash" text not null, "created_at" timestamptz(3) not null, constraint "user_account_pkey" primary key ("id"), constraint user_account_email_lower_check check (email = lower(email)));`);
    this.addSql(`alter table "user_account" add constraint "user_account_email_unique" unique ("email");`);

    this.addSql(`create table "refresh_token" ("id" uuid not null, "user_id" uuid not null, "token_hash" varchar(64) not null, "family_id" uuid not null, "expires_at" timestamptz(3) not null, "used_at" timestamptz(3) null, "revoked_at" timestamptz(3) null, "created_at" timestamptz(3) not null, constraint "refresh_token_pkey" primary key ("id"));`);
    this.addSql(`create index "refresh_token_user_id_index" on "refresh_token" ("user_id");`);
    this.addSql(`alter table "refresh_token" add constraint "refresh_token_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "refresh_token_family_id_index" on "refresh_token" ("family_id");`);

    this.addSql(`create table "user_address" ("id" uuid not null, "user_id" uuid not null, "line1" varchar(200) not null, "line2" varchar(200) null, "city" varchar(100) not null, "postal_code" varchar(20) not null, "country" varchar(2) not null, "created_at" timestamptz(3) not null, constraint "user_address_pkey" primary key ("id"), constraint user_address_country_check check (country ~ '^[A-Z]{2}\$'));`);
    this.addSql(`create index "user_address_user_id_created_at_id_idx" on "user_address" ("user_id", "created_at", "id");`);

    this.addSql(`alter table "refresh_token" add constraint "refresh_token_user_id_foreign" foreign key ("user_id") references "user_account" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "user_address" add constraint "user_address_user_id_foreign" foreign key ("user_id") references "user_account" ("id") on update cascade on delete cascade;`);
  }

}
