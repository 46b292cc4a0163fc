import { Index, ArrayType, Entity, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { Product } from '../product/product.entity';

/**
 * One option a product is sold in (Size: S, M, L). A product has 0 to 3, in
 * display order (`position`); its variants are every combination of their
 * values (product-variant.service.ts).
 */
@ObjectType({ description: 'An option a product is sold in, e.g. Size with the values S, M and L' })
// Part of its product: as cacheable as the product it is read from.
@Directive('@cacheControl(inheritMaxAge: true)')
@Entity({ tableName: 'product_option' })
@Unique({ name: 'product_option_product_id_position_key', properties: ['product', 'position'] })
@Unique({ name: 'product_option_product_id_name_key', properties: ['product', 'name'] })
// An option's display order for its facet: the values of the product listing most of them (migration Migration20261130151000_faceted_search).
@Index({ name: 'product_option_display_idx', expression: 'create index "product_option_display_idx" on "product_option" ("name", cardinality("values") desc, "product_id")' })
export class ProductOption {
  @Field(() => ID, { description: 'Stable identifier' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Product, { deleteRule: 'cascade' })
  product!: Product;

  /** Display order among the product's options, from 0. */
  @Property({ type: 'integer' })
  position!: number;

  @Field({ description: 'The option\'s name, e.g. "Size"' })
  @Property({ length: 50 })
  name!: string;

  // Demand control (docs/demand-control.md): at most 20 values per option (a hard bound, product-option.validation.ts).
  // Strings cost nothing, so the size changes no estimate; it is here so every list says how long it is.
  @Directive('@listSize(assumedSize: 20)')
  @Field(() => [String], { description: 'Its values in display order, e.g. ["S", "M", "L"]' })
  @Property({ type: ArrayType, columnType: 'text[]', fieldName: 'values' })
  values!: string[];
}
