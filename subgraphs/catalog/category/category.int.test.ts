import { randomUUID } from 'node:crypto';
import { DEMO_USERS, demoCatalog } from '../../../lib/demo-data';
import { Role, type Viewer } from '../../../lib/identity';
import { startTestSubgraph, type GraphQLResult, type TestSubgraph } from '../../../test/subgraph-harness';
import { catalogSubgraph } from '../catalog.server';
import { Category } from './category.entity';

const ADMIN: Viewer = { id: DEMO_USERS.find((u) => u.role === 'ADMIN')!.id, role: Role.ADMIN };
const CUSTOMER: Viewer = { id: DEMO_USERS.find((u) => u.role === 'CUSTOMER')!.id, role: Role.CUSTOMER };

const UPDATE = 'mutation Update($id: ID!, $input: UpdateCategoryInput!) { updateCategory(id: $id, input: $input) { id name slug parent { id } } }';

type CategoryView = { id: string; name: string; slug: string; parent: { id: string } | null };

describe('changing categories', () => {
  let catalog: TestSubgraph;
  const demo = demoCatalog();
  const camping = demo.categories.find((c) => c.name === 'Camping')!;
  const campingProduct = demo.products.find((p) => p.categoryId === camping.id)!;

  beforeAll(async () => {
    catalog = await startTestSubgraph(catalogSubgraph, { seed: true });
  });
  afterAll(() => catalog?.stop());

  const update = (id: string, input: Record<string, unknown>, viewer: Viewer | null = ADMIN) => catalog.query<{ updateCategory: CategoryView }>(UPDATE, { id, input }, viewer);
  const codes = (result: GraphQLResult) => result.errors?.map((e) => e.extensions?.code);
  const stored = () => catalog.orm.em.fork().findOneOrFail(Category, { id: camping.id });

  it('renames a category, trimmed, keeping its slug; products show the new name', async () => {
    const result = await update(camping.id.toUpperCase(), { name: '  Camping and Hiking ' });
    expect(result.errors).toBeUndefined();
    expect(result.data!.updateCategory).toEqual({ id: camping.id, name: 'Camping and Hiking', slug: camping.slug, parent: { id: camping.parentId! } });

    const listed = await catalog.query<{ categories: { id: string; name: string }[] }>('{ categories { id name } }');
    expect(listed.data!.categories).toContainEqual({ id: camping.id, name: 'Camping and Hiking' });
    const shown = await catalog.query<{ product: { category: { name: string } } }>('query($id: ID) { product(id: $id) { category { name } } }', { id: campingProduct.id });
    expect(shown.data!.product.category.name).toBe('Camping and Hiking');

    // Omitted or null: nothing changes.
    expect((await update(camping.id, {})).data!.updateCategory.name).toBe('Camping and Hiking');
    expect((await update(camping.id, { name: null })).data!.updateCategory.name).toBe('Camping and Hiking');
  });

  it.each<[string, string]>([
    ['an empty name', '   '],
    ['a name too long', 'n'.repeat(201)],
  ])('refuses %s with BAD_USER_INPUT on input.name and changes nothing', async (_case, name) => {
    const before = (await stored()).name;
    const result = await update(camping.id, { name });
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors![0].extensions!.argumentName).toBe('input.name');
    expect(result.data).toBeNull();
    expect((await stored()).name).toBe(before);
  });

  it('answers an unknown category with NOT_FOUND', async () => {
    expect(codes(await update(randomUUID(), { name: 'Ghost' }))).toEqual(['NOT_FOUND']);
    expect(codes(await update('not-a-category', { name: 'Ghost' }))).toEqual(['NOT_FOUND']);
  });

  it('lets only ADMINs change categories', async () => {
    const before = (await stored()).name;
    expect(codes(await update(camping.id, { name: 'Hijacked' }, CUSTOMER))).toEqual(['FORBIDDEN']);
    expect(codes(await update(camping.id, { name: 'Hijacked' }, null))).toEqual(['UNAUTHENTICATED']);
    expect((await stored()).name).toBe(before);
  });
});
