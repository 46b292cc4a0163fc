import { Arg, Args, ArgsType, Authorized, Ctx, Directive, Field, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { badUserInput } from '../../../lib/errors';
import { Role } from '../../../lib/identity';
import { money, Money } from '../../../lib/money';
import type { CatalogContext } from '../catalog.context';
import { Category } from '../category/category.entity';
import { ProductConnection } from './product.connection';
import { Product } from './product.entity';
import { CreateProductInput, ProductFilter, ProductSort, UpdateProductInput } from './product.inputs';
import { ProductService } from './product.service';
import { ProductSearchService } from './product-search.service';

@ArgsType()
class ProductsArgs {
  @Field(() => ProductFilter, { nullable: true, description: 'Conditions every returned product meets' })
  filter?: ProductFilter | null;

  @Field(() => ProductSort, { nullable: true, defaultValue: ProductSort.NEWEST, description: 'Order of the list' })
  sort?: ProductSort | null;

  @Field(() => Int, { nullable: true, defaultValue: 20, description: 'Page size, at most 100' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'Cursor after which the page starts (pageInfo.endCursor of the previous page)' })
  after?: string | null;
}

/** Arguments as classes: type-graphql prints separate @Arg parameters in reverse order. */
@ArgsType()
class ProductLookupArgs {
  @Field(() => ID, { nullable: true, description: 'The product id' })
  id?: string | null;

  @Field(() => String, { nullable: true, description: 'The product slug' })
  slug?: string | null;
}

@ArgsType()
class UpdateProductArgs {
  @Field(() => ID, { description: 'The product to change' })
  id!: string;

  @Field(() => UpdateProductInput, { description: 'The changes' })
  input!: UpdateProductInput;
}

@Resolver(() => Product)
export class ProductResolver {
  private readonly productService = new ProductService();
  private readonly searchService = new ProductSearchService();

  @Query(() => Product, { nullable: true, description: 'One product by id or by slug (exactly one of them); null when it does not exist' })
  async product(@Ctx() ctx: CatalogContext, @Args(() => ProductLookupArgs) { id, slug }: ProductLookupArgs): Promise<Product | null> {
    if ((id == null) === (slug == null)) throw badUserInput('Pass exactly one of "id" and "slug"');
    return id != null ? ctx.loaders.productById.load(id) : this.productService.bySlug(ctx, slug!);
  }

  /*
   * Demand control (docs/demand-control.md): a page of `first` (default 20, at
   * most 100) products, so nodes and edges are that long. The field itself
   * weighs 5 instead of 1: besides the page it counts every match for
   * totalCount, and it is the full-text search (filter.search: a GIN match,
   * and with RELEVANCE a ts_rank of every match sorted in a derived table).
   * A static cost cannot tell whether search was passed, so every call pays.
   *
   * Cache hint (lib/federation-schema.ts): ProductConnection inherits its maxAge
   * from the field returning it, and a root field has no parent to inherit
   * from, so the page's maxAge is the products' own, given here.
   */
  @Directive('@cacheControl(maxAge: 60)')
  @Directive('@cost(weight: 5)')
  @Directive('@listSize(slicingArguments: ["first"], sizedFields: ["nodes", "edges"], requireOneSlicingArgument: false)')
  @Query(() => ProductConnection, { description: 'Products, filtered, sorted and paginated' })
  async products(@Ctx() ctx: CatalogContext, @Args(() => ProductsArgs) args: ProductsArgs): Promise<ProductConnection> {
    return this.searchService.page(ctx, args);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => Product, { description: 'Adds a product to the catalog, with a unique slug made from its name ("-2", "-3" ... appended when taken). It is out of stock until inventory stocks it. ADMIN only.' })
  async createProduct(@Ctx() ctx: CatalogContext, @Arg('input', () => CreateProductInput) input: CreateProductInput): Promise<Product> {
    return this.productService.create(ctx, input);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => Product, { description: 'Changes a product. The slug stays the same when the name changes, so product URLs keep working. ADMIN only.' })
  async updateProduct(@Ctx() ctx: CatalogContext, @Args(() => UpdateProductArgs) { id, input }: UpdateProductArgs): Promise<Product> {
    return this.productService.update(ctx, id, input);
  }

  @FieldResolver(() => Money, { description: 'Current price' })
  price(@Root() product: Product): Money {
    return money(product.priceAmount, product.currency);
  }

  @FieldResolver(() => Category, { description: 'The category the product belongs to' })
  async category(@Root() product: Product, @Ctx() ctx: CatalogContext): Promise<Category> {
    const category = await ctx.loaders.categoryById.load(product.category.id);
    if (!category) throw new Error(`Product ${product.id} references missing category ${product.category.id}`);
    return category;
  }
}
