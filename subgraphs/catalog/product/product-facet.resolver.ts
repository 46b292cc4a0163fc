import { Ctx, Directive, FieldResolver, Resolver, Root } from 'type-graphql';
import type { CatalogContext } from '../catalog.context';
import { ProductConnection } from './product.connection';
import { ProductFacet } from './product-facet.types';
import { ProductSearchService, type ProductPage } from './product-search.service';

/** `ProductConnection.facets`: resolved from the page's filter, so only a query that selects it pays its statement. */
@Resolver(() => ProductConnection)
export class ProductFacetResolver {
  private readonly searchService = new ProductSearchService();

  /*
   * Demand control (docs/demand-control.md): one facet per option name among
   * the matches plus availability and price. A shop's products share a
   * handful of option names (size, colour, fit, width, material; the demo
   * has 4), so 10 is a typical upper size. It weighs 10: one statement counting
   * every product of the filter's base set and their option rows, dearer than
   * the page itself.
   *
   * Cache hint: the availability counts follow stock, and no stock.changed
   * event names the list, so a cached list may show counts up to 30 s old.
   */
  @Directive('@cacheControl(maxAge: 30)')
  @Directive('@cost(weight: 10)')
  @Directive('@listSize(assumedSize: 10)')
  @FieldResolver(() => [ProductFacet], {
    description:
      "Ways to narrow this list, each value with the number of products matching every OTHER active filter plus that value (an option's facet counts as if its own values were not filtered). Computed only when selected, in one statement.",
  })
  async facets(@Root() page: ProductPage, @Ctx() ctx: CatalogContext): Promise<ProductFacet[]> {
    return this.searchService.facetsOf(ctx, page);
  }
}
