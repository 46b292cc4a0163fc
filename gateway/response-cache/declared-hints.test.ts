import 'reflect-metadata';
import { composeServices } from '@apollo/composition';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildASTSchema, getNamedType, isObjectType, parse, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import { getMetadataStorage } from 'type-graphql';
import { buildFederatedSchema, SUBGRAPH_PRELUDE } from '../../lib/federation-schema';
import { schemaDir } from '../../lib/paths';
import { subgraphDefinitions } from '../../scripts/subgraph-definitions';
import { fieldCachePolicy, readCacheHints, type CacheHints } from './cache-hints';

/**
 * The @cacheControl hints the subgraphs declare (lib/federation-schema.ts),
 * as the gateway reads them from the committed supergraph and evaluates them
 * (cache-hints.ts, Apollo Server's rules): public
 * catalog data is cacheable, data about a viewer is PRIVATE, and nothing
 * guarded by @Authorized is publicly cacheable.
 */

/** The policy of a response holding a field: the smallest maxAge on its path, PRIVATE if anything on it is. */
interface Policy {
  maxAge: number;
  scope: 'PUBLIC' | 'PRIVATE';
}

const sdlSchema = (sdl: string): GraphQLSchema => buildASTSchema(parse(sdl), { assumeValidSDL: true });
const supergraphSdl = readFileSync(path.join(schemaDir(), 'supergraph.graphql'), 'utf8');
const supergraph = sdlSchema(supergraphSdl);
const supergraphHints = readCacheHints(supergraphSdl);

/** The gateway's rules (fieldCachePolicy) for `type.fieldName` under `parent` (null for a root field). */
function fieldPolicy(type: GraphQLObjectType, fieldName: string, parent: Policy | null, hints: CacheHints = supergraphHints): Policy {
  const policy = fieldCachePolicy(hints, type.name, type.getFields()[fieldName], parent?.maxAge ?? Number.POSITIVE_INFINITY, parent === null);
  return { maxAge: Number.isFinite(policy.maxAge) ? policy.maxAge : 0, scope: parent?.scope === 'PRIVATE' || policy.scope === 'PRIVATE' ? 'PRIVATE' : 'PUBLIC' };
}

const publiclyCacheable = (policy: Policy) => policy.scope === 'PUBLIC' && policy.maxAge > 0;

/** Builds every subgraph's schema (which completes type-graphql's metadata); their SDL as GraphQL schemas with their hints. */
async function subgraphSchemas(): Promise<{ schema: GraphQLSchema; hints: CacheHints }[]> {
  const schemas: { schema: GraphQLSchema; hints: CacheHints }[] = [];
  for (const definition of Object.values(subgraphDefinitions)) {
    const { sdl } = await buildFederatedSchema(definition!);
    schemas.push({ schema: sdlSchema(sdl), hints: readCacheHints(sdl) });
  }
  return schemas;
}

/**
 * `Type.field` of every field that `@Authorized` guards, from type-graphql's
 * metadata: queries, mutations, subscriptions, field resolvers and plain
 * fields, including roles a resolver class gives all its members.
 */
function guardedFields(): Set<string> {
  const storage = getMetadataStorage();
  const typeName = (target: Function) => storage.objectTypes.find((type) => type.target === target)?.name;
  const roots = [
    ['Query', storage.queries],
    ['Mutation', storage.mutations],
    ['Subscription', storage.subscriptions],
  ] as const;
  const guarded = new Set<string>();
  for (const [root, definitions] of roots) {
    for (const definition of definitions) if (definition.roles !== undefined) guarded.add(`${root}.${definition.schemaName}`);
  }
  for (const resolver of storage.fieldResolvers) {
    if (resolver.roles !== undefined) guarded.add(`${typeName(resolver.getObjectType!() as Function)}.${resolver.schemaName}`);
  }
  for (const type of storage.objectTypes) {
    for (const field of type.fields ?? []) if (field.roles !== undefined) guarded.add(`${type.name}.${field.schemaName}`);
  }
  // Every @Authorized member must have been found above.
  for (const { target, fieldName } of storage.authorizedFields) {
    const member =
      roots.flatMap(([root, definitions]) => definitions.filter((d) => d.target === target && d.methodName === fieldName).map((d) => `${root}.${d.schemaName}`))[0] ??
      storage.fieldResolvers.filter((r) => r.target === target && r.methodName === fieldName).map((r) => `${typeName(r.getObjectType!() as Function)}.${r.schemaName}`)[0] ??
      storage.objectTypes.flatMap((type) => (type.fields ?? []).filter((f) => f.target === target && f.name === fieldName).map((f) => `${type.name}.${f.schemaName}`))[0];
    expect({ target: target.name, fieldName, guarded: member !== undefined && guarded.has(member) }).toEqual({ target: target.name, fieldName, guarded: true });
  }
  return guarded;
}

