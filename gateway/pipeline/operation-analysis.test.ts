import { buildSchema, parse } from 'graphql';
import { OperationAnalyzer } from './operation-analysis';
import { Refusal } from './operation';

const schema = buildSchema(`
  type Query { me: User  products(first: Int = 20): [Product!]!  categories: [Category!]!  node(id: ID!): Node }
  type Mutation { login(email: String!): String  logout: Boolean }
  interface Node { id: ID! }
  type User implements Node { id: ID!  name: String  friends: [User!]! }
  type Product implements Node { id: ID!  name: String  related: [Product!]!  category: Category }
  type Category implements Node { id: ID!  name: String  children: [Category!]! }
`);

const analyzer = new OperationAnalyzer(schema);
const analyze = (text: string, variables: Record<string, unknown> = {}, operationName?: string) => analyzer.analyze(parse(text), operationName, variables)!;

/** `fragment F0 on Query { …base }` and `fragment Fi on Query { …F(i-1) …F(i-1) }`: 2^n spreads of F0. */
function doublingNamed(levels: number, base = 'me { id } categories { id }', spread = (name: string) => `...${name} ...${name}`): string {
  const fragments = [`fragment F0 on Query { ${base} }`];
  for (let level = 1; level <= levels; level += 1) fragments.push(`fragment F${level} on Query { ${spread(`F${level - 1}`)} }`);
  return `query { ...F${levels} } ${fragments.join(' ')}`;
}

/** The executed shape really doubles: each level selects the previous one under two aliases. */
function doublingAliases(levels: number): string {
  const fragments = ['fragment P0 on Product { id }'];
  for (let level = 1; level <= levels; level += 1) fragments.push(`fragment P${level} on Product { a: related { ...P${level - 1} } b: related { ...P${level - 1} } }`);
  return `query { products(first: 2) { ...P${levels} } } ${fragments.join(' ')}`;
}

