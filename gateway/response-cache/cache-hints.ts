import {
  getArgumentValues,
  getNamedType,
  getNullableType,
  isAbstractType,
  isCompositeType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  parse,
  print,
  visit,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type SelectionNode,
} from 'graphql';
import type { AnalyzedSelection, OperationAnalysis } from '../pipeline/operation-analysis';
import { changeSelections, CHANGED_PREFIX } from './mutation-changes';

/**
 * Cache hints are declared where the data is owned: each subgraph puts
 * `@cacheControl` on its types and fields (lib/federation-schema.ts defines
 * it; composition carries it into the supergraph), and the gateway reads them
 * here, once per document, so a request pays nothing for them. The rules are
 * Apollo Server's:
 * - a field's maxAge is its own hint, else its return type's hint;
 * - a root field, or a field returning an object, without either is not
 *   cacheable (maxAge 0), unless `inheritMaxAge` (on the field or the type)
 *   lets it take its parent's;
 * - a scalar or enum field takes its parent's;
 * - the response's maxAge is the lowest of its fields', its scope PRIVATE if
 *   any of them is.
 * `onlyWithInvalidation` marks data that changes often (stock): it may only
 * be cached while the cache receives the owner's change events.
 */
export interface CacheHint {
  maxAge?: number;
  scope?: 'PUBLIC' | 'PRIVATE';
  inheritMaxAge?: boolean;
  onlyWithInvalidation?: boolean;
}

export interface CacheHints {
  /** By type name. */
  types: Map<string, CacheHint>;
  /** By `Type.field`. */
  fields: Map<string, CacheHint>;
  /** Entity types keyed by `id` (`@join__type(key: "id")`): what responses are tagged by. */
  entities: Set<string>;
}

const DIRECTIVE = 'cacheControl';

function hintOf(directive: DirectiveNode): CacheHint {
  const hint: CacheHint = {};
  for (const argument of directive.arguments ?? []) {
    const { value } = argument;
    const name = argument.name.value;
    if (name === 'maxAge' && value.kind === Kind.INT) hint.maxAge = Number(value.value);
    else if (name === 'scope' && value.kind === Kind.ENUM) hint.scope = value.value === 'PRIVATE' ? 'PRIVATE' : 'PUBLIC';
    else if (name === 'inheritMaxAge' && value.kind === Kind.BOOLEAN) hint.inheritMaxAge = value.value;
    else if (name === 'onlyWithInvalidation' && value.kind === Kind.BOOLEAN) hint.onlyWithInvalidation = value.value;
  }
  return hint;
}

function isIdKey(directive: DirectiveNode): boolean {
  if (directive.name.value !== 'join__type') return false;
  const key = directive.arguments?.find((argument) => argument.name.value === 'key')?.value;
  return key?.kind === Kind.STRING && key.value.trim() === 'id';
}

/** Reads the hints and the entity types from the supergraph's SDL (the API schema drops the directives). */
export function readCacheHints(supergraphSdl: string): CacheHints {
  const hints: CacheHints = { types: new Map(), fields: new Map(), entities: new Set() };
  for (const definition of parse(supergraphSdl, { noLocation: true }).definitions) {
    if (!('name' in definition) || !definition.name) continue;
    const typeName = definition.name.value;
    for (const directive of ('directives' in definition ? definition.directives : undefined) ?? []) {
      if (directive.name.value === DIRECTIVE) hints.types.set(typeName, hintOf(directive));
      if (isIdKey(directive)) hints.entities.add(typeName);
    }
    if (!('fields' in definition) || !definition.fields) continue;
    for (const field of definition.fields) {
      const directive = field.directives?.find((candidate) => candidate.name.value === DIRECTIVE);
      if (directive) hints.fields.set(`${typeName}.${field.name.value}`, hintOf(directive));
    }
  }
  return hints;
}

/**
 * Where the entities of a response are, so that a stored response can be
 * tagged `Type:id` for each: per response key, the entity type of an object
 * there (its id comes back under ENTITY_ID), whether a null there could be
 * an entity (a lookup that found nothing: tagged by the type, so creating one
 * drops it), and what is below.
 */
