import { Args, ArgsType, Authorized, Ctx, Directive, Field, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Role } from '../../../lib/identity';
import type { CatalogContext } from '../catalog.context';
import { ProductConnection } from '../product/product.connection';
import { ProductSearchService } from '../product/product-search.service';
import { Category } from './category.entity';
import { UpdateCategoryInput } from './category.inputs';
import { CategoryService } from './category.service';

@ArgsType()
class CategoryProductsArgs {
  @Field(() => Int, { nullable: true, defaultValue: 20, description: 'Page size, at most 100' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'Cursor after which the page starts' })
  after?: string | null;
}

/** Arguments as a class: type-graphql prints separate @Arg parameters in reverse order. */
@ArgsType()
class UpdateCategoryArgs {
  @Field(() => ID, { description: 'The category to change' })
  id!: string;

  @Field(() => UpdateCategoryInput, { description: 'The changes' })
  input!: UpdateCategoryInput;
}

@Resolver(() => Category)
export class CategoryResolver {
  private readonly categoryService = new CategoryService();
  private readonly searchService = new ProductSearchService();

  /*
   * Demand control (docs/demand-control.md): list sizes are the gateway's
   * static estimate of how many items a list returns. The demo shop has 14
   * categories, at most 4 under one parent; a storefront's navigable taxonomy
   * runs to a few dozen, and one level of navigation to about ten. (A shop
   * with hundreds of categories raises these and DEMAND_CONTROL_MAX_COST.)
   */
  @Directive('@listSize(assumedSize: 50)')
  @Query(() => [Category], { description: 'All categories, flat; use parent/children for the tree' })
  async categories(@Ctx() ctx: CatalogContext): Promise<Category[]> {
    return this.categoryService.all(ctx);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => Category, { description: 'Renames a category. The slug stays the same, so category URLs keep working. ADMIN only.' })
  async updateCategory(@Ctx() ctx: CatalogContext, @Args(() => UpdateCategoryArgs) { id, input }: UpdateCategoryArgs): Promise<Category> {
    return this.categoryService.update(ctx, id, input);
  }

  @FieldResolver(() => Category, { nullable: true, description: 'The parent category; null for a top-level one' })
  async parent(@Root() category: Category, @Ctx() ctx: CatalogContext): Promise<Category | null> {
    return category.parent ? ctx.loaders.categoryById.load(category.parent.id) : null;
  }

  // Demand control: one level of navigation, about ten (see categories above).
  @Directive('@listSize(assumedSize: 10)')
  @FieldResolver(() => [Category], { description: 'Direct subcategories, by name' })
  async children(@Root() category: Category, @Ctx() ctx: CatalogContext): Promise<Category[]> {
    return ctx.loaders.childrenByParentId.load(category.id);
  }

  /** A page of `first` (default 20, at most 100) products: nodes and edges are that long. */
  @Directive('@listSize(slicingArguments: ["first"], sizedFields: ["nodes", "edges"], requireOneSlicingArgument: false)')
  @FieldResolver(() => ProductConnection, { description: 'Products of this category and its descendants, newest first' })
  async products(@Root() category: Category, @Ctx() ctx: CatalogContext, @Args(() => CategoryProductsArgs) args: CategoryProductsArgs): Promise<ProductConnection> {
    return this.searchService.page(ctx, { filter: { categoryId: category.id }, first: args.first, after: args.after });
  }
}
