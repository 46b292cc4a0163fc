import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Directive, Field, ID, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A place where stock is kept and shipped from.' })
// Back-office data (ADMIN only): never shared.
@Directive('@cacheControl(scope: PRIVATE)')
@Entity({ tableName: 'warehouse' })
export class Warehouse {
  @Field(() => ID, { description: 'Stable identifier' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field({ description: 'Short unique code, e.g. "AMS"' })
  @Property({ unique: true })
  code!: string;

  @Field({ description: 'Display name, e.g. "Amsterdam fulfilment centre"' })
  @Property()
  name!: string;

  @Property({ columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();
}
