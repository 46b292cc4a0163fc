import { Field, ID, Int, ObjectType } from 'type-graphql';
import { ProductStock } from '../product/product-stock';

@ObjectType({ description: "An event: a product's availability changed (stock adjusted, reserved or released)." })
export class StockChange {
  @Field(() => ProductStock, { description: 'The product; any Product field may be selected, from any subgraph' })
  product!: ProductStock;

  @Field(() => Int, { description: 'Units of the product available after the change, over all its variants and warehouses' })
  availableQuantity!: number;

  @Field({ description: 'Whether at least one unit is available after the change' })
  inStock!: boolean;

  @Field({ description: 'When the change was committed' })
  changedAt!: Date;

  @Field(() => [ID], { description: "The product's variants whose stock changed (a default variant has the product's id); the figures above stay product-wide" })
  variantIds!: string[];
}
