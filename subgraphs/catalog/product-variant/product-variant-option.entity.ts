import { Entity, Index, ManyToOne, PrimaryKey, PrimaryKeyProp, Property } from '@mikro-orm/core';
import { ProductVariant } from './product-variant.entity';

/**
 * One row per (variant, option): the variant's value of that option. The
 * product id is denormalised so that faceted search can count distinct
 * products per (name, value) from this table alone.
 */
@Entity({ tableName: 'product_variant_option' })
@Index({ name: 'product_variant_option_name_value_product_idx', properties: ['name', 'value', 'productId'] })
// A product's option rows, for facet counts per product (migration Migration20261130151000_faceted_search).
@Index({ name: 'product_variant_option_product_idx', properties: ['productId', 'name', 'value'] })
export class ProductVariantOption {
  [PrimaryKeyProp]?: ['variant', 'name'];

  @ManyToOne(() => ProductVariant, { primary: true, deleteRule: 'cascade' })
  variant!: ProductVariant;

  @PrimaryKey({ length: 50 })
  name!: string;

  @Property({ type: 'uuid' })
  productId!: string;

  @Property({ length: 100 })
  value!: string;
}
