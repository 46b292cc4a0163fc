import { Args, ArgsType, Authorized, Ctx, Directive, Field, FieldResolver, ID, Int, Mutation, Resolver, Root } from 'type-graphql';
import { Role } from '../../../lib/identity';
import { money, Money } from '../../../lib/money';
import type { CatalogContext } from '../catalog.context';
import { Product } from '../product/product.entity';
import { UpdateProductVariantInput } from './product-variant.inputs';
import { ProductVariant } from './product-variant.entity';
import { ProductVariantService } from './product-variant.service';
import { SelectedOption } from './selected-option';

/** Arguments as a class: type-graphql prints separate @Arg parameters in reverse order. */
@ArgsType()
class UpdateProductVariantArgs {
  @Field(() => ID, { description: 'The variant to change' })
  id!: string;

  @Field(() => UpdateProductVariantInput, { description: 'The changes' })
  input!: UpdateProductVariantInput;
}

@Resolver(() => ProductVariant)
export class ProductVariantResolver {
  private readonly variantService = new ProductVariantService();

  @Authorized(Role.ADMIN)
  @Mutation(() => ProductVariant, {
    description: "Changes a variant's price or weight. The default variant's price is the product's price, so changing one changes both. ADMIN only.",
  })
  async updateProductVariant(@Ctx() ctx: CatalogContext, @Args(() => UpdateProductVariantArgs) { id, input }: UpdateProductVariantArgs): Promise<ProductVariant> {
    return this.variantService.update(ctx, id, input);
  }

  @FieldResolver(() => Money, { description: 'Current price of one unit' })
  price(@Root() variant: ProductVariant): Money {
    return money(variant.priceAmount, variant.currency);
  }

  // Demand control (docs/demand-control.md): one per option of the product, at most 3 (a hard bound that is also the typical size of apparel).
  @Directive('@listSize(assumedSize: 3)')
  @FieldResolver(() => [SelectedOption], { description: "The variant's value of each of the product's options, in the options' order; empty for a product without options" })
  async selectedOptions(@Root() variant: ProductVariant, @Ctx() ctx: CatalogContext): Promise<SelectedOption[]> {
    return this.variantService.selectedOptions(ctx, variant);
  }

  @FieldResolver(() => Int, { description: 'Shipping weight of one unit in grams' })
  weightGrams(@Root() variant: ProductVariant): number {
    return variant.weightGrams;
  }

  @FieldResolver(() => Boolean, { description: "Whether this is the product's default variant (the one with the product's id)" })
  isDefault(@Root() variant: ProductVariant): boolean {
    return variant.position === 0;
  }

  @FieldResolver(() => Product, { description: 'The product this is a version of' })
  async product(@Root() variant: ProductVariant, @Ctx() ctx: CatalogContext): Promise<Product> {
    const product = await ctx.loaders.productById.load(variant.product.id);
    if (!product) throw new Error(`Variant ${variant.id} references missing product ${variant.product.id}`);
    return product;
  }
}