export interface ResponseShape {
  /** Set when objects here are of this entity type. */
  entity?: string;
  /** Objects here are of an abstract type: their type comes back under ENTITY_TYPE. */
  abstract?: boolean;
  /** A null here may be a missing entity of this type. */
  nullableEntity?: string;
  children?: Map<string, ResponseShape>;
}

/** Aliases the cache adds to read each entity's id and type; removed from the response before anyone sees it. */
export const ENTITY_ID = '_cacheEntityId';
export const ENTITY_TYPE = '_cacheEntityType';

/**
 * The tag of responses that depend on which products are in stock, beyond
 * the products they hold: a list filtered by availability (a product back in
 * stock joins it, though no tag of it was there) and facets (the
 * availability counts, and under an availability filter every count). The
 * stock event drops it when a product goes from in stock to sold out or back,
 * not on every change of a quantity.
 */
export const AVAILABILITY_TAG = 'Product.available';
/** An argument of this input type filters by availability when its AVAILABILITY_FILTER_FIELD is set. */
const AVAILABILITY_FILTER_INPUT = 'ProductFilter';
const AVAILABILITY_FILTER_FIELD = 'available';
/** Fields that count products by availability whatever their arguments (`Type.field`). */
const AVAILABILITY_COUNTING_FIELDS = new Set(['ProductConnection.facets']);

/** Where an operation may depend on availability: known for the document, or only once its variables are. */
export interface AvailabilityDependence {
  /** It selects a field that counts by availability. */
  always: boolean;
  /** Fields taking an availability filter: whether it is set depends on the request's variables. */
  filteredFields: { definition: GraphQLField<unknown, unknown>; node: FieldNode }[];
}

/** What the cache knows of one operation, worked out once per document. */
export interface CachePlan {
  /** Seconds a response may be kept; 0: never stored. */
  maxAge: number;
  scope: 'PUBLIC' | 'PRIVATE';
  /** Some field may only be cached with event invalidation. */
  onlyWithInvalidation: boolean;
  /** Why it is not cacheable (logs, tests). */
  reason?: string;
  /**
   * Type tags every stored response of this operation carries: it holds a
   * list of that type, which any new or changed entity of the type may join,
   * leave or reorder.
   */
  typeTags: string[];
  shape: ResponseShape;
  /** Whether its responses depend on availability (see AVAILABILITY_TAG and availabilityTags). */
  availability: AvailabilityDependence;
  /**
   * The document with the entity-id aliases added (and, for a mutation, the
   * selections that say what it changed, see mutation-changes.ts): what is
   * executed when the response may be stored or the mutation's changes dropped.
   */
  executedQuery: string;
}

const notCacheable = (reason: string): CachePlan => ({
  maxAge: 0,
  scope: 'PUBLIC',
  onlyWithInvalidation: false,
  reason,
  typeTags: [],
  shape: {},
  availability: { always: false, filteredFields: [] },
  executedQuery: '',
});

/**
 * The cache plan of an analysed operation (fragments merged, `@skip`/`@include`
 * resolved: a plan belongs to one analysis). `document` is the analysis's
 * document, which the plan's executed text is made from.
 */
