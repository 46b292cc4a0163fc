import type { CatalogContext } from '../catalog.context';
import { Category } from './category.entity';

export class CategoryService {
  async all(ctx: CatalogContext): Promise<Category[]> {
    return ctx.em.find(Category, {}, { orderBy: { name: 'asc', id: 'asc' } });
  }

  /** The category and all its descendants, in one recursive query. */
  async subtreeIds(ctx: CatalogContext, categoryId: string): Promise<string[]> {
    const rows = await ctx.em.getConnection().execute<{ id: string }[]>(
      `with recursive subtree as (
         select id from category where id = ?
         union all
         select c.id from category c join subtree s on c.parent_id = s.id
       )
       select id from subtree`,
      [categoryId],
    );
    return rows.map((row) => row.id);
  }
}
