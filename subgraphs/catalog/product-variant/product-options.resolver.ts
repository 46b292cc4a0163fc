import { Arg, Ctx, Directive, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { money } from '../../../lib/money';
import type { CatalogContext } from '../catalog.context';
import { Product } from '../product/product.entity';
import { PriceRange } from './price-range';
import { ProductOption } from './product-option.entity';
import { variantsSliceSize } from './product-option.validation';
import { ProductVariant } from './product-variant.entity';
import { ProductVariantService } from './product-variant.service';
import { SelectedOptionInput } from './selected-option';

/** Product's options and variants: batched per request through the catalog loaders, so a page of products costs a fixed number of statements. */
@Resolver(() => Product)
export class ProductOptionsResolver {
  private readonly variantService = new ProductVariantService();

  /*
   * Demand control (docs/demand-control.md): at most 3 options per product (a
   * hard bound, product-option.validation.ts). Apparel uses 2 or 3 (size,
   * colour, fit), so the bound is also the typical upper size.
   */
  @Directive('@listSize(assumedSize: 3)')
  @FieldResolver(() => [ProductOption], { description: 'The options the product is sold in, in display order; empty for a product sold in one version only' })
  async options(@Root() product: Product, @Ctx() ctx: CatalogContext): Promise<ProductOption[]> {
    return this.variantService.options(ctx, product.id);
  }

  /*
   * Demand control (docs/demand-control.md): `first` when it is sent, else 20.
   * That is a typical upper size, not the hard bound of 100 combinations: a
   * size run in a few colours (5 sizes x 4 colours, 10 shoe sizes x 2
   * widths), while most products have one variant and the demo's largest has
   * 12. The bound of 100 priced every product of a category page as the
   * rarest one (20 products with their variants: 10,085, over the limit). A
   * product with more variants costs more than estimated; a client that wants
   * a bound it can count on (a row of swatches) sends `first`.
   */
  @Directive('@listSize(assumedSize: 20, slicingArguments: ["first"], requireOneSlicingArgument: false)')
  @FieldResolver(() => [ProductVariant], { description: 'Every buyable version of the product, at least one: the default variant first, then in the order of the option values' })
  async variants(
    @Root() product: Product,
    @Ctx() ctx: CatalogContext,
    @Arg('first', () => Int, { nullable: true, description: 'Only the first this many variants (0 to 100); all of them when absent' }) first?: number | null,
  ): Promise<ProductVariant[]> {
    const size = variantsSliceSize(first);
    const variants = await this.variantService.variants(ctx, product.id);
    return size === undefined ? variants : variants.slice(0, size);
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
