import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import { buildSchema, parse } from 'graphql';
import { schemaDir } from '../../lib/paths';
import { OperationAnalyzer } from '../pipeline/operation-analysis';
import { AVAILABILITY_TAG, availabilityTags, ENTITY_ID, planCaching, readCacheHints, takeEntityTags } from './cache-hints';
import { CHANGED_PREFIX } from './mutation-changes';

/** Cache plans from the hints the subgraphs declare, read from the committed supergraph. */
const supergraphSdl = readFileSync(path.join(schemaDir(), 'supergraph.graphql'), 'utf8');
const apiSchema = Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();
const hints = readCacheHints(supergraphSdl);
const analyzer = new OperationAnalyzer(apiSchema);

function plan(query: string, variables: Record<string, unknown> = {}) {
  const document = parse(query);
  return planCaching(hints, analyzer.analyze(document, undefined, variables)!, document, apiSchema);
}

describe('cache hints', () => {
  it('reads the entity types and the hints of the supergraph', () => {
    expect([...hints.entities].sort()).toEqual(expect.arrayContaining(['Cart', 'Category', 'Order', 'Product', 'User']));
    expect(hints.types.get('Product')).toEqual({ maxAge: 60 });
    expect(hints.fields.get('Product.availableQuantity')).toEqual({ maxAge: 60, onlyWithInvalidation: true });
  });

  it('lets a product page be cached, only with invalidation, and tags it by what it holds', () => {
    const page = plan(`query($slug: String!) { product(slug: $slug) { id name price { amount } availableQuantity category { name } } }`);
    expect(page).toMatchObject({ maxAge: 60, scope: 'PUBLIC', onlyWithInvalidation: true, typeTags: [] });
    // The executed document asks for the ids of the product and its category under the cache's alias.
    expect(page.executedQuery.match(new RegExp(`${ENTITY_ID}: id`, 'g'))).toHaveLength(2);

    const data = { product: { id: 'p1', name: 'Lamp', price: { amount: 100 }, availableQuantity: 3, category: { name: 'Lights', [ENTITY_ID]: 'c1' }, [ENTITY_ID]: 'p1' } };
    expect(takeEntityTags(data, page).sort()).toEqual(['Category:c1', 'Product:p1']);
    expect(JSON.stringify(data)).not.toContain(ENTITY_ID);
    // Not found: dropped when any product is created.
    expect(takeEntityTags({ product: null }, page)).toEqual(['Product']);
  });

  it('plans what executes: a private field behind @include(if: false) leaves the answer public', () => {
    const query = `query($me: Boolean!) { categories { id name } me @include(if: $me) { id } }`;
    expect(plan(query, { me: false })).toMatchObject({ scope: 'PUBLIC' });
    expect(plan(query, { me: false }).maxAge).toBeGreaterThan(0);
    expect(plan(query, { me: true })).toMatchObject({ scope: 'PRIVATE', maxAge: 0 });
  });

  it('tags lists by the type they list, through fragments and connections', () => {
    const list = plan(`{ products(first: 5) { edges { node { ...card } } } categories { id children { id } } } fragment card on Product { id name }`);
    expect(list).toMatchObject({ maxAge: 60, scope: 'PUBLIC', onlyWithInvalidation: false, typeTags: ['Category', 'Product'] });
    const data = { products: { edges: [{ node: { id: 'a', name: 'A', [ENTITY_ID]: 'a' } }, { node: { id: 'b', name: 'B', [ENTITY_ID]: 'b' } }] }, categories: [{ id: 'c', children: [], [ENTITY_ID]: 'c' }] };
    expect(takeEntityTags(data, list).sort()).toEqual(['Category', 'Category:c', 'Product', 'Product:a', 'Product:b']);
  });

  it('never caches private data, unhinted fields, mutations or introspection', () => {
    expect(plan(`{ me { id email } }`)).toMatchObject({ scope: 'PRIVATE', executedQuery: '' });
    expect(plan(`{ products(first: 2) { nodes { id } } cart { id } }`)).toMatchObject({ scope: 'PRIVATE' });
    expect(plan(`query($slug: String!) { product(slug: $slug) { stockLevels { onHand } } }`)).toMatchObject({ scope: 'PRIVATE' });
    expect(plan(`mutation { logout(refreshToken: "x") }`).maxAge).toBe(0);
    expect(plan(`{ __schema { queryType { name } } }`).maxAge).toBe(0);
    // A response key the cache needs for itself: the client's would be lost.
    expect(plan(`{ products { nodes { ${ENTITY_ID}: name } } }`).maxAge).toBe(0);
  });

  it('marks what depends on availability: an available filter (literal or variable) and facets, not other filters', () => {
    const filtered = `query($filter: ProductFilter) { products(first: 100, filter: $filter) { nodes { id name } } }`;
    const byFilter = plan(filtered);
    expect(availabilityTags(byFilter, { filter: { available: true, categoryId: 'c1' } })).toEqual([AVAILABILITY_TAG]);
    expect(availabilityTags(byFilter, { filter: { available: false } })).toEqual([AVAILABILITY_TAG]);
    expect(availabilityTags(byFilter, { filter: { categoryId: 'c1' } })).toEqual([]);
    expect(availabilityTags(byFilter, { filter: null })).toEqual([]);
    expect(availabilityTags(byFilter, {})).toEqual([]);
    expect(availabilityTags(plan(`{ products(filter: { available: true }) { nodes { id } } }`), {})).toEqual([AVAILABILITY_TAG]);
    expect(availabilityTags(plan(`{ products(filter: { minPrice: 100 }) { nodes { id } } }`), {})).toEqual([]);
    // Facets always count by availability, whatever the filter.
    expect(availabilityTags(plan(`{ products(first: 5) { facets { id values { id count } } } }`), {})).toEqual([AVAILABILITY_TAG]);
    // A product page's stock is tagged by the product itself, as before.
    expect(availabilityTags(plan(`query($slug: String!) { product(slug: $slug) { inStock availableQuantity } }`), { slug: 'x' })).toEqual([]);
  });

  it('asks each declared mutation for what it changed, under aliases the client may not use', () => {
    const variant = plan(`mutation($id: ID!) { updateProductVariant(id: $id, input: { priceAmount: 100 }) { price { amount } } }`);
    expect(variant.executedQuery).toContain(`${CHANGED_PREFIX}Product: product`);
    const stock = plan(`mutation { adjustStock(productId: "p", warehouseId: "w", delta: 1) { onHand } }`);
    expect(stock.executedQuery).not.toContain(CHANGED_PREFIX);
    // Through a fragment on Mutation too.
    expect(plan(`mutation { ...m } fragment m on Mutation { cancelOrder(id: "o") { status } }`).executedQuery).toContain(`${CHANGED_PREFIX}Items: items`);
    expect(plan(`{ products { nodes { ${CHANGED_PREFIX}X: name } } }`).maxAge).toBe(0);
  });

  it('gives every public field of products and categories a max age', () => {
    for (const typeName of ['Product', 'Category']) {
      const type = apiSchema.getType(typeName) as import('graphql').GraphQLObjectType;
      for (const field of Object.values(type.getFields())) {
        if (field.name === 'stockLevels') continue;
        const selection = field.type.toString().match(/^\[?(Money|Category|Product|ProductConnection)/) ? `${field.name} { __typename }` : field.name;
        const root = typeName === 'Product' ? `product(slug: "x")` : `categories`;
        const result = plan(`{ ${root} { ${selection} } }`);
        expect({ field: `${typeName}.${field.name}`, maxAge: result.maxAge, scope: result.scope }).toEqual({ field: `${typeName}.${field.name}`, maxAge: 60, scope: 'PUBLIC' });
      }
    }
  });
});

describe('cache plans over abstract types', () => {
  // The public schema has no union today; a small one shows what a union's members selecting one response key do.
  const sdl = `
    directive @cacheControl(maxAge: Int, scope: String, inheritMaxAge: Boolean, onlyWithInvalidation: Boolean) on FIELD_DEFINITION | OBJECT
    directive @join__type(key: String) repeatable on OBJECT
    type Query { search: [Hit!]! @cacheControl(maxAge: 30) }
    union Hit = Article | Video
    type Article @cacheControl(maxAge: 30) { id: ID!  related: Author }
    type Video @cacheControl(maxAge: 30) { id: ID!  related: Channel }
    type Author @join__type(key: "id") @cacheControl(maxAge: 30) { id: ID!  name: String }
    type Channel @cacheControl(maxAge: 30) { id: ID!  owner: Author }
  `;
  const schema = buildSchema(sdl);
  const unionHints = readCacheHints(sdl);
  const unionAnalyzer = new OperationAnalyzer(schema);

  it('tags the entities below either member when both select one response key', () => {
    const document = parse('{ search { ... on Article { related { name } } ... on Video { related { owner { name } } } } }');
    const unionPlan = planCaching(unionHints, unionAnalyzer.analyze(document, undefined, {})!, document, schema);
    const data = { search: [{ related: { _cacheEntityId: 'a1', name: 'Ann' } }, { related: { owner: { _cacheEntityId: 'a2', name: 'Bo' } } }] };
    expect(takeEntityTags(data, unionPlan).sort()).toEqual(['Author:a1', 'Author:a2']);
  });
});
