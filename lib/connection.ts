import { Directive, Field, Int, ObjectType, type ClassType } from 'type-graphql';
import { badUserInput } from './errors';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

@ObjectType({ description: 'Where a page of a connection ends and whether more follows.' })
@Directive('@shareable')
export class PageInfo {
  @Field({ description: 'True when another page follows this one' })
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Cursor of the last edge; pass it as `after` to get the next page' })
  endCursor!: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Connection<T> {
  edges: Edge<T>[];
  nodes: T[];
  pageInfo: PageInfo;
  totalCount: number;
}

/**
 * Relay connection and edge object types for a node type, e.g.
 * `ProductConnection` and `ProductEdge` for `Product`.
 */
export function connectionTypes<T extends object>(nodeType: ClassType<T>, nodeName: string) {
  @ObjectType(`${nodeName}Edge`, { description: `One ${nodeName} of a page, with its cursor.` })
  class EdgeType implements Edge<T> {
    @Field({ description: 'Opaque position of this edge; pass it as `after` to continue from here' })
    cursor!: string;

    @Field(() => nodeType, { description: `The ${nodeName}` })
    node!: T;
  }

  @ObjectType(`${nodeName}Connection`, { description: `A page of ${nodeName} items.` })
  class ConnectionType implements Connection<T> {
    @Field(() => [EdgeType], { description: 'The items of this page with their cursors' })
    edges!: EdgeType[];

    @Field(() => [nodeType], { description: 'The items of this page, without cursors' })
    nodes!: T[];

    @Field(() => PageInfo, { description: 'Whether more pages follow, and where this one ends' })
    pageInfo!: PageInfo;

    @Field(() => Int, { description: 'Number of items over all pages' })
    totalCount!: number;
  }

  return { EdgeType, ConnectionType };
}

/** Validates `first` (default 20, 0..100) and returns the page size. */
export function pageSize(first: number | null | undefined): number {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) {
    throw badUserInput(`"first" must be an integer from 0 to ${MAX_PAGE_SIZE}`, { argumentName: 'first', max: MAX_PAGE_SIZE });
  }
  return size;
}

export type CursorValue = string | number | null;

/**
 * Cursors are opaque to clients: base64url of the ordering they belong to and
 * the sort-key values of the edge (keyset pagination, so pages stay stable
 * while rows are inserted).
 */
export function encodeCursor(ordering: string, values: readonly CursorValue[]): string {
  return Buffer.from(JSON.stringify([ordering, ...values]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, ordering: string, arity: number): CursorValue[] {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const valid =
    Array.isArray(decoded) &&
    decoded.length === arity + 1 &&
    decoded[0] === ordering &&
    decoded.slice(1).every((v) => v === null || typeof v === 'string' || typeof v === 'number');
  if (!valid) {
    throw badUserInput('"after" is not a cursor of this list and ordering', { argumentName: 'after' });
  }
  return (decoded as CursorValue[]).slice(1);
}

/**
 * Builds a connection from rows fetched with `limit: size + 1`: the extra row,
 * if present, only tells that another page follows.
 */
export function toConnection<T>(rows: T[], size: number, cursorOf: (node: T) => string, totalCount: number): Connection<T> {
  const nodes = rows.slice(0, size);
  const edges = nodes.map((node) => ({ cursor: cursorOf(node), node }));
  const pageInfo = new PageInfo();
  pageInfo.hasNextPage = rows.length > size;
  pageInfo.endCursor = edges.length > 0 ? edges[edges.length - 1].cursor : null;
  return { edges, nodes, pageInfo, totalCount };
}
