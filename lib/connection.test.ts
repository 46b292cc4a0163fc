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
    const cursor = encodeCursor('PRICE_ASC', [1299, 'a-b']);
    expect(decodeCursor(cursor, 'PRICE_ASC', 2)).toEqual([1299, 'a-b']);
    expect(codeOf(() => decodeCursor(cursor, 'NEWEST', 2))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => decodeCursor(cursor, 'PRICE_ASC', 3))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => decodeCursor('%%%', 'PRICE_ASC', 2))).toBe('BAD_USER_INPUT');
  });

  it('uses the extra row only to tell that another page follows', () => {
    const page = toConnection([1, 2, 3], 2, (n) => `c${n}`, 10);
    expect(page.nodes).toEqual([1, 2]);
    expect(page.pageInfo).toEqual({ hasNextPage: true, endCursor: 'c2' });
    expect(toConnection([1], 2, (n) => `c${n}`, 1).pageInfo).toEqual({ hasNextPage: false, endCursor: 'c1' });
    expect(toConnection([], 2, String, 0).pageInfo).toEqual({ hasNextPage: false, endCursor: null });
  });
});
