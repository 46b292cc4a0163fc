import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import { schemaDir } from '../../lib/paths';
import { CHANGED_PREFIX, MUTATION_CHANGES, takeChangedTags } from './mutation-changes';

/** What the gateway drops for each mutation before answering it (read-your-writes). */
const apiSchema = Supergraph.build(readFileSync(path.join(schemaDir(), 'supergraph.graphql'), 'utf8')).apiSchema().toGraphQLJSSchema();

describe('mutation changes', () => {
  it('declares every mutation clients can send, so none silently leaves stale answers behind', () => {
    const mutations = Object.keys(apiSchema.getMutationType()!.getFields()).sort();
    expect(mutations.filter((name) => !Object.hasOwn(MUTATION_CHANGES, name))).toEqual([]);
    // And nothing that is no longer a mutation.
    expect(Object.keys(MUTATION_CHANGES).filter((name) => !mutations.includes(name))).toEqual([]);
  });

  it("drops a variant's product and the product lists when a variant changes", () => {
    const answer = { price: { amount: 5 }, [`${CHANGED_PREFIX}Id`]: 'v1', [`${CHANGED_PREFIX}Product`]: { id: 'p1' } };
    expect(takeChangedTags('updateProductVariant', { id: 'V1' }, answer)!.sort()).toEqual(['Product', 'Product:p1', 'ProductVariant:v1']);
    // The cache's fields never reach the client.
    expect(answer).toEqual({ price: { amount: 5 } });
  });

  it('drops the default variant with its product, since they share a price', () => {
    expect(takeChangedTags('updateProduct', {}, { [`${CHANGED_PREFIX}Id`]: 'p1' })!.sort()).toEqual(['Product', 'Product:p1', 'ProductVariant:p1']);
  });

  it('drops the adjusted product and variant from the arguments, as the subgraphs print ids, and no list', () => {
    const ID = 'AB12CD34-0000-4000-8000-000000000001';
    expect(takeChangedTags('adjustStock', { productId: ID, warehouseId: 'w', delta: 3 }, { onHand: 3 })).toEqual([`Product:${ID.toLowerCase()}`, `ProductVariant:${ID.toLowerCase()}`]);
    expect(takeChangedTags('adjustStock', { productId: 'p1', variantId: 'v2', warehouseId: 'w', delta: 3 }, null)).toEqual(['Product:p1', 'ProductVariant:v2']);
  });

  it("drops an order's products when stock goes back or is taken, and nothing for other status moves", () => {
    const order = () => ({ status: 'X', [`${CHANGED_PREFIX}Items`]: [{ product: { id: 'p1' }, variant: { id: 'v1' } }, { product: { id: 'p2' }, variant: { id: 'p2' } }] });
    const items = ['Product:p1', 'ProductVariant:v1', 'Product:p2', 'ProductVariant:p2'];
    expect(takeChangedTags('cancelOrder', { id: 'o' }, order())).toEqual(items);
    expect(takeChangedTags('checkout', {}, order())).toEqual(items);
    expect(takeChangedTags('updateOrderStatus', { id: 'o', status: 'CANCELLED' }, order())).toEqual(items);
    const shipped = order();
    expect(takeChangedTags('updateOrderStatus', { id: 'o', status: 'SHIPPED' }, shipped)).toEqual([]);
    expect(shipped).toEqual({ status: 'X' });
  });

  it('drops nothing for private data, and leaves undeclared fields to the caller', () => {
    expect(takeChangedTags('addToCart', { productId: 'p1', quantity: 1 }, { id: 'cart' })).toEqual([]);
    expect(takeChangedTags('createDiscountCode', {}, { id: 'd' })).toEqual([]);
    expect(takeChangedTags('somethingNew', {}, {})).toBeUndefined();
  });
});