export function planCaching(hints: CacheHints, analysis: OperationAnalysis, document: DocumentNode, schema: GraphQLSchema): CachePlan {
  if (analysis.operationType === 'subscription') return notCacheable('a subscription is never cached');

  let maxAge = Number.POSITIVE_INFINITY;
  let scope = 'PUBLIC' as CachePlan['scope'];
  let onlyWithInvalidation = false;
  let reason: string | undefined;
  const typeTags = new Set<string>();
  const availability: AvailabilityDependence = { always: false, filteredFields: [] };
  // The analysis is a DAG: each merged selection is planned once per parent bound and its shape shared.
  const shapes = new Map<AnalyzedSelection, Map<number, ResponseShape>>();

  const walk = (selection: AnalyzedSelection, parentMaxAge: number, isRoot: boolean): ResponseShape => {
    const known = shapes.get(selection)?.get(parentMaxAge);
    if (known) return known;
    const shape: ResponseShape = { children: new Map() };
    if (!shapes.has(selection)) shapes.set(selection, new Map());
    shapes.get(selection)!.set(parentMaxAge, shape);
    for (const field of selection.fields) {
      const { name, responseKey, definition, parentType } = field;
      if (responseKey === ENTITY_ID || responseKey === ENTITY_TYPE || responseKey.startsWith(CHANGED_PREFIX)) {
        reason = `the operation uses the response key ${responseKey}, which the cache needs for itself`;
        continue;
      }
      if (name === '__typename') continue;
      if (name.startsWith('__')) {
        reason = 'introspection is not cached';
        continue;
      }
      if (!definition || !parentType) continue;
      const returned = getNamedType(definition.type);
      const policy = fieldCachePolicy(hints, parentType.name, definition, parentMaxAge, isRoot);
      if (policy.scope === 'PRIVATE') scope = 'PRIVATE';
      if (policy.onlyWithInvalidation) onlyWithInvalidation = true;
      maxAge = Math.min(maxAge, policy.maxAge);

      if (AVAILABILITY_COUNTING_FIELDS.has(field.coordinate)) availability.always = true;
      if (definition.args.some((argument) => getNamedType(argument.type).name === AVAILABILITY_FILTER_INPUT)) {
        // Validation makes the arguments of merged nodes equal: the first one says it.
        availability.filteredFields.push({ definition, node: field.nodes[0] });
      }

      const listed = listedEntity(definition, hints);
      if (listed) typeTags.add(listed);
      if (!isCompositeType(returned) || !field.selection) continue;
      const below = walk(field.selection, policy.maxAge, false);
      // Fields of one response key on several types (fragments on a union's members) share one child
      // holding what is below either: an entity under any of them must tag the response.
      const known = shape.children!.get(responseKey);
      const child = known ? mergeShapes(known, below) : { ...below };
      if (hints.entities.has(returned.name)) {
        child.entity = returned.name;
        if (!isNonNullType(definition.type)) child.nullableEntity = returned.name;
      } else if (isAbstractType(returned)) {
        child.abstract = true;
      }
      shape.children!.set(responseKey, child);
    }
    return shape;
  };

  // Root fields have no parent: without a hint of their own or their type they are not cacheable, and `inheritMaxAge` adds no bound.
  const shape = walk(analysis.selection, Number.POSITIVE_INFINITY, true);
  if (reason) return notCacheable(reason);
  if (analysis.operationType === 'mutation') {
    // Never kept; its answer's entities are dropped on this replica at once (see useResponseCache).
    return { maxAge: 0, scope, onlyWithInvalidation, reason: 'a mutation is never cached', typeTags: [], shape, availability, executedQuery: print(withEntityIds(schema, hints, document)) };
  }
  if (!Number.isFinite(maxAge)) maxAge = 0;
  const plan: CachePlan = { maxAge, scope, onlyWithInvalidation, typeTags: [...typeTags].sort(), shape, availability, executedQuery: '' };
  if (maxAge > 0 && scope === 'PUBLIC') plan.executedQuery = print(withEntityIds(schema, hints, document));
  else plan.reason = scope === 'PRIVATE' ? 'it holds data about the viewer (PRIVATE)' : 'a field in it has no cache hint (maxAge 0)';
  return plan;
}

/**
 * `[AVAILABILITY_TAG]` when a response of the plan, with these (coerced)
 * variables, depends on which products are in stock; else none. A filter
 * that cannot be read is taken to depend on it (a needless drop costs a miss,
 * a missing one a stale list).
 */
