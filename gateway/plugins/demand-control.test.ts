import { buildSchema, parse } from 'graphql';
import { OperationAnalyzer } from '../pipeline/operation-analysis';
import { actualCost, estimatedCost, readCostDirectives, type CostRules } from './demand-control';

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
  type Product { id: ID! name: String! category: Category  variants(first: Int = 10): [Variant!]! @listSize(slicingArguments: ["first"], requireOneSlicingArgument: false) }
  type Variant { id: ID! }
  type Category { id: ID! products(first: Int = 20): ProductConnection! @listSize(slicingArguments: ["first"], sizedFields: ["nodes"], requireOneSlicingArgument: false) }
`;
const schema = buildSchema(SDL);
const rules: CostRules = { directives: readCostDirectives(SDL), defaultListSize: 10 };
const analyzer = new OperationAnalyzer(schema);
const analysisOf = (text: string, variables: Record<string, unknown>) => analyzer.analyze(parse(text), undefined, variables)!;

function cost(text: string, variables: Record<string, unknown> = {}): number {
  return estimatedCost(analysisOf(text, variables), rules, variables);
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

  it('sizes a plain list by its own slicing argument', () => {
    expect(cost('{ products(first: 2) { nodes { variants(first: 3) { id } } } }')).toBe(1 + 2 * (1 + 3));
    expect(cost('{ products(first: 2) { nodes { variants { id } } } }')).toBe(1 + 2 * (1 + 10));
  });

  it('multiplies nested lists', () => {
    expect(cost('{ products(first: 5) { nodes { category { products(first: 5) { nodes { id } } } } } }')).toBe(1 + 5 * (1 + 1 + 1 + 5));
  });

  it('uses assumedSize, the default size, and @cost weights', () => {
    expect(cost('{ categories { id } }')).toBe(50);
    expect(cost('{ tags }')).toBe(0);
    expect(cost('{ search { id } }')).toBe(10 * 7);
  });

  it('adds 10 per executed mutation root field, through fragments, with @cost replacing the weight of the field', () => {
    expect(cost('mutation { like(id: "1") }')).toBe(10);
    expect(cost('mutation { ... on Mutation { like(id: "1") } }')).toBe(10);
    expect(cost('mutation { ...M } fragment M on Mutation { like(id: "1") }')).toBe(10);
    expect(cost('mutation { buy(id: "1") { id } }')).toBe(40 + 10);
    expect(cost('mutation { ... on Mutation { ...B } } fragment B on Mutation { buy(id: "1") { id } }')).toBe(40 + 10);
    expect(cost('mutation { a: like(id: "1") ...M } fragment M on Mutation { b: like(id: "2") }')).toBe(20);
  });

  it('follows fragments once per executed place and honours @skip/@include with variables', () => {
    expect(cost('{ ...Q ...Q } fragment Q on Query { categories { id } }')).toBe(50);
    expect(cost('query($s: Boolean!) { categories @skip(if: $s) { id } }', { s: true })).toBe(0);
    expect(cost('query($s: Boolean!) { categories @include(if: $s) { id } }', { s: true })).toBe(50);
  });

  it('costs a shape that doubles 64 times without walking it, far over any limit', () => {
    const fragments = ['fragment P0 on Product { id }'];
    for (let level = 1; level <= 64; level += 1) fragments.push(`fragment P${level} on Product { a: category { products(first: 1) { nodes { ...P${level - 1} } } } b: category { products(first: 1) { nodes { ...P${level - 1} } } } }`);
    expect(cost(`{ products(first: 1) { nodes { ...P64 } } } ${fragments.join(' ')}`)).toBeGreaterThan(2 ** 64);
  });
});

describe('actual cost of a result', () => {
  const actual = (text: string, data: unknown, variables: Record<string, unknown> = {}) => actualCost(analysisOf(text, variables), rules, variables, data);

  it('counts the lists as they came back', () => {
    const query = '{ products(first: 20) { nodes { id category { id } } } }';
    const data = { products: { nodes: [{ id: '1', category: { id: 'c' } }, { id: '2', category: null }] } };
    expect(cost(query)).toBe(1 + 20 * 2);
    expect(actual(query, data)).toBe(1 + (1 + 1) + (1 + 1));
  });

  it('charges the mutation weight of each executed root field, and nothing for no data', () => {
    expect(actual('mutation { ... on Mutation { like(id: "1") } }', { like: true })).toBe(10);
    expect(actual('{ categories { id } }', null)).toBe(0);
  });
});
