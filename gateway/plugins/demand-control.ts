import { getNamedType, getNullableType, isCompositeType, isListType, Kind, parse, type DirectiveNode, type ValueNode } from 'graphql';
import { getArgumentValues } from 'graphql/execution/values';
import { Counter, Histogram } from 'prom-client';
import { str, wholeNumber } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import type { GatewayMetrics } from '../metrics';
import type { GatewayOperation, GatewayPlugin, OperationResponse } from '../pipeline/operation';
import type { AnalyzedField, AnalyzedSelection, OperationAnalysis } from '../pipeline/operation-analysis';
import { figure, tooComplex } from '../pipeline/refusals';

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
 * - every executed mutation root field costs 10 more (writes are dearer than
 *   reads), at any fragment depth;
 * - it is computed over the operation's analysis (fragments merged as they
 *   execute, `@skip`/`@include` resolved with the request's variables), never
 *   by expanding the document.
 *
 * `enforce` refuses an operation costing more than DEMAND_CONTROL_MAX_COST
 * with QUERY_TOO_COMPLEX (400) before any subgraph is called; `measure` only
 * logs and counts; `off` computes nothing. A client that sends the header
 * `x-graphql-cost: include` gets `extensions.cost`: the requested (static)
 * cost, the actual cost of what came back, the maximum, and its rate-limit
 * budget (Shopify's Admin API is the model; Apollo Router's measure mode
 * reports estimated and actual the same way).
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

/** What the cost of a field is computed from: the supergraph's directives and the default list size. */
export interface CostRules {
  directives: CostDirectives;
  /** Size assumed for a list with neither a slicing argument nor @listSize(assumedSize:). */
  defaultListSize: number;
}

/** The size a connection gives its `sizedFields` (`nodes`, `edges`). */
interface Sized {
  fields: string[];
  size: number;
}

interface FieldRule {
  /** The field's own weight (@cost on it or its type, else 1 for an object and 0 for a leaf). */
  weight: number;
  isList: boolean;
  /** The slicing argument's value, where the field has one and it was sent or defaulted. */
  slice?: number;
  listSize?: ListSize;
}

function fieldRule(field: AnalyzedField, rules: CostRules, variables: Record<string, unknown>): FieldRule | undefined {
  const definition = field.definition;
  if (!definition || field.name.startsWith('__') || !field.parentType) return undefined;
  const key = `${field.parentType.name}.${definition.name}`;
  const named = getNamedType(definition.type);
  const weight = rules.directives.weights.get(key) ?? rules.directives.weights.get(named.name) ?? (isCompositeType(named) ? 1 : 0);
  const listSize = rules.directives.listSizes.get(key);
  let slice: number | undefined;
  if (listSize?.slicingArguments?.length) {
    const values = getArgumentValues(definition, field.nodes[0], variables);
    const sizes = listSize.slicingArguments.map((name) => values[name]).filter((value): value is number => typeof value === 'number');
    if (sizes.length > 0) slice = Math.max(...sizes);
  }
  return { weight, isList: isListType(getNullableType(definition.type)), slice, listSize };
}

/** What a connection field gives the lists below it. */
function sizedBy(rule: FieldRule, rules: CostRules): Sized | undefined {
  const { listSize } = rule;
  return listSize?.sizedFields?.length ? { fields: listSize.sizedFields, size: rule.slice ?? listSize.assumedSize ?? rules.defaultListSize } : undefined;
}

/** The size assumed for a list field: its parent connection's, its slicing argument's, its @listSize, or the default. */
function assumedSize(field: AnalyzedField, rule: FieldRule, rules: CostRules, sized: Sized | undefined): number {
  if (sized?.fields.includes(field.name)) return sized.size;
  const { listSize } = rule;
  if (listSize?.sizedFields?.length) return listSize.assumedSize ?? rules.defaultListSize;
  return rule.slice ?? listSize?.assumedSize ?? rules.defaultListSize;
}

/** Every executed root field of a mutation weighs MUTATION_ROOT_FIELD_COST more, at any fragment depth. */
function mutationWeight(analysis: OperationAnalysis): number {
  if (analysis.operationType !== 'mutation') return 0;
  return analysis.rootFields.filter((field) => field.definition && !field.name.startsWith('__')).length * MUTATION_ROOT_FIELD_COST;
}

/**
 * The static cost of an analysed operation with its coerced variables. Each
 * merged selection is costed once per size its parent gives it and reused
 * (the analysis is a DAG), so this is linear in the document too.
 */