describe('operation analysis', () => {
  it('merges fields with the same response key as execution does, through inline and named fragments', () => {
    const analysis = analyze('{ me { id } ... on Query { me { name } } ...M } fragment M on Query { me { id friends { id } } }');
    expect(analysis.rootFields.map((field) => field.coordinate)).toEqual(['Query.me']);
    const [me] = analysis.rootFields;
    expect(me.nodes).toHaveLength(3);
    expect(me.selection!.fields.map((field) => field.responseKey)).toEqual(['id', 'name', 'friends']);
    expect(analysis.depth).toBe(3);
    expect(analysis.fieldCount).toBe(5);
  });

  it('keeps aliases apart, each its own executed field', () => {
    const analysis = analyze('mutation { a: login(email: "x") b: login(email: "y") ... on Mutation { c: login(email: "z") } }');
    expect(analysis.rootFields.map((field) => field.responseKey)).toEqual(['a', 'b', 'c']);
    expect(analysis.aliasCount).toBe(3);
    expect(analysis.operationType).toBe('mutation');
  });

  it('collects a named fragment once per selection set, however often it is spread: 2^64 spreads are 2 root fields', () => {
    const analysis = analyze(doublingNamed(64));
    expect(analysis.rootFields.map((field) => field.name)).toEqual(['me', 'categories']);
    expect(analysis.depth).toBe(2);
    // The same through inline fragments around the spreads.
    const inline = analyze(doublingNamed(64, undefined, (name) => `... on Query { ...${name} } ... { ...${name} }`));
    expect(inline.rootFields).toHaveLength(2);
  });

  it('counts a shape that really doubles without expanding it', () => {
    const started = process.hrtime.bigint();
    const analysis = analyze(doublingAliases(64));
    const milliseconds = Number(process.hrtime.bigint() - started) / 1e6;
    expect(analysis.depth).toBe(2 + 64);
    expect(analysis.aliasCount).toBeGreaterThan(2 ** 64);
    // Not a timing assertion of speed: a bound a walk of 2^64 nodes could never meet.
    expect(milliseconds).toBeLessThan(5_000);
  });

  it('resolves @skip and @include with the variables, their defaults, or keeps the field when unknown', () => {
    const text = 'query($withMe: Boolean = false, $noCategories: Boolean!) { me @include(if: $withMe) { id } categories @skip(if: $noCategories) { id } products { id } }';
    expect(analyze(text, { noCategories: true }).rootFields.map((field) => field.name)).toEqual(['products']);
    expect(analyze(text, { withMe: true, noCategories: false }).rootFields.map((field) => field.name)).toEqual(['me', 'categories', 'products']);
    // An unknown value (coercion refuses the request later) keeps the larger shape.
    expect(analyze(text, { noCategories: 'yes' }).rootFields.map((field) => field.name)).toEqual(['categories', 'products']);
    // On spreads and inline fragments too.
    expect(analyze('query($x: Boolean!) { ...F @include(if: $x) ... @skip(if: $x) { products { id } } } fragment F on Query { me { id } }', { x: true }).rootFields.map((field) => field.name)).toEqual(['me']);
  });

  it('caches an analysis per document, operation and condition values', () => {
    const document = parse('query A($x: Boolean!) { me @include(if: $x) { id } } query B { categories { id } }');
    expect(analyzer.analyze(document, 'A', { x: true })).toBe(analyzer.analyze(document, 'A', { x: true }));
    expect(analyzer.analyze(document, 'A', { x: false })).not.toBe(analyzer.analyze(document, 'A', { x: true }));
    expect(analyzer.analyze(document, 'B', {})!.name).toBe('B');
    // Two operations and no name: none to run, but each can be measured.
    expect(analyzer.analyze(document, undefined, {})).toBeUndefined();
    expect(analyzer.analyzeEach(document, {}).map((analysis) => analysis.name)).toEqual(['A', 'B']);
    expect(analyzer.analyze(document, 'C', {})).toBeUndefined();
  });

  it('narrows fragments on abstract types to the object selected, and reads fields of interfaces', () => {
    const analysis = analyze('{ node(id: "1") { id ... on Product { name category { id } } ... on User { name } } products { ...N } } fragment N on Node { id }');
    const node = analysis.rootFields[0];
    expect(node.selection!.fields.map((field) => field.coordinate)).toEqual(['Node.id', 'Product.name', 'Product.category', 'User.name']);
    expect(analysis.rootFields[1].selection!.fields.map((field) => field.coordinate)).toEqual(['Product.id']);
  });

  it('terminates on fragment cycles and unknown fields (validation refuses them later)', () => {
    const analysis = analyze('{ ...A } fragment A on Query { me { ...B } } fragment B on User { friends { ...B } nope { deeper { id } } }');
    expect(analysis.depth).toBeGreaterThan(0);
    const unknown = analyze('{ nope { deeper { deepest { id } } } }');
    expect(unknown.depth).toBe(4);
    expect(unknown.rootFields[0].definition).toBeUndefined();
  });

  it('tells introspection-only operations, through fragments', () => {
    expect(analyze('{ __schema { queryType { name } } __typename }').introspectionOnly).toBe(true);
    expect(analyze('{ ...I } fragment I on Query { __type(name: "User") { name } }').introspectionOnly).toBe(true);
    expect(analyze('{ __typename ... on Query { categories { id } } }').introspectionOnly).toBe(false);
    const deep = analyze('{ __schema { types { fields { type { ofType { name } } } } } products { id } }');
    expect(deep.depth).toBe(6);
    expect(deep.depthOutsideIntrospection).toBe(2);
  });

  it('counts the most directives on one node and the most nodes merged into one field', () => {
    const analysis = analyze(`{ me @include(if: true) @skip(if: false) { id } ${'me { id } '.repeat(9)} }`);
    expect(analysis.mostDirectivesOnOneNode).toBe(2);
    expect(analysis.mostMergedNodes).toBe(10);
  });

  it("counts the selections the query planner expands into: it merges only identical ones", () => {
    // Identical spreads merge for the planner too: one inline fragment per level, then the 4 fields.
    expect(analyze(doublingNamed(40)).plannedSelections).toBe(40 + 1 + 4);
    // `... { ...F }` (no type condition) and `...F` (on Query) do not: 2^40 selections to plan, counted without expanding them.
    const inline = analyze(doublingNamed(40, undefined, (name) => `... { ...${name} } ...${name}`));
    expect(inline.rootFields).toHaveLength(2);
    expect(inline.plannedSelections).toBeGreaterThan(2 ** 40);
    // Nor do spreads under different conditions, which the planner keeps unresolved.
    const conditional = analyze(
      doublingNamed(40, undefined, (name) => `...${name} @include(if: $yes) ...${name} @skip(if: $no)`).replace('query {', 'query($yes: Boolean = true, $no: Boolean = false) {'),
    );
    expect(conditional.rootFields).toHaveLength(2);
    expect(conditional.plannedSelections).toBeGreaterThan(2 ** 40);
  });

  it('shares one work bound between the operations of a document measured together', () => {
    const fragments = doublingAliases(30).slice(doublingAliases(30).indexOf('fragment'));
    const operations = Array.from({ length: 20 }, (_, i) => `query Q${i} { products(first: 2) { ...P30 } }`).join(' ');
    const document = parse(`${operations} ${fragments}`);
    const tight = new OperationAnalyzer(schema, { stepsPerNode: 0, stepsFloor: 400 });
    // One of them fits the bound, all twenty together do not.
    expect(tight.analyze(document, 'Q0', {})!.depth).toBe(2 + 30);
    expect(() => tight.analyzeEach(document, {})).toThrow(Refusal);
  });

  it('refuses a document whose merges exceed the work bound, as QUERY_TOO_COMPLEX', () => {
    const tight = new OperationAnalyzer(schema, { stepsPerNode: 0, stepsFloor: 50 });
    expect(() => tight.analyze(parse(doublingAliases(30)), undefined, {})).toThrow(Refusal);
    try {
      tight.analyze(parse(doublingAliases(30)), undefined, {});
    } catch (error) {
      expect((error as Refusal).errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'analysis' });
    }
  });
});
