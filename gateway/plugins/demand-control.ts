import {
  getNamedType,
  getNullableType,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isCompositeType,
  isListType,
  Kind,
  parse,
  type DirectiveNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { getArgumentValues, getDirectiveValues } from 'graphql/execution/values';
import { Counter, Histogram } from 'prom-client';
import { str, wholeNumber } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import type { GatewayMetrics } from '../metrics';
import type { GatewayOperation, GatewayPlugin, OperationResponse } from '../pipeline/operation';
import { tooComplex } from './document-limits';
import { RATE_LIMIT_FACT, type RateLimitFact } from './rate-limit';

/**
 * Demand control: a static cost for every operation, from Federation's
 * `@cost` and `@listSize` directives that the subgraphs declare and the
 * supergraph carries, following Apollo's / IBM's cost rules:
 * - a field returning an object costs 1, a leaf (scalar, enum) 0, unless
 *   `@cost(weight:)` on the field (or its type) says otherwise;
 * - a list multiplies its items' cost by its size: the value of a slicing
 *   argument (`first`, as sent or its default), else `@listSize(assumedSize:)`,
 *   else DEMAND_CONTROL_LIST_SIZE; on a connection, `sizedFields` (`nodes`,
 *   `edges`) take the slicing argument's size;
 * - every mutation root field costs 10 more (writes are dearer than reads);
 * - `@skip`/`@include` are evaluated with the request's variables.
 *
 * `enforce` refuses an operation costing more than DEMAND_CONTROL_MAX_COST
 * with QUERY_TOO_COMPLEX (400) before any subgraph is called; `measure` only
 * logs and counts; `off` computes nothing. A client that sends the header
 * `x-graphql-cost: include` gets `extensions.cost`: the requested cost, the
 * maximum, and its rate-limit budget (Shopify's Admin API is the model).
 */
export interface DemandControlConfig {
  mode: 'enforce' | 'measure' | 'off';
  maxCost: number;
  /** Size assumed for a list with neither a slicing argument nor @listSize(assumedSize:). */
  defaultListSize: number;
}

export const demandControlEnv = {
  DEMAND_CONTROL_MODE: str({ choices: ['enforce', 'measure', 'off'], default: 'enforce', desc: 'enforce, measure (log and count only) or off' }),
  DEMAND_CONTROL_MAX_COST: wholeNumber('points')({ default: 5_000, desc: 'highest static cost an operation may have' }),
  DEMAND_CONTROL_LIST_SIZE: wholeNumber('items')({ default: 10, desc: 'items assumed in a list without a slicing argument or @listSize(assumedSize:)' }),
};

export function demandControlConfig(values: { DEMAND_CONTROL_MODE: string; DEMAND_CONTROL_MAX_COST: number; DEMAND_CONTROL_LIST_SIZE: number }): DemandControlConfig {
  return { mode: values.DEMAND_CONTROL_MODE as DemandControlConfig['mode'], maxCost: values.DEMAND_CONTROL_MAX_COST, defaultListSize: values.DEMAND_CONTROL_LIST_SIZE };
}

/** The header a client sends to get `extensions.cost` back. */
export const COST_HEADER = 'x-graphql-cost';
const MUTATION_ROOT_FIELD_COST = 10;

interface ListSize {
  assumedSize?: number;
  slicingArguments?: string[];
  sizedFields?: string[];
}

/** `@cost` and `@listSize` of the supergraph, by `Type.field` (and `Type` for type-level @cost). */
export interface CostDirectives {
  weights: Map<string, number>;
  listSizes: Map<string, ListSize>;
}

function intArgument(directive: DirectiveNode, name: string): number | undefined {
  const value = directive.arguments?.find((argument) => argument.name.value === name)?.value;
  return value?.kind === Kind.INT ? Number(value.value) : undefined;
}

function stringListArgument(directive: DirectiveNode, name: string): string[] | undefined {
  const value: ValueNode | undefined = directive.arguments?.find((argument) => argument.name.value === name)?.value;
  if (value?.kind === Kind.LIST) return value.values.flatMap((item) => (item.kind === Kind.STRING ? [item.value] : []));
  if (value?.kind === Kind.STRING) return [value.value];
  return undefined;
}

/** Reads the directives from the supergraph's SDL (the API schema drops them). */
export function readCostDirectives(supergraphSdl: string): CostDirectives {
  const weights = new Map<string, number>();
  const listSizes = new Map<string, ListSize>();
  for (const definition of parse(supergraphSdl, { noLocation: true }).definitions) {
    if (!('name' in definition) || !definition.name) continue;
    const typeName = definition.name.value;
    for (const directive of ('directives' in definition ? definition.directives : undefined) ?? []) {
      const weight = directive.name.value === 'cost' ? intArgument(directive, 'weight') : undefined;
      if (weight !== undefined) weights.set(typeName, weight);
    }
    if (!('fields' in definition) || !definition.fields) continue;
    for (const field of definition.fields) {
      const key = `${typeName}.${field.name.value}`;
      for (const directive of field.directives ?? []) {
        if (directive.name.value === 'cost') {
          const weight = intArgument(directive, 'weight');
          if (weight !== undefined) weights.set(key, weight);
        } else if (directive.name.value === 'listSize') {
          listSizes.set(key, {
            assumedSize: intArgument(directive, 'assumedSize'),
            slicingArguments: stringListArgument(directive, 'slicingArguments'),
            sizedFields: stringListArgument(directive, 'sizedFields'),
          });
        }
      }
    }
  }
  return { weights, listSizes };
}

/** The static cost of the operation `operation.definition` with its coerced variables. */
export function operationCost(
  schema: GraphQLSchema,
  directives: CostDirectives,
  operation: { document: import('graphql').DocumentNode; definition: import('graphql').OperationDefinitionNode; variables: Record<string, unknown> },
  defaultListSize: number,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of operation.document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const { variables } = operation;

  const included = (node: { directives?: readonly DirectiveNode[] }): boolean => {
    if (!node.directives?.length) return true;
    if (getDirectiveValues(GraphQLSkipDirective, node as FieldNode, variables)?.if === true) return false;
    return getDirectiveValues(GraphQLIncludeDirective, node as FieldNode, variables)?.if !== false;
  };

  const sliceSize = (field: GraphQLField<unknown, unknown>, node: FieldNode, listSize: ListSize | undefined): number | undefined => {
    if (!listSize?.slicingArguments?.length) return undefined;
    const values = getArgumentValues(field, node, variables);
    const sizes = listSize.slicingArguments.map((name) => values[name]).filter((value): value is number => typeof value === 'number');
    return sizes.length > 0 ? Math.max(...sizes) : undefined;
  };

  /** `sized`: the size a parent connection gives its `sizedFields`. */
  const selectionCost = (set: SelectionSetNode, parent: GraphQLCompositeType, sized?: { fields: string[]; size: number }): number => {
    let total = 0;
    for (const selection of set.selections) {
      if (!included(selection)) continue;
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? (schema.getType(selection.typeCondition.name.value) as GraphQLCompositeType) : parent;
        total += selectionCost(selection.selectionSet, condition ?? parent, sized);
      } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (fragment) total += selectionCost(fragment.selectionSet, (schema.getType(fragment.typeCondition.name.value) as GraphQLCompositeType) ?? parent, sized);
      } else {
        total += fieldCost(selection, parent, sized);
      }
    }
    return total;
  };

  const fieldCost = (node: FieldNode, parent: GraphQLCompositeType, sized?: { fields: string[]; size: number }): number => {
    if (node.name.value.startsWith('__') || !('getFields' in parent)) return 0;
    const field = parent.getFields()[node.name.value];
    if (!field) return 0;
    const key = `${parent.name}.${field.name}`;
    const named = getNamedType(field.type);
    const weight = directives.weights.get(key) ?? directives.weights.get(named.name) ?? (isCompositeType(named) ? 1 : 0);
    const listSize = directives.listSizes.get(key);
    const slice = sliceSize(field, node, listSize);
    const childSized = listSize?.sizedFields?.length ? { fields: listSize.sizedFields, size: slice ?? listSize.assumedSize ?? defaultListSize } : undefined;
    const children = node.selectionSet && isCompositeType(named) ? selectionCost(node.selectionSet, named, childSized) : 0;
    const own = weight + children;
    if (!isListType(getNullableType(field.type))) return own;
    const size = sized?.fields.includes(field.name) ? sized.size : listSize?.sizedFields?.length ? (listSize.assumedSize ?? defaultListSize) : (slice ?? listSize?.assumedSize ?? defaultListSize);
    return size * own;
  };

  const root = schema.getRootType(operation.definition.operation);
  if (!root) return 0;
  let cost = selectionCost(operation.definition.selectionSet, root);
  if (operation.definition.operation === 'mutation') {
    cost += operation.definition.selectionSet.selections.filter((selection) => selection.kind === Kind.FIELD && included(selection)).length * MUTATION_ROOT_FIELD_COST;
  }
  return cost;
}

