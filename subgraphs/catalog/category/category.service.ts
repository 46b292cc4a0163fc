import { LockMode } from '@mikro-orm/core';
import { notFound } from '../../../lib/errors';
import { Topics } from '../../../lib/events';
import { recordEvent } from '../../../lib/outbox';
import { isUuid } from '../../../lib/uuid';
import type { CatalogContext } from '../catalog.context';
import { normalizeName } from '../product/product.validation';
import { Category } from './category.entity';
import type { UpdateCategoryInput } from './category.inputs';

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

  /**
   * Renames a category; the slug stays, like a product's, so category URLs
   * keep working. Names follow the rules of product names. The change and its
   * `category.changed` event commit together, under the category's row lock;
   * a change that changes nothing writes nothing and records no event.
   */
  async update(ctx: CatalogContext, id: string, input: UpdateCategoryInput): Promise<Category> {
    if (!isUuid(id)) throw notFound('Category', id);
    const name = input.name != null ? normalizeName(input.name) : null;
    return ctx.em.transactional(async (tx) => {
      const category = await tx.findOne(Category, { id: id.toLowerCase() }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      if (!category) throw notFound('Category', id);
      if (name === null || name === category.name) return category;
      category.name = name;
      recordEvent(tx, Topics.CATEGORY_CHANGED, category.id, { categoryId: category.id, changedAt: new Date().toISOString() });
      return category;
    });
  }
}
