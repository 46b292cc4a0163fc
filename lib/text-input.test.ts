import { parse } from 'graphql';
import { invalidTextError, isValidText, textProblem } from './text-input';

const NUL = '\u0000';
const LONE_HIGH = '\ud83d';
const LONE_LOW = '\ude00';
const PAIR = '\ud83d\ude00'; // 😀

describe('textProblem', () => {
  it('accepts any well-formed text, including astral characters, tabs and newlines', () => {
    for (const text of ['', 'skillet', 'Crème brûlée', `smile ${PAIR}`, 'a\tb\nc', '\u00a0\ufffd\uffff']) {
      expect(textProblem(text)).toBeNull();
      expect(isValidText(text)).toBe(true);
    }
  });

  it('names a NUL character and unpaired surrogates wherever they are', () => {
    expect(textProblem(`a${NUL}b`)).toBe('a NUL character (U+0000)');
    expect(textProblem(NUL)).toBe('a NUL character (U+0000)');
    for (const text of [LONE_HIGH, LONE_LOW, `a${LONE_HIGH}`, `${LONE_LOW}a`, `${LONE_LOW}${LONE_HIGH}`, `${PAIR}${LONE_HIGH}`, `${LONE_HIGH}${LONE_HIGH}${LONE_LOW}`]) {
      expect(textProblem(text)).toBe('an unpaired UTF-16 surrogate');
      expect(isValidText(text)).toBe(false);
    }
  });
});

describe('invalidTextError', () => {
  const refusal = (query: string, variables?: Record<string, unknown> | null) => {
    const error = invalidTextError(parse(query), variables);
    return error && { message: error.message, extensions: error.extensions };
  };

  it('passes operations whose strings are all valid text', () => {
    expect(refusal('{ products(filter: { search: "pan" }) { totalCount } }')).toBeNull();
    expect(refusal('query($s: String) { product(slug: $s) { id } }', { s: `pan ${PAIR}`, n: [1, true, null, { a: 'b' }] })).toBeNull();
    expect(refusal('{ categories { id } }', null)).toBeNull();
  });

  it('names the variable path of a NUL or an unpaired surrogate at any depth', () => {
    expect(refusal('query($slug: String) { product(slug: $slug) { id } }', { slug: `a${NUL}` })).toEqual({
      message: 'Variable "$slug" contains a NUL character (U+0000), which is not valid text: remove it or send well-formed Unicode',
      extensions: { code: 'BAD_USER_INPUT', variablePath: '$slug' },
    });
    expect(refusal('query($f: ProductFilter) { products(filter: $f) { totalCount } }', { f: { search: LONE_LOW } })?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      variablePath: '$f.search',
    });
    expect(refusal('query($r: [_Any!]!) { _entities(representations: $r) { __typename } }', { r: [{ id: 'ok' }, { __typename: 'Product', id: ['x', NUL] }] })?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      variablePath: '$r[1].id[1]',
    });
  });

  it('refuses an invalid object key without echoing it', () => {
    const error = refusal('query($r: [_Any!]!) { _entities(representations: $r) { __typename } }', { r: [{ [`id${NUL}`]: '1' }] });
    expect(error?.extensions).toEqual({ code: 'BAD_USER_INPUT', variablePath: '$r[0]' });
    expect(error?.message).toContain('a key with a NUL character');
    expect(error?.message).not.toContain(NUL);
  });

  it('names the argument and field of an inline literal, inside lists and input objects too', () => {
    expect(refusal('{ product(slug: "a\\u0000b") { id } }')).toEqual({
      message: 'Argument "slug" of field "product" contains a NUL character (U+0000), which is not valid text: remove it or send well-formed Unicode',
      extensions: { code: 'BAD_USER_INPUT', argumentName: 'slug' },
    });
    expect(refusal('{ ok: product(slug: "fine") { id } products(filter: { search: "\\u{0}" }) { totalCount } }')?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      argumentName: 'filter.search',
    });
    expect(refusal('query { a { b(list: ["x", { deep: ["\\u0000"] }]) } }')?.extensions).toEqual({ code: 'BAD_USER_INPUT', argumentName: 'list[1].deep[0]' });
    expect(refusal('{ a @skip(if: false) @tag(name: "\\u0000") }')?.message).toMatch(/^Argument "name" of directive "@tag" contains a NUL/);
    expect(refusal('query { a { ...F } } fragment F on A { b(s: """x\\u0000""") }')).toBeNull(); // block strings have no escapes
  });

  it('checks the default values of variables', () => {
    expect(refusal('query($s: String = "\\u0000") { product(slug: $s) { id } }')).toEqual({
      message: 'The default value of "$s" contains a NUL character (U+0000), which is not valid text: remove it or send well-formed Unicode',
      extensions: { code: 'BAD_USER_INPUT', variablePath: '$s' },
    });
  });

  it('adds the extensions it is given (the HTTP status)', () => {
    const error = invalidTextError(parse('{ product(slug: "\\u0000") { id } }'), {}, { http: { status: 400 } });
    expect(error?.extensions).toEqual({ code: 'BAD_USER_INPUT', argumentName: 'slug', http: { status: 400 } });
  });
});