export function estimatedCost(analysis: OperationAnalysis, rules: CostRules, variables: Record<string, unknown>): number {
  const costs = new Map<AnalyzedSelection, Map<string, number>>();

  const selectionCost = (selection: AnalyzedSelection, sized: Sized | undefined): number => {
    const sizeKey = sized ? `${sized.fields.join(',')}:${sized.size}` : '';
    let bySize = costs.get(selection);
    const known = bySize?.get(sizeKey);
    if (known !== undefined) return known;
    let total = 0;
    for (const field of selection.fields) total += fieldCost(field, sized);
    if (!bySize) costs.set(selection, (bySize = new Map()));
    bySize.set(sizeKey, total);
    return total;
  };

  const fieldCost = (field: AnalyzedField, sized: Sized | undefined): number => {
    const rule = fieldRule(field, rules, variables);
    if (!rule) return 0;
    const children = field.selection ? selectionCost(field.selection, sizedBy(rule, rules)) : 0;
    const own = rule.weight + children;
    return rule.isList ? assumedSize(field, rule, rules, sized) * own : own;
  };

  return selectionCost(analysis.selection, undefined) + mutationWeight(analysis);
}

/**
 * The cost of what an operation returned, by the same rules with the real
 * sizes: a list costs what its items cost, an object its weight and what is
 * below it, a null object its weight (it was asked for). What the static
 * estimate is held against (`extensions.cost.actualQueryCost`,
 * schema/operations' storefront suite).
 */
export function actualCost(analysis: OperationAnalysis, rules: CostRules, variables: Record<string, unknown>, data: unknown): number {
  const rulesOf = new Map<AnalyzedField, FieldRule | undefined>();
  const ruleOf = (field: AnalyzedField) => {
    if (!rulesOf.has(field)) rulesOf.set(field, fieldRule(field, rules, variables));
    return rulesOf.get(field);
  };

  const objectCost = (selection: AnalyzedSelection, value: unknown): number => {
    if (typeof value !== 'object' || value === null) return 0;
    const object = value as Record<string, unknown>;
    let total = 0;
    for (const field of selection.fields) {
      // A field of another type condition (or skipped) is not in this object.
      if (!(field.responseKey in object)) continue;
      const rule = ruleOf(field);
      if (!rule) continue;
      const fieldValue = object[field.responseKey];
      const item = (itemValue: unknown) => rule.weight + (field.selection ? objectCost(field.selection, itemValue) : 0);
      if (rule.isList) {
        if (Array.isArray(fieldValue)) for (const element of fieldValue) total += element === null ? 0 : item(element);
      } else {
        total += item(fieldValue);
      }
    }
    return total;
  };

  return data === null || data === undefined ? 0 : objectCost(analysis.selection, data) + mutationWeight(analysis);
}

export interface CostExtension {
  /** The static estimate, what admission and the rate limit charge. */
  requestedQueryCost: number;
  /** The same rules over what was returned (list sizes as they came). */
  actualQueryCost?: number;
  maximumCost: number;
  throttleStatus?: { maximumAvailable: number; currentlyAvailable: number; windowSeconds: number; resetSeconds: number };
}

export function useDemandControl(options: { config: DemandControlConfig; supergraphSdl: string; metrics: GatewayMetrics; logger: Logger }): GatewayPlugin {
  const { config, logger } = options;
  const rules: CostRules = { directives: readCostDirectives(options.supergraphSdl), defaultListSize: config.defaultListSize };
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
      if (config.mode === 'off') return;
      const analysis = operation.analysis();
      if (!analysis) return;
      const cost = estimatedCost(analysis, rules, operation.variables);
      operation.cost = cost;
      costs.observe({ operation_type: analysis.operationType }, cost);
      if (cost <= config.maxCost) return;
      if (config.mode === 'measure') {
        overBudget.inc({ enforced: 'false' });
        logger.warn({ cost, maximum: config.maxCost, client: operation.client?.name, operationName: operation.operationName }, 'operation over the cost limit served (DEMAND_CONTROL_MODE=measure)');
        return;
      }
      overBudget.inc({ enforced: 'true' });
      throw tooComplex('cost', cost, config.maxCost, `The operation's estimated cost is ${figure(cost)}; the limit is ${config.maxCost}. Ask for fewer items (first:) or fewer nested lists.`);
    },
    onResponse(operation: GatewayOperation, response: OperationResponse) {
      if (operation.cost === undefined || operation.request.header(COST_HEADER) !== 'include') return;
      const { budget } = operation;
      const analysis = operation.analyzed;
      const cost: CostExtension = {
        requestedQueryCost: operation.cost,
        actualQueryCost: analysis && !response.refused ? actualCost(analysis, rules, operation.variables, response.result.data) : undefined,
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
