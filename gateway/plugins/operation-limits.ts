import { str, wholeNumber } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import type { OperationAnalysis } from '../pipeline/operation-analysis';
import type { GatewayOperation, GatewayPlugin } from '../pipeline/operation';
import { figure, tooComplex } from '../pipeline/refusals';

/**
 * Structural limits on what an operation executes, checked before schema
 * validation (whose overlapping-fields rule compares every pair of fields
 * merged into one), before the query planner (whose work grows with the
 * selections it cannot merge) and before any subgraph is called: depth,
 * aliases, root fields, directives on one node, field nodes merged into one
 * field, and selections to plan.
 *
 * Every figure is read from the operation's analysis
 * (gateway/pipeline/operation-analysis.ts): the executed shape, fragments
 * merged as graphql-js merges them, `@skip`/`@include` resolved. A document
 * that spreads one fragment twice at each of 64 levels but executes two root
 * fields has two root fields here; one whose executed shape really doubles
 * at each level has that many aliases and that depth, counted without
 * expanding it.
 *
 * Written here rather than taken from @escape.tech/graphql-armor: armor's
 * rules report a message without the measured value, walk fragments once per
 * spread (exponential on nested spreads) and have no root-field limit.
 */
export interface OperationLimitsConfig {
  /** `enforce` refuses; `measure` serves, logs and counts what would be refused. */
  mode: 'enforce' | 'measure' | 'off';
  maxDepth: number;
  maxAliases: number;
  maxRootFields: number;
  maxDirectivesPerField: number;
  maxMergedFields: number;
  maxPlannedSelections: number;
}

export const operationLimitsEnv = {
  OPERATION_LIMITS_MODE: str({ choices: ['enforce', 'measure', 'off'], default: 'enforce', desc: 'enforce, measure (log only) or off' }),
  LIMIT_DEPTH: wholeNumber('levels')({ default: 10, desc: 'deepest field nesting an operation may execute' }),
  LIMIT_ALIASES: wholeNumber('aliases')({ default: 30, desc: 'most aliased fields an operation may execute (a fragment counted per place it executes)' }),
  LIMIT_ROOT_FIELDS: wholeNumber('fields')({ default: 20, desc: 'most top-level fields an operation may execute' }),
  LIMIT_DIRECTIVES_PER_FIELD: wholeNumber('directives')({ default: 4, desc: 'most directives on one field or fragment' }),
  LIMIT_MERGED_FIELDS: wholeNumber('fields')({ default: 50, desc: 'most field nodes one executed field may merge (the same response key selected again and again)' }),
  LIMIT_PLANNED_SELECTIONS: wholeNumber('selections')({ default: 1_000, desc: 'most selections the query planner may expand an operation into (fragments it cannot merge counted per place)' }),
};

export function operationLimitsConfig(values: {
  OPERATION_LIMITS_MODE: string;
  LIMIT_DEPTH: number;
  LIMIT_ALIASES: number;
  LIMIT_ROOT_FIELDS: number;
  LIMIT_DIRECTIVES_PER_FIELD: number;
  LIMIT_MERGED_FIELDS: number;
  LIMIT_PLANNED_SELECTIONS: number;
}): OperationLimitsConfig {
  return {
    mode: values.OPERATION_LIMITS_MODE as OperationLimitsConfig['mode'],
    maxDepth: values.LIMIT_DEPTH,
    maxAliases: values.LIMIT_ALIASES,
    maxRootFields: values.LIMIT_ROOT_FIELDS,
    maxDirectivesPerField: values.LIMIT_DIRECTIVES_PER_FIELD,
    maxMergedFields: values.LIMIT_MERGED_FIELDS,
    maxPlannedSelections: values.LIMIT_PLANNED_SELECTIONS,
  };
}

/** The figures the limits read, from one analysis. */
export interface OperationMeasurements {
  depth: number;
  aliases: number;
  rootFields: number;
  directivesPerField: number;
  mergedFields: number;
  plannedSelections: number;
}

/**
 * An analysis's figures. Introspection (`__schema`, `__type`) does not count
 * towards depth when `ignoreIntrospection` is set: development tools send
 * deep introspection queries, and production turns introspection off anyway.
 */
export function measurementsOf(analysis: OperationAnalysis, options: { ignoreIntrospection: boolean }): OperationMeasurements {
  return {
    depth: options.ignoreIntrospection ? analysis.depthOutsideIntrospection : analysis.depth,
    aliases: analysis.aliasCount,
    rootFields: analysis.rootFields.length,
    directivesPerField: analysis.mostDirectivesOnOneNode,
    mergedFields: analysis.mostMergedNodes,
    plannedSelections: analysis.plannedSelections,
  };
}

const LIMITS = [
  { key: 'depth', max: 'maxDepth', what: 'depth' },
  { key: 'aliases', max: 'maxAliases', what: 'aliases' },
  { key: 'rootFields', max: 'maxRootFields', what: 'root fields' },
  { key: 'directivesPerField', max: 'maxDirectivesPerField', what: 'directives on one field' },
  { key: 'mergedFields', max: 'maxMergedFields', what: 'selections merged into one field' },
  { key: 'plannedSelections', max: 'maxPlannedSelections', what: 'selections to plan' },
] as const;

/** The first limit a measurement exceeds, if any. */
export function exceededLimit(measured: OperationMeasurements, config: OperationLimitsConfig) {
  for (const limit of LIMITS) {
    if (measured[limit.key] > config[limit.max]) return { limit: limit.key, what: limit.what, measured: measured[limit.key], maximum: config[limit.max] };
  }
  return undefined;
}

export function useOperationLimits(config: OperationLimitsConfig, options: { introspection: boolean; logger: Logger }): GatewayPlugin {
  return {
    name: 'operation-limits',
    onRequest(operation: GatewayOperation) {
      if (config.mode === 'off') return;
      for (const analysis of operation.analysesToLimit()) {
        const exceeded = exceededLimit(measurementsOf(analysis, { ignoreIntrospection: options.introspection }), config);
        if (!exceeded) continue;
        const measured = figure(exceeded.measured);
        const message = `The operation's ${exceeded.what} is ${typeof measured === 'number' ? measured.toLocaleString('en-US') : measured}; the limit is ${exceeded.maximum}`;
        if (config.mode === 'measure') {
          options.logger.warn({ limit: exceeded.limit, measured, maximum: exceeded.maximum, client: operation.client?.name }, 'operation over a limit served (OPERATION_LIMITS_MODE=measure)');
          return;
        }
        throw tooComplex(exceeded.limit, measured, exceeded.maximum, message);
      }
    },
  };
}
