import { parse } from 'graphql';
import { exceededLimit, measureDocument } from './operation-limits';

const measure = (text: string, ignoreIntrospection = false) => measureDocument(parse(text), { ignoreIntrospection });

describe('measureDocument', () => {
  it('counts depth through fields, inline fragments and fragment spreads', () => {
    expect(measure('{ a }').depth).toBe(1);
    expect(measure('{ a { b { c } } }').depth).toBe(3);
    expect(measure('{ a { ... on T { b { c } } } }').depth).toBe(3);
    expect(measure('{ a { ...F } } fragment F on T { b { c { d } } }').depth).toBe(4);
  });

  it('counts aliases once per use of a fragment, without walking it again', () => {
    const fragment = `fragment F on T { ${Array.from({ length: 10 }, (_, i) => `x${i}: a`).join(' ')} }`;
    expect(measure(`{ ...F ...F ...F } ${fragment}`).aliases).toBe(30);
  });

  it('terminates on fragment cycles (validation refuses them later)', () => {
    expect(measure('{ ...A } fragment A on Query { a { ...B } } fragment B on T { b { ...A } }').depth).toBeGreaterThan(0);
  });

  it('counts root fields through fragments, and the most directives on one field', () => {
    const measured = measure('{ a b ...F c @include(if: true) @skip(if: false) } fragment F on Query { d e }');
    expect(measured.rootFields).toBe(5);
    expect(measured.directivesPerField).toBe(2);
  });

  it('leaves introspection out of depth when asked', () => {
    const deep = '{ __schema { types { fields { type { ofType { ofType { ofType { name } } } } } } } }';
    expect(measure(deep).depth).toBe(8);
    expect(measure(deep, true).depth).toBe(0);
  });

  it('names the first exceeded limit', () => {
    const config = { mode: 'enforce' as const, maxDepth: 2, maxAliases: 1, maxRootFields: 5, maxDirectivesPerField: 1 };
    expect(exceededLimit(measure('{ a { b { c } } }'), config)).toEqual({ limit: 'depth', what: 'depth', measured: 3, maximum: 2 });
    expect(exceededLimit(measure('{ x: a y: b }'), config)).toMatchObject({ limit: 'aliases', measured: 2 });
    expect(exceededLimit(measure('{ a }'), config)).toBeUndefined();
  });
});
