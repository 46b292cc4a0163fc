import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { GraphQLObjectType, parse, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { buildSchema, createResolversMap, getMetadataStorage, type AuthChecker, type NonEmptyArray, type PubSub } from 'type-graphql';
import { forbidden, unauthenticated } from './errors';
import type { Role, Viewer } from './identity';

/**
 * Federation 2 spec version and the directives the subgraphs use. v2.9 brings
 * the demand-control directives `@cost` and `@listSize` (composed into the
 * supergraph under https://specs.apollo.dev/cost/v0.1), from which the
 * gateway computes each operation's static cost; see docs/demand-control.md.
 * `@composeDirective` carries our own `@cacheControl` (below) into the supergraph.
 */
export const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible", "@tag", "@cost", "@listSize", "@composeDirective"])';

/**
 * Cache hints, declared by the subgraph that owns the data and composed into
 * the supergraph (`@composeDirective`), where the gateway's response cache
 * reads them. Every subgraph's SDL defines the directive, whether it uses it
 * or not, so each composes on its own.
 *
 * The rules are Apollo Server's `@cacheControl` rules:
 * - A field's maxAge is its own hint's; without one, its return type's hint's.
 * - A root field, or a field returning an object, interface or union type,
 *   with neither is not cacheable (maxAge 0), unless `inheritMaxAge: true`
 *   is on the field or on the returned type: then it takes its parent's
 *   (a root field has no parent: a connection type that inherits needs a
 *   maxAge on the root field that returns it, as `Query.products` has).
 * - A scalar or enum field without a hint takes its parent's.
 * - `scope: PRIVATE` marks data about one viewer, never shared between
 *   viewers. A response may be cached for the smallest maxAge of its fields,
 *   and is PRIVATE if any field or returned type in it is.
 * One addition of ours: `onlyWithInvalidation: true` marks data that changes
 * often (stock), which only a cache that receives the owning subgraph's
 * change events (lib/events.ts) may keep.
 */
export const CACHE_CONTROL_DEFINITIONS = `extend schema @link(url: "https://specs.commerce-supergraph.dev/cache-control/v1.0", import: ["@cacheControl"]) @composeDirective(name: "@cacheControl")

"""
How long, and for whom, a cache may keep the data of a field, or of every field returning this type
(Apollo Server's @cacheControl rules). A field's maxAge is its own hint's, else its return type's;
without either, a root field or a field returning an object is not cacheable (maxAge 0) unless
inheritMaxAge is set, and a scalar or enum field takes its parent's. A response may be cached for the
smallest maxAge of its fields, and only for its viewer if any of them is PRIVATE.
"""
directive @cacheControl(
  """Seconds a cache may keep the data"""
  maxAge: Int
  """PRIVATE: the data is about one viewer and is never shared between viewers. PUBLIC (the default): the same for every viewer"""
  scope: CacheControlScope
  """Where no maxAge applies, take the parent field's instead of 0 (on a root field: 0, as it has no parent)"""
  inheritMaxAge: Boolean
  """The data changes often (stock): only a cache that receives the owning subgraph's change events, and drops what they name, may keep it"""
  onlyWithInvalidation: Boolean
) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION

"""Who may share cached data: every viewer (PUBLIC) or only the viewer it was made for (PRIVATE)."""
enum CacheControlScope {
  """The same for every viewer: one cached copy serves everyone"""
  PUBLIC
  """About one viewer: cached, if at all, only for that viewer, never shared"""
  PRIVATE
}`;

/** What every subgraph's SDL starts with, before the types printed from code. */
export const SUBGRAPH_PRELUDE = `${FEDERATION_LINK}\n\n${CACHE_CONTROL_DEFINITIONS}`;

/** type-graphql cannot describe root types, so their descriptions are added to the printed SDL. */
const ROOT_TYPE_DESCRIPTIONS: Record<string, string> = {
  Query: 'Reads. Every field is owned by one subgraph; the gateway plans across them.',
  Mutation: 'Writes. Each mutation is owned by one subgraph.',
  Subscription: 'Live updates, served by the gateway over graphql-ws at /graphql.',
};

function describeRootTypes(sdl: string): string {
  return sdl.replace(/^type (Query|Mutation|Subscription) \{/gm, (line, name: string) => `"""${ROOT_TYPE_DESCRIPTIONS[name]}"""\n${line}`);
}

export type ReferenceResolver<Context> = (reference: { __typename: string; id: string } & Record<string, unknown>, context: Context) => unknown;

export interface SchemaSpec<Context> {
  resolvers: NonEmptyArray<Function>;
  orphanedTypes?: Function[];
  /** `__resolveReference` per entity type this subgraph can resolve. */
  referenceResolvers?: Record<string, ReferenceResolver<Context>>;
}

/**
 * `@Authorized(...)` as the contract wants it: UNAUTHENTICATED without a
 * viewer, FORBIDDEN with the wrong role (type-graphql's own error says
 * UNAUTHORIZED, which is not one of our codes).
 */
export const authChecker: AuthChecker<{ viewer: Viewer | null }, Role> = ({ context }, roles) => {
  if (!context.viewer) throw unauthenticated();
  if (roles.length > 0 && !roles.includes(context.viewer.role)) throw forbidden(`This requires the ${roles.join(' or ')} role`);
  return true;
};

/** A placeholder pub/sub for schema printing; real delivery comes from the event bus. */
const noPubSub: PubSub = {
  publish: () => undefined,
  subscribe: () => {
    throw new Error('Subscriptions are served through the gateway');
  },
};

export interface FederatedSchema {
  schema: GraphQLSchema;
  /** The subgraph SDL as composition sees it (committed under schema/). */
  sdl: string;
}

/**
 * type-graphql builds the types and resolvers from the decorated classes;
 * `@apollo/subgraph` turns the printed SDL (with the federation @link and the
 * directives from `@Directive`) into a subgraph schema with `_entities` and
 * `_service`.
 */
export interface FederatedSchemaOptions<Context> {
  pubSub?: PubSub;
  /** Runs before each subscription event is resolved (a subscription's context outlives its events). */
  beforeSubscriptionEvent?: (context: Context, event: unknown) => void;
}

/**
 * type-graphql gives every `@Field` property a resolver that runs its
 * middleware chain and then reads `root[property]`; with no middleware, no
 * `@Authorized` and no field resolver that is what GraphQL's default resolver
 * does, at a fraction of the cost (a page of products has hundreds of such
 * fields). Those resolvers are left out of the map. A field is kept when any
 * class of that GraphQL type name gives it anything more (several subgraphs'
 * classes share the global metadata, e.g. catalog's and inventory's `Product`).
 * Call after buildSchema, which completes the metadata.
 */
function dropPropertyResolvers(schema: GraphQLSchema, resolvers: Record<string, unknown>): void {
  const storage = getMetadataStorage();
  for (const [typeName, type] of Object.entries(schema.getTypeMap())) {
    const typeResolvers = resolvers[typeName] as Record<string, unknown> | undefined;
    if (!(type instanceof GraphQLObjectType) || !typeResolvers || typeName.startsWith('__')) continue;
    const classes = storage.objectTypes.filter((objectType) => objectType.name === typeName);
    if (classes.length === 0) continue;
    for (const fieldName of Object.keys(type.getFields())) {
      if (typeof typeResolvers[fieldName] !== 'function') continue;
      const plain = classes.every((objectType) =>
        (objectType.fields ?? [])
          .filter((field) => field.schemaName === fieldName)
          .every(
            (field) =>
              field.name === fieldName &&
              (field.middlewares ?? []).length === 0 &&
              (field.roles ?? []).length === 0 &&
              (field.params ?? []).length === 0 &&
              !storage.fieldResolvers.some((resolver) => resolver.methodName === field.name && resolver.getObjectType?.() === field.target),
          ),
      );
      const declared = classes.some((objectType) => (objectType.fields ?? []).some((field) => field.schemaName === fieldName));
      if (plain && declared) delete typeResolvers[fieldName];
    }
  }
}

export async function buildFederatedSchema<Context>(spec: SchemaSpec<Context>, options: FederatedSchemaOptions<Context> = {}): Promise<FederatedSchema> {
  const pubSub = options.pubSub ?? noPubSub;
  const typeGraphQLSchema = await buildSchema({
    resolvers: spec.resolvers,
    orphanedTypes: spec.orphanedTypes,
    skipCheck: true,
    // Never echo rejected values (a password) or the whole input back in validation errors.
    validate: { forbidUnknownValues: false, validationError: { target: false, value: false } },
    authChecker,
    pubSub,
  });
  const sdl = `${SUBGRAPH_PRELUDE}\n\n${describeRootTypes(printSchemaWithDirectives(typeGraphQLSchema))}\n`;
  const resolvers = createResolversMap(typeGraphQLSchema) as GraphQLResolverMap<Context>;
  dropPropertyResolvers(typeGraphQLSchema, resolvers as Record<string, unknown>);
  const beforeEvent = options.beforeSubscriptionEvent;
  if (beforeEvent) {
    for (const field of Object.values((resolvers.Subscription ?? {}) as Record<string, { resolve?: GraphQLFieldResolver<unknown, Context> }>)) {
      const resolve = field.resolve;
      if (!resolve) continue;
      field.resolve = (root, args, context, info) => {
        beforeEvent(context, root);
        return resolve(root, args, context, info);
      };
    }
  }
  for (const [typeName, resolveReference] of Object.entries(spec.referenceResolvers ?? {})) {
    resolvers[typeName] = { ...(resolvers[typeName] as object), __resolveReference: resolveReference } as never;
  }
  const schema = buildSubgraphSchema({ typeDefs: parse(sdl), resolvers: resolvers as GraphQLResolverMap<unknown> });
  return { schema, sdl };
}
