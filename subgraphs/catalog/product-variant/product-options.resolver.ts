import { Arg, Ctx, Directive, FieldResolver, Resolver, Root } from 'type-graphql';
import { money } from '../../../lib/money';
import type { CatalogContext } from '../catalog.context';
import { Product } from '../product/product.entity';
import { PriceRange } from './price-range';
import { ProductOption } from './product-option.entity';
import { ProductVariant } from './product-variant.entity';
import { ProductVariantService } from './product-variant.service';
import { SelectedOptionInput } from './selected-option';

/** Product's options and variants: batched per request through the catalog loaders, so a page of products costs a fixed number of statements. */
@Resolver(() => Product)
export class ProductOptionsResolver {
  private readonly variantService = new ProductVariantService();

  // Demand control: a product has at most 3 options (a hard bound, product-option.validation.ts).
  @Directive('@listSize(assumedSize: 3)')
  @FieldResolver(() => [ProductOption], { description: 'The options the product is sold in, in display order; empty for a product sold in one version only' })
  async options(@Root() product: Product, @Ctx() ctx: CatalogContext): Promise<ProductOption[]> {
    return this.variantService.options(ctx, product.id);
  }

  // Demand control: at most 100 variants per product (a hard bound: the combinations of its options).
  @Directive('@listSize(assumedSize: 100)')
  @FieldResolver(() => [ProductVariant], { description: 'Every buyable version of the product, at least one: the default variant first, then in the order of the option values' })
  async variants(@Root() product: Product, @Ctx() ctx: CatalogContext): Promise<ProductVariant[]> {
    return this.variantService.variants(ctx, product.id);
  }

  @FieldResolver(() => ProductVariant, { description: "The variant bought when none is chosen; it has the product's id and price" })
  async defaultVariant(@Root() product: Product, @Ctx() ctx: CatalogContext): Promise<ProductVariant> {
    return this.variantService.defaultVariant(ctx, product.id);
  }

  @FieldResolver(() => ProductVariant, {
    nullable: true,
    description: 'The variant with exactly these option values (every option named once; names and values are case-sensitive); null when there is none, a name is unknown or an option is missing',
  })
  async variantBySelectedOptions(
    @Root() product: Product,
    @Ctx() ctx: CatalogContext,
    @Arg('selectedOptions', () => [SelectedOptionInput], { description: 'One value for each of the product\'s options' }) selectedOptions: SelectedOptionInput[],
  ): Promise<ProductVariant | null> {
    return this.variantService.bySelectedOptions(ctx, product.id, selectedOptions);
  }

  @FieldResolver(() => PriceRange, { description: "The lowest and highest price of the product's variants" })
  async priceRange(@Root() product: Product, @Ctx() ctx: CatalogContext): Promise<PriceRange> {
    const { min, max } = await this.variantService.priceRange(ctx, product);
    return { minVariantPrice: money(min, product.currency), maxVariantPrice: money(max, product.currency) };
  }
}
