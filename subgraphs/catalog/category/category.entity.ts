import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Directive, Field, ID, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A node of the category tree. Products belong to exactly one category.' })
@Directive('@key(fields: "id")')
// Public catalog data; caches drop it early on category.changed (lib/events.ts).
@Directive('@cacheControl(maxAge: 60)')
@Entity({ tableName: 'category' })
export class Category {
  @Field(() => ID, { description: 'Stable identifier' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field({ description: 'Display name, e.g. "Running shoes"' })
  @Property()
  name!: string;

  @Field({ description: 'URL-safe unique name, e.g. "running-shoes"' })
  @Property({ unique: true })
  slug!: string;

  /** Resolved through the category loader; GraphQL field `parent` lives on the resolver. */
  @Index()
  @ManyToOne(() => Category, { nullable: true, deleteRule: 'restrict' })
  parent?: Category | null;

  @Property({ columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();
}
