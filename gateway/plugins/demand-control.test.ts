import { buildSchema, getOperationAST, parse } from 'graphql';
import { operationCost, readCostDirectives } from './demand-control';

/** A small supergraph-like SDL: the gateway reads @cost/@listSize from the SDL, and computes on the schema. */
const SDL = `
  directive @cost(weight: Int!) on FIELD_DEFINITION | OBJECT
  directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
  type Query {
    products(first: Int = 20): ProductConnection! @listSize(slicingArguments: ["first"], sizedFields: ["nodes"], requireOneSlicingArgument: false)
    categories: [Category!]! @listSize(assumedSize: 50)
    tags: [String!]!
    search: [Product!]! @cost(weight: 7)
  }
  type Mutation { buy(id: ID!): Product @cost(weight: 40)  like(id: ID!): Boolean }
  type ProductConnection { nodes: [Product!]! totalCount: Int! }
  type Product { id: ID! name: String! category: Category }
  type Category { id: ID! products(first: Int = 20): ProductConnection! @listSize(slicingArguments: ["first"], sizedFields: ["nodes"], requireOneSlicingArgument: false) }
`;
const schema = buildSchema(SDL);
const directives = readCostDirectives(SDL);

function cost(text: string, variables: Record<string, unknown> = {}): number {
  const document = parse(text);
  return operationCost(schema, directives, { document, definition: getOperationAST(document)!, variables }, 10);
}

describe('static operation cost', () => {
  it('charges 1 per object, 0 per leaf', () => {
    expect(cost('{ products(first: 1) { totalCount } }')).toBe(1);
    expect(cost('{ products(first: 1) { nodes { id category { id } } } }')).toBe(1 + 1 * (1 + 1));
  });

  it('sizes connection nodes by the slicing argument, its variable or its default', () => {
    expect(cost('{ products(first: 5) { nodes { id } } }')).toBe(1 + 5);
    expect(cost('query($n: Int) { products(first: $n) { nodes { id } } }', { n: 7 })).toBe(1 + 7);
    expect(cost('{ products { nodes { id } } }')).toBe(1 + 20);
  });

  it('multiplies nested lists', () => {
    expect(cost('{ products(first: 5) { nodes { category { products(first: 5) { nodes { id } } } } } }')).toBe(1 + 5 * (1 + 1 + 1 + 5));
  });

  it('uses assumedSize, the default size, and @cost weights', () => {
    expect(cost('{ categories { id } }')).toBe(50);
    expect(cost('{ tags }')).toBe(0);
    expect(cost('{ search { id } }')).toBe(10 * 7);
  });

  it('adds 10 per mutation root field, with @cost replacing the weight of the field', () => {
    expect(cost('mutation { like(id: "1") }')).toBe(10);
    expect(cost('mutation { buy(id: "1") { id } }')).toBe(40 + 10);
  });

  it('follows fragments and honours @skip/@include with variables', () => {
    expect(cost('{ ...Q } fragment Q on Query { categories { id } }')).toBe(50);
    expect(cost('query($s: Boolean!) { categories @skip(if: $s) { id } }', { s: true })).toBe(0);
    expect(cost('query($s: Boolean!) { categories @include(if: $s) { id } }', { s: true })).toBe(50);
  });
});
