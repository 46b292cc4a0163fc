import { Args, ArgsType, Ctx, Field, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import type { CatalogContext } from '../catalog.context';
import { ProductConnection } from '../product/product.connection';
import { ProductService } from '../product/product.service';
import { Category } from './category.entity';
import { CategoryService } from './category.service';

@ArgsType()
class CategoryProductsArgs {
  @Field(() => Int, { nullable: true, defaultValue: 20, description: 'Page size, at most 100' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'Cursor after which the page starts' })
  after?: string | null;
}

@Resolver(() => Category)
export class CategoryResolver {
  private readonly categoryService = new CategoryService();
  private readonly productService = new ProductService();

  @Query(() => [Category], { description: 'All categories, flat; use parent/children for the tree' })
  async categories(@Ctx() ctx: CatalogContext): Promise<Category[]> {
    return this.categoryService.all(ctx);
  }

  @FieldResolver(() => Category, { nullable: true, description: 'The parent category; null for a top-level one' })
  async parent(@Root() category: Category, @Ctx() ctx: CatalogContext): Promise<Category | null> {
    return category.parent ? ctx.loaders.categoryById.load(category.parent.id) : null;
  }

  @FieldResolver(() => [Category], { description: 'Direct subcategories, by name' })
  async children(@Root() category: Category, @Ctx() ctx: CatalogContext): Promise<Category[]> {
    return ctx.loaders.childrenByParentId.load(category.id);
  }

  @FieldResolver(() => ProductConnection, { description: 'Products of this category and its descendants, newest first' })
  async products(@Root() category: Category, @Ctx() ctx: CatalogContext, @Args(() => CategoryProductsArgs) args: CategoryProductsArgs): Promise<ProductConnection> {
    return this.productService.page(ctx, { filter: { categoryId: category.id }, first: args.first, after: args.after });
  }
}