describe('cache hints in the supergraph', () => {
  const query = supergraph.getQueryType()!;
  const guarded = (async () => {
    await subgraphSchemas();
    return guardedFields();
  })();

  it('make every public field of products and categories (and what they hold) publicly cacheable', async () => {
    const adminOnly = await guarded;
    const problems: string[] = [];
    const walked = new Set<string>();
    const walk = (type: GraphQLObjectType, parent: Policy) => {
      if (walked.has(type.name)) return;
      walked.add(type.name);
      for (const fieldName of Object.keys(type.getFields())) {
        if (adminOnly.has(`${type.name}.${fieldName}`)) continue;
        const policy = fieldPolicy(type, fieldName, parent);
        if (!publiclyCacheable(policy)) problems.push(`${type.name}.${fieldName}: ${JSON.stringify(policy)}`);
        const returned = getNamedType(type.getFields()[fieldName].type);
        if (isObjectType(returned)) walk(returned, policy);
      }
    };
    for (const root of ['product', 'products', 'categories']) {
      const policy = fieldPolicy(query, root, null);
      if (!publiclyCacheable(policy)) problems.push(`Query.${root}: ${JSON.stringify(policy)}`);
      walk(getNamedType(query.getFields()[root].type) as GraphQLObjectType, policy);
    }
    expect(problems).toEqual([]);
    expect([...walked]).toEqual(expect.arrayContaining(['Product', 'Category']));
  }, 60_000);

  it('let stock be cached only with invalidation', () => {
    for (const field of ['inStock', 'availableQuantity']) {
      const hint = supergraphHints.fields.get(`Product.${field}`) ?? {};
      expect({ field, onlyWithInvalidation: hint.onlyWithInvalidation, cacheable: (hint.maxAge ?? 0) > 0 }).toEqual({ field, onlyWithInvalidation: true, cacheable: true });
    }
  });

  it('make users, carts, orders and sessions PRIVATE, and the root fields that return them', () => {
    const types = ['User', 'Address', 'Cart', 'CartItem', 'Order', 'OrderItem', 'OrderConnection', 'OrderEdge', 'OrderStatusEvent', 'AuthPayload'];
    expect(types.filter((name) => supergraphHints.types.get(name)?.scope !== 'PRIVATE')).toEqual([]);
    expect(['me', 'cart', 'order'].filter((name) => supergraphHints.fields.get(`Query.${name}`)?.scope !== 'PRIVATE')).toEqual([]);
  });

  it('never make a field guarded by @Authorized publicly cacheable, whatever its parent', async () => {
    const schemas = [{ schema: supergraph, hints: supergraphHints }, ...(await subgraphSchemas())];
    // Only queries are cached: a mutation's or subscription's result never is.
    const fields = [...(await guarded)].filter((coordinate) => !/^(Mutation|Subscription)\./.test(coordinate));
    expect(fields.length).toBeGreaterThan(0);
    const cacheableParent: Policy = { maxAge: 3600, scope: 'PUBLIC' };
    const exposed: string[] = [];
    for (const coordinate of fields) {
      const [typeName, fieldName] = coordinate.split('.');
      for (const { schema, hints } of schemas) {
        const type = schema.getType(typeName);
        if (!isObjectType(type) || !type.getFields()[fieldName]) continue;
        const policy = fieldPolicy(type, fieldName, typeName === 'Query' ? null : cacheableParent, hints);
        if (publiclyCacheable(policy)) exposed.push(`${coordinate}: ${JSON.stringify(policy)}`);
      }
    }
    expect(exposed).toEqual([]);
  }, 60_000);

  it('compose for a subgraph that uses no hint (every subgraph defines the directive)', () => {
    const plain = `${SUBGRAPH_PRELUDE}\n\ntype Query {\n  ping: String\n}\n`;
    const hinted = `${SUBGRAPH_PRELUDE}\n\ntype Query {\n  pong: String @cacheControl(maxAge: 5)\n}\n`;
    const composition = composeServices([
      { name: 'plain', typeDefs: parse(plain), url: 'http://plain' },
      { name: 'hinted', typeDefs: parse(hinted), url: 'http://hinted' },
    ]);
    expect(composition.errors?.map((error) => error.message)).toBeUndefined();
    expect(composition.supergraphSdl).toContain('pong: String @join__field(graph: HINTED) @cacheControl(maxAge: 5)');
  });
});