export function availabilityTags(plan: CachePlan, variables: Record<string, unknown> | undefined): string[] {
  const { always, filteredFields } = plan.availability;
  if (always) return [AVAILABILITY_TAG];
  for (const { definition, node } of filteredFields) {
    let values: Record<string, unknown>;
    try {
      values = getArgumentValues(definition, node, variables);
    } catch {
      return [AVAILABILITY_TAG];
    }
    for (const argument of definition.args) {
      if (getNamedType(argument.type).name !== AVAILABILITY_FILTER_INPUT) continue;
      const filter = values[argument.name] as Record<string, unknown> | null | undefined;
      if (filter?.[AVAILABILITY_FILTER_FIELD] != null) return [AVAILABILITY_TAG];
    }
  }
  return [];
}

/** One shape for two fields of the same response key: the union of what is below them. */
function mergeShapes(a: ResponseShape, b: ResponseShape): ResponseShape {
  if (a === b) return { ...a };
  const children = new Map(a.children);
  for (const [key, shape] of b.children ?? []) {
    const known = children.get(key);
    children.set(key, known ? mergeShapes(known, shape) : shape);
  }
  return {
    entity: a.entity ?? b.entity,
    abstract: a.abstract || b.abstract || undefined,
    nullableEntity: a.nullableEntity ?? b.nullableEntity,
    children,
  };
}

/** What one field contributes to a response's policy. */
export interface FieldCachePolicy {
  /** Seconds, the parent's bound included; Infinity: no bound of its own (inherits from a root). */
  maxAge: number;
  scope: 'PUBLIC' | 'PRIVATE';
  onlyWithInvalidation: boolean;
}

/**
 * Apollo Server's rules for one field of `parentTypeName` under a parent
 * whose maxAge is `parentMaxAge` (Infinity above a root field): its own hint,
 * else its return type's; else the parent's for a scalar or enum below the
 * root, or where `inheritMaxAge` says so; else 0. The only place the rules are
 * written (the gateway's plans and the tests of the declared hints use it).
 */
export function fieldCachePolicy(hints: CacheHints, parentTypeName: string, field: GraphQLField<unknown, unknown>, parentMaxAge: number, isRoot: boolean): FieldCachePolicy {
  const returned = getNamedType(field.type);
  const fieldHint = hints.fields.get(`${parentTypeName}.${field.name}`);
  const typeHint = isCompositeType(returned) ? hints.types.get(returned.name) : undefined;
  let maxAge: number;
  if (fieldHint?.maxAge !== undefined) maxAge = fieldHint.maxAge;
  else if (typeHint?.maxAge !== undefined) maxAge = typeHint.maxAge;
  else if (fieldHint?.inheritMaxAge || typeHint?.inheritMaxAge || (!isCompositeType(returned) && !isRoot)) maxAge = parentMaxAge;
  else maxAge = 0;
  return {
    maxAge: Math.min(maxAge, parentMaxAge),
    scope: fieldHint?.scope === 'PRIVATE' || typeHint?.scope === 'PRIVATE' ? 'PRIVATE' : 'PUBLIC',
    onlyWithInvalidation: Boolean(fieldHint?.onlyWithInvalidation || typeHint?.onlyWithInvalidation),
  };
}

/** The entity type a field lists: `[Product!]!`, or a connection whose `nodes` are a list of one. */
function listedEntity(field: GraphQLField<unknown, unknown>, hints: CacheHints): string | undefined {
  const type = getNullableType(field.type);
  const named = getNamedType(type);
  if (isListType(type)) return hints.entities.has(named.name) ? named.name : undefined;
  if (!isObjectType(named)) return undefined;
  const nodes = named.getFields().nodes;
  if (!nodes || !isListType(getNullableType(nodes.type))) return undefined;
  const listed = getNamedType(nodes.type);
  return hints.entities.has(listed.name) ? listed.name : undefined;
}

/**
 * The document with `_cacheEntityId: id` added to every selection of an
 * entity type (and `_cacheEntityType: __typename` plus the id per entity type
 * on abstract ones), so a response says which entities it holds; and each
 * mutation field with the selections that say what it changed
 * (mutation-changes.ts).
 */
