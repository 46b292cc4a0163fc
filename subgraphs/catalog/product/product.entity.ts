import { Check, Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { Category } from '../category/category.entity';
import { ENTITY_DESCRIPTIONS } from '../../../lib/entity-references';

/**
 * Weighted full-text document: names matter more than descriptions. A stored
 * generated column keeps it current without triggers; a GIN index serves
 * `search_vector @@ query`.
 */
const SEARCH_DOCUMENT =
  "setweight(to_tsvector('english', coalesce(name, '')), 'A') || setweight(to_tsvector('english', coalesce(description, '')), 'B')";

@ObjectType({ description: ENTITY_DESCRIPTIONS.Product })
@Directive('@key(fields: "id")')
// Public catalog data; caches drop it early on product.changed (lib/events.ts). Stock fields carry their own hints (inventory).
@Directive('@cacheControl(maxAge: 60)')
@Entity({ tableName: 'product' })
@Index({ name: 'product_created_at_id_idx', properties: ['createdAt', 'id'] })
@Index({ name: 'product_price_amount_id_idx', properties: ['priceAmount', 'id'] })
@Index({ name: 'product_name_id_idx', properties: ['name', 'id'] })
@Check({ name: 'product_price_amount_check', expression: 'price_amount >= 0' })
@Index({ name: 'product_search_vector_idx', expression: 'create index "product_search_vector_idx" on "product" using gin ("search_vector")' })
export class Product {
  [OptionalProps]?: 'currency' | 'createdAt' | 'updatedAt';

  @Field(() => ID, { description: 'Stable identifier' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field({ description: 'Stock keeping unit, unique, e.g. "SHOE-RUN-042"' })
  @Property({ unique: true })
  sku!: string;

  @Field({ description: 'URL-safe unique name for product pages' })
  @Property({ unique: true })
  slug!: string;

  @Field({ description: 'Display name' })
  @Property()
  name!: string;

  @Field({ description: 'Long description, plain text' })
  @Property({ type: 'text' })
  description!: string;

  /** Minor units; exposed as `price: Money`. */
  @Property({ type: 'integer' })
  priceAmount!: number;

  @Property({ length: 3 })
  currency: string = 'USD';

  @Index()
  @ManyToOne(() => Category, { deleteRule: 'restrict' })
  category!: Category;

  @Field(() => String, { nullable: true, description: 'Absolute URL of the main image, if any' })
  @Property({ type: 'text', nullable: true })
  imageUrl?: string | null;

  @Field({ description: 'When the product was added to the catalog' })
  @Property({ columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();

  @Property({ columnType: 'timestamptz(3)', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  @Property({ columnType: 'tsvector', generated: `(${SEARCH_DOCUMENT}) stored`, lazy: true, hidden: true, nullable: true })
  searchVector?: string;
}
