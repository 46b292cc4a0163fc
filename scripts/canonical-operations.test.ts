import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Kind, parse, validate } from 'graphql';
import { schemaDir } from '../lib/paths';
import { apiSchemaOf, canonicalOperationProblems, MANIFEST_FILE, readCanonicalDocuments } from './client-artifacts';

/**
 * The storefront's operations in schema/operations are a promise to clients
 * too: each must keep validating against the public API of the committed
 * supergraph, and the committed manifest must list exactly them.
 */
const apiSchema = apiSchemaOf(readFileSync(path.join(schemaDir(), 'supergraph.graphql'), 'utf8'));
const documents = readCanonicalDocuments();
const manifest = JSON.parse(readFileSync(path.join(schemaDir(), MANIFEST_FILE), 'utf8')) as {
  format: string;
  version: number;
  operations: { id: string; name: string; type: string; body: string }[];
};

describe('canonical operations', () => {
  it('each validate against the API schema of the supergraph, one named operation per file', () => {
    expect(canonicalOperationProblems(apiSchema, documents)).toEqual([]);
  });

  it('cover the storefront and the back office', () => {
    const names = documents.flatMap(({ document }) => document.definitions.flatMap((d) => (d.kind === Kind.OPERATION_DEFINITION && d.name ? [d.name.value] : [])));
    expect(names).toEqual(
      expect.arrayContaining(['ProductList', 'ProductSearch', 'ProductPage', 'Cart', 'AddToCart', 'UpdateCartItem', 'RemoveCartItem', 'Checkout', 'MyOrders', 'OrderStatusChanged', 'AdminWarehouses', 'AdminAdjustStock']),
    );
  });

  it('a broken operation is reported with its file', () => {
    const broken = [{ file: 'operations/broken.graphql', document: parse('query Broken { products { nodes { noSuchField } } }') }];
    expect(canonicalOperationProblems(apiSchema, broken)).toEqual(['operations/broken.graphql: Broken: Cannot query field "noSuchField" on type "Product".']);
  });
});

describe('the persisted query manifest', () => {
  it('is in Apollo format and lists exactly the canonical operations, each valid against the supergraph', () => {
    expect(manifest).toMatchObject({ format: 'apollo-persisted-query-manifest', version: 1 });
    const canonical = documents.flatMap(({ document }) =>
      document.definitions.flatMap((d) => (d.kind === Kind.OPERATION_DEFINITION && d.name ? [{ name: d.name.value, type: d.operation as string }] : [])),
    );
    expect(manifest.operations.map(({ name, type }) => ({ name, type }))).toEqual(expect.arrayContaining(canonical));
    expect(manifest.operations).toHaveLength(canonical.length);
    for (const operation of manifest.operations) {
      expect({ name: operation.name, errors: validate(apiSchema, parse(operation.body)).map((e) => e.message) }).toEqual({ name: operation.name, errors: [] });
    }
  });
});