export interface CostExtension {
  requestedQueryCost: number;
  maximumCost: number;
  throttleStatus?: { maximumAvailable: number; currentlyAvailable: number; windowSeconds: number; resetSeconds: number };
}

export function useDemandControl(options: { config: DemandControlConfig; supergraphSdl: string; apiSchema: GraphQLSchema; metrics: GatewayMetrics; logger: Logger }): GatewayPlugin {
  const { config, logger } = options;
  const directives = readCostDirectives(options.supergraphSdl);
  const costs = new Histogram({
    name: 'graphql_operation_cost',
    help: 'Static cost of admitted and refused operations (demand control)',
    labelNames: ['operation_type'] as const,
    buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 10_000, 100_000],
    registers: [options.metrics.registry],
  });
  const overBudget = new Counter({
    name: 'graphql_cost_limit_exceeded_total',
    help: 'Operations costing more than DEMAND_CONTROL_MAX_COST; enforced="false" were served (measure mode)',
    labelNames: ['enforced'] as const,
    registers: [options.metrics.registry],
  });

  return {
    name: 'demand-control',
    onRequest(operation: GatewayOperation) {
      if (config.mode === 'off' || !operation.document || !operation.definition) return;
      const cost = operationCost(options.apiSchema, directives, { document: operation.document, definition: operation.definition, variables: operation.variables }, config.defaultListSize);
      operation.cost = cost;
      costs.observe({ operation_type: operation.definition.operation }, cost);
      if (cost <= config.maxCost) return;
      if (config.mode === 'measure') {
        overBudget.inc({ enforced: 'false' });
        logger.warn({ cost, maximum: config.maxCost, client: operation.client?.name, operationName: operation.operationName }, 'operation over the cost limit served (DEMAND_CONTROL_MODE=measure)');
        return;
      }
      overBudget.inc({ enforced: 'true' });
      throw tooComplex('cost', cost, config.maxCost, `The operation's estimated cost is ${cost}; the limit is ${config.maxCost}. Ask for fewer items (first:) or fewer nested lists.`);
    },
    onResponse(operation: GatewayOperation, response: OperationResponse) {
      if (operation.cost === undefined || operation.request.header(COST_HEADER) !== 'include') return;
      const budget = operation.facts.get(RATE_LIMIT_FACT) as RateLimitFact | undefined;
      const cost: CostExtension = {
        requestedQueryCost: operation.cost,
        maximumCost: config.maxCost,
        throttleStatus: budget && {
          maximumAvailable: budget.points,
          currentlyAvailable: budget.remaining,
          windowSeconds: budget.windowSeconds,
          resetSeconds: budget.resetSeconds,
        },
      };
      response.result.extensions = { ...response.result.extensions, cost };
    },
  };
}
