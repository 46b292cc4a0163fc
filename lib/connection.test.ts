import { GraphQLError } from 'graphql';
import { decodeCursor, encodeCursor, pageSize, toConnection } from './connection';

function codeOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return (error as GraphQLError).extensions?.code;
  }
  return undefined;
}

describe('connections', () => {
  it('defaults page size to 20 and allows 0..100', () => {
    expect(pageSize(undefined)).toBe(20);
    expect(pageSize(null)).toBe(20);
    expect(pageSize(0)).toBe(0);
    expect(pageSize(100)).toBe(100);
    expect(codeOf(() => pageSize(101))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => pageSize(-1))).toBe('BAD_USER_INPUT');
  });

  it('round-trips cursors of one ordering and rejects others', () => {
    const id = '0b6e5e0e-6f0c-4d2a-9a43-1b2c3d4e5f60';
    const cursor = encodeCursor('PRICE_ASC', [1299, id]);
    expect(decodeCursor(cursor, 'PRICE_ASC', ['integer', 'uuid'])).toEqual([1299, id]);
    expect(codeOf(() => decodeCursor(cursor, 'NEWEST', ['integer', 'uuid']))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => decodeCursor(cursor, 'PRICE_ASC', ['integer', 'uuid', 'uuid']))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => decodeCursor('%%%', 'PRICE_ASC', ['integer', 'uuid']))).toBe('BAD_USER_INPUT');
  });

  it('accepts only values of the types the ordering declares, in the form SQL casts accept', () => {
    const id = '0B6E5E0E-6F0C-4D2A-9A43-1B2C3D4E5F60';
    const decode = (values: unknown[], types: Parameters<typeof decodeCursor>[2]) => {
      const cursor = Buffer.from(JSON.stringify(['O', ...values])).toString('base64url');
      try {
        return decodeCursor(cursor, 'O', types);
      } catch (error) {
        expect((error as GraphQLError).message).toBe('"after" is not a cursor of this list and ordering');
        expect((error as GraphQLError).extensions).toEqual({ code: 'BAD_USER_INPUT', argumentName: 'after' });
        return 'refused';
      }
    };
    expect(decode(['2026-01-02T03:04:05.678Z', id], ['timestamptz', 'uuid'])).toEqual(['2026-01-02T03:04:05.678Z', id.toLowerCase()]);
    expect(decode(['Cast iron skillet', id], ['text', 'uuid'])).toEqual(['Cast iron skillet', id.toLowerCase()]);
    expect(decode([0.0607927, id], ['real', 'uuid'])).toEqual([0.0607927, id.toLowerCase()]);
    expect(decode([-2147483648, id], ['integer', 'uuid'])).toEqual([-2147483648, id.toLowerCase()]);

    const refused: [unknown[], Parameters<typeof decodeCursor>[2]][] = [
      [['1299', id], ['integer', 'uuid']],
      [[12.5, id], ['integer', 'uuid']],
      [[2147483648, id], ['integer', 'uuid']],
      [[1299, 'not-a-uuid'], ['integer', 'uuid']],
      [[1299, 42], ['integer', 'uuid']],
      [[{ amount: 1 }, id], ['integer', 'uuid']],
      [[[1], id], ['integer', 'uuid']],
      [[null, id], ['integer', 'uuid']],
      [[true, id], ['integer', 'uuid']],
      [[1, id], ['text', 'uuid']],
      [['a\u0000b', id], ['text', 'uuid']],
      [['\ud800', id], ['text', 'uuid']],
      [['yesterday', id], ['timestamptz', 'uuid']],
      [['2026-02-30T00:00:00.000Z', id], ['timestamptz', 'uuid']],
      [['0000-01-01T00:00:00.000Z', id], ['timestamptz', 'uuid']],
      [['2026-01-02', id], ['timestamptz', 'uuid']],
      [[1767323045678, id], ['timestamptz', 'uuid']],
      [[1e39, id], ['real', 'uuid']],
      [[1e-40, id], ['real', 'uuid']],
      [['0.5', id], ['real', 'uuid']],
    ];
    for (const [values, types] of refused) {
      expect({ values, result: decode(values, types) }).toEqual({ values, result: 'refused' });
    }
  });

  it('uses the extra row only to tell that another page follows', () => {
    const page = toConnection([1, 2, 3], 2, (n) => `c${n}`, 10);
    expect(page.nodes).toEqual([1, 2]);
    expect(page.pageInfo).toEqual({ hasNextPage: true, endCursor: 'c2' });
    expect(toConnection([1], 2, (n) => `c${n}`, 1).pageInfo).toEqual({ hasNextPage: false, endCursor: 'c1' });
    expect(toConnection([], 2, String, 0).pageInfo).toEqual({ hasNextPage: false, endCursor: null });
  });
});
