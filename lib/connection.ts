import { Directive, Field, Int, ObjectType, type ClassType } from 'type-graphql';
import { badUserInput } from './errors';
import { isValidText } from './text-input';
import { isUuid } from './uuid';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

@ObjectType({ description: 'Where a page of a connection ends and whether more follows.' })
@Directive('@shareable')
// As cacheable as the connection it belongs to (public products, private orders).
@Directive('@cacheControl(inheritMaxAge: true)')
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

export interface ConnectionTypesOptions {
  /** Directives of both the connection and the edge type, e.g. a `@cacheControl` hint (the same as the node's kind of data). */
  directives?: string[];
}

/**
 * Relay connection and edge object types for a node type, e.g.
 * `ProductConnection` and `ProductEdge` for `Product`.
 */
export function connectionTypes<T extends object>(nodeType: ClassType<T>, nodeName: string, options: ConnectionTypesOptions = {}) {
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

  for (const directive of options.directives ?? []) {
    Directive(directive)(EdgeType);
    Directive(directive)(ConnectionType);
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
 * The type of each value of a cursor, named after the PostgreSQL type it is
 * compared with, and the TypeScript type it decodes to. An ordering declares
 * one per sort key, so a decoded cursor can always be cast in SQL.
 */
interface CursorTypes {
  /** An instant as `toISOString()` writes it (years 0001-9999, which PostgreSQL accepts). */
  timestamptz: string;
  uuid: string;
  text: string;
  integer: number;
  real: number;
}
export type CursorType = keyof CursorTypes;
export type CursorValues<T extends readonly CursorType[]> = { -readonly [K in keyof T]: CursorTypes[T[K]] };

const ISO_INSTANT = /^(?!0000)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const INT4 = 2 ** 31;
/** The normal range of PostgreSQL's 4-byte float: values outside it are "out of range for type real". */
const REAL_MIN = 1.18e-38;
const REAL_MAX = 3.4e38;

/** The value in its canonical form if it is a valid `type`, else undefined. */
function cursorValue(type: CursorType, value: unknown): string | number | undefined {
  switch (type) {
    case 'timestamptz':
      // Round-tripping rejects impossible dates such as February 30.
      return typeof value === 'string' && ISO_INSTANT.test(value) && new Date(value).toISOString() === value ? value : undefined;
    case 'uuid':
      return typeof value === 'string' && isUuid(value) ? value.toLowerCase() : undefined;
    case 'text':
      return typeof value === 'string' && isValidText(value) ? value : undefined;
    case 'integer':
      return Number.isInteger(value) && (value as number) >= -INT4 && (value as number) < INT4 ? (value as number) : undefined;
    case 'real':
      return typeof value === 'number' && (value === 0 || (Math.abs(value) >= REAL_MIN && Math.abs(value) <= REAL_MAX)) ? value : undefined;
  }
}

/**
 * Cursors are opaque to clients: base64url of the ordering they belong to and
 * the sort-key values of the edge (keyset pagination, so pages stay stable
 * while rows are inserted).
 */
export function encodeCursor(ordering: string, values: readonly CursorValue[]): string {
  return Buffer.from(JSON.stringify([ordering, ...values]), 'utf8').toString('base64url');
}

/**
 * The values of a cursor of `ordering`, checked against the ordering's
 * `types`: anything else (another list's or ordering's cursor, a value of the
 * wrong type, one the SQL cast would reject) is BAD_USER_INPUT here and never
 * reaches SQL.
 */
export function decodeCursor<const T extends readonly CursorType[]>(cursor: string, ordering: string, types: T): CursorValues<T> {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const values = Array.isArray(decoded) && decoded.length === types.length + 1 && decoded[0] === ordering ? types.map((type, i) => cursorValue(type, decoded[i + 1])) : [];
  if (values.length !== types.length || values.includes(undefined)) {
    throw badUserInput('"after" is not a cursor of this list and ordering', { argumentName: 'after' });
  }
  return values as CursorValues<T>;
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