function withEntityIds(schema: GraphQLSchema, hints: CacheHints, document: DocumentNode): DocumentNode {
  const alias = (aliasName: string, fieldName: string): FieldNode => ({
    kind: Kind.FIELD,
    alias: { kind: Kind.NAME, value: aliasName },
    name: { kind: Kind.NAME, value: fieldName },
  });
  const typeStack: (GraphQLCompositeType | undefined)[] = [];
  const mutationType = schema.getMutationType() ?? undefined;
  const fragmentType = (name: string) => {
    const type = schema.getType(name);
    return isCompositeType(type) ? type : undefined;
  };
  // A field's selection set belongs to its return type, a fragment's to its condition: track them to know where to add.
  return visit(document, {
    OperationDefinition: {
      enter: (node) => {
        const root = node.operation === 'query' ? schema.getQueryType() : node.operation === 'mutation' ? schema.getMutationType() : undefined;
        typeStack.push(root ?? undefined);
      },
      leave: () => {
        typeStack.pop();
      },
    },
    FragmentDefinition: {
      enter: (node) => {
        typeStack.push(fragmentType(node.typeCondition.name.value));
      },
      leave: () => {
        typeStack.pop();
      },
    },
    InlineFragment: {
      enter: (node) => {
        typeStack.push(node.typeCondition ? fragmentType(node.typeCondition.name.value) : typeStack.at(-1));
      },
      leave: () => {
        typeStack.pop();
      },
    },
    Field: {
      enter: (node) => {
        const parent = typeStack.at(-1);
        const definition = parent && 'getFields' in parent ? parent.getFields()[node.name.value] : undefined;
        const returned = definition ? getNamedType(definition.type) : undefined;
        typeStack.push(isCompositeType(returned) ? returned : undefined);
      },
      leave: (node) => {
        const type = typeStack.pop();
        if (!node.selectionSet || !type) return undefined;
        const added: SelectionNode[] = [];
        // A mutation field also asks for what says which cached data it changed.
        if (mutationType && typeStack.at(-1) === mutationType) added.push(...changeSelections(node.name.value));
        if (isObjectType(type) && hints.entities.has(type.name)) added.push(alias(ENTITY_ID, 'id'));
        else if (isAbstractType(type)) {
          added.push(alias(ENTITY_TYPE, '__typename'));
          for (const possible of schema.getPossibleTypes(type)) {
            if (!hints.entities.has(possible.name)) continue;
            added.push({
              kind: Kind.INLINE_FRAGMENT,
              typeCondition: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: possible.name } },
              selectionSet: { kind: Kind.SELECTION_SET, selections: [alias(ENTITY_ID, 'id')] },
            });
          }
        }
        if (added.length === 0) return undefined;
        return { ...node, selectionSet: { ...node.selectionSet, selections: [...node.selectionSet.selections, ...added] } };
      },
    },
  });
}

/**
 * Removes the cache's aliases from a response (in place) and returns the tags
 * of what it holds: `Type:id` per entity, the type of a lookup that found
 * nothing, and the plan's list tags.
 */
export function takeEntityTags(data: unknown, plan: CachePlan): string[] {
  const tags = new Set<string>(plan.typeTags);
  const collect = (value: unknown, shape: ResponseShape) => {
    if (value === null || value === undefined) {
      if (shape.nullableEntity) tags.add(shape.nullableEntity);
      return;
    }
    if (Array.isArray(value)) {
      for (const item of value) collect(item, shape);
      return;
    }
    if (typeof value !== 'object') return;
    const object = value as Record<string, unknown>;
    const type = shape.abstract ? object[ENTITY_TYPE] : shape.entity;
    if (shape.abstract) delete object[ENTITY_TYPE];
    if (ENTITY_ID in object) {
      if (typeof type === 'string') tags.add(`${type}:${String(object[ENTITY_ID])}`);
      delete object[ENTITY_ID];
    }
    if (!shape.children) return;
    for (const [key, child] of shape.children) if (key in object) collect(object[key], child);
  };
  collect(data, plan.shape);
  return [...tags];
}
