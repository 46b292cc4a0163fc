import { buildSchema, parse } from 'graphql';
import { OperationAnalyzer } from '../pipeline/operation-analysis';
import { exceededLimit, measurementsOf } from './operation-limits';

const schema = buildSchema(`
  type Query { a: A  b: String  c: String  d: String  e: String  categories: [T!]! }
  type A { b: B  x: String }
  type B { c: C }
  type C { d: String }
  type T { id: ID  name: String  children: [T!]! }
`);
const analyzer = new OperationAnalyzer(schema);
const measure = (text: string, ignoreIntrospection = false, variables: Record<string, unknown> = {}) =>
  measurementsOf(analyzer.analyze(parse(text), undefined, variables)!, { ignoreIntrospection });

describe('operation limits measure what executes', () => {
  it('counts depth through fields, inline fragments and fragment spreads', () => {
    expect(measure('{ b }').depth).toBe(1);
    expect(measure('{ a { b { c { d } } } }').depth).toBe(4);
    expect(measure('{ a { ... on A { b { c { d } } } } }').depth).toBe(4);
    expect(measure('{ a { ...F } } fragment F on A { b { c { d } } }').depth).toBe(4);
  });

  it('counts aliases once per place a fragment executes, and once for a field merged from several', () => {
    const fragment = `fragment F on T { ${Array.from({ length: 10 }, (_, i) => `x${i}: name`).join(' ')} }`;
    // Spread three times in one selection set: executed once.
    expect(measure(`{ categories { ...F ...F ...F } } ${fragment}`).aliases).toBe(10);
    // Executed in three places: three times.
    expect(measure(`{ x: categories { ...F } y: categories { ...F } z: categories { ...F } } ${fragment}`).aliases).toBe(33);
  });

  it('counts the executed root fields through any fragment nesting, once per response key', () => {
    expect(measure('{ b c ...F d @include(if: true) @skip(if: false) } fragment F on Query { d e ...G } fragment G on Query { b e }').rootFields).toBe(4);
    expect(measure('{ x: b y: b ... on Query { z: b ... on Query { x: b } } }').rootFields).toBe(3);
  });

  it('leaves skipped fields out, with the variables sent', () => {
    expect(measure('query($deep: Boolean!) { b a @include(if: $deep) { b { c { d } } } }', false, { deep: false }).depth).toBe(1);
    expect(measure('query($deep: Boolean!) { b a @include(if: $deep) { b { c { d } } } }', false, { deep: true }).depth).toBe(4);
  });

  it('counts the most directives on one node, and the most selections merged into one field', () => {
    expect(measure('{ b @include(if: true) @skip(if: false) }').directivesPerField).toBe(2);
    expect(measure(`{ ${'a { x } '.repeat(12)} }`).mergedFields).toBe(12);
  });

  it('leaves introspection out of depth when asked', () => {
    const deep = '{ __schema { types { fields { type { ofType { ofType { ofType { name } } } } } } } }';
    expect(measure(deep).depth).toBe(8);
    expect(measure(deep, true).depth).toBe(0);
  });

  it('names the first exceeded limit', () => {
    const config = { mode: 'enforce' as const, maxDepth: 2, maxAliases: 1, maxRootFields: 5, maxDirectivesPerField: 1, maxMergedFields: 3, maxPlannedSelections: 100 };
    expect(exceededLimit(measure('{ a { b { c { d } } } }'), config)).toEqual({ limit: 'depth', what: 'depth', measured: 4, maximum: 2 });
    expect(exceededLimit(measure('{ x: b y: c }'), config)).toMatchObject({ limit: 'aliases', measured: 2 });
    expect(exceededLimit(measure('{ b b b b }'), config)).toMatchObject({ limit: 'mergedFields', measured: 4 });
    expect(exceededLimit(measure('{ b }'), config)).toBeUndefined();
  });
});
