import { Check, Entity, ManyToOne, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { ENTITY_DESCRIPTIONS, VARIANT_ID_DESCRIPTION } from '../../../lib/entity-references';
import { Product } from '../product/product.entity';

/**
 * One buyable version of a product. Position 0 is the default variant, whose
 * id is the product's id: every id stored before variants existed (cart
 * lines, order items, stock) names exactly one variant. The product row's
 * `price_amount` is kept equal to its default variant's price.
 */
@ObjectType({ description: ENTITY_DESCRIPTIONS.ProductVariant })
@Directive('@key(fields: "id")')
// Public catalog data like Product; caches drop it on its product's product.changed. Stock fields carry their own hints (inventory).
@Directive('@cacheControl(maxAge: 60)')
@Entity({ tableName: 'product_variant' })
@Unique({ name: 'product_variant_product_id_position_key', properties: ['product', 'position'] })
@Check({ name: 'product_variant_price_amount_check', expression: 'price_amount >= 0' })
@Check({ name: 'product_variant_weight_grams_check', expression: 'weight_grams >= 0' })
export class ProductVariant {
  [OptionalProps]?: 'currency' | 'weightGrams' | 'createdAt' | 'updatedAt';

  @Field(() => ID, { description: VARIANT_ID_DESCRIPTION })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Product, { deleteRule: 'cascade' })
  product!: Product;

  /** 0 for the default variant, then in the order of the option values' combinations. */
  @Property({ type: 'integer' })
  position!: number;

  @Field({ description: 'Stock keeping unit, unique among all variants, e.g. "JACK-0025-M-BLACK"; a default variant of a product without options has the product\'s SKU' })
  @Property({ length: 64, unique: 'product_variant_sku_key' })
  sku!: string;

  @Field({ description: 'The option values joined by " / ", e.g. "M / Black"; "Default" for a product without options' })
  @Property({ length: 200 })
  title!: string;

  /** Minor units; exposed as `price: Money`. */
  @Property({ type: 'integer' })
  priceAmount!: number;

  @Property({ length: 3 })
  currency: string = 'USD';

  /** Exposed as `weightGrams` by the resolver, after `selectedOptions` as in the contract. */
  @Property({ type: 'integer', default: 0 })
  weightGrams: number = 0;

  @Property({ columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();

  @Property({ columnType: 'timestamptz(3)', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
