import { Field, Int, ObjectType } from 'type-graphql';
import { ProductStock } from '../product/product-stock';

@ObjectType({ description: "An event: a product's availability changed (stock adjusted, reserved or released)." })
export class StockChange {
  @Field(() => ProductStock, { description: 'The product; any Product field may be selected, from any subgraph' })
  product!: ProductStock;

  @Field(() => Int, { description: 'Units available after the change, over all warehouses' })
  availableQuantity!: number;

  @Field({ description: 'Whether at least one unit is available after the change' })
  inStock!: boolean;

  @Field({ description: 'When the change was committed' })
  changedAt!: Date;
}
