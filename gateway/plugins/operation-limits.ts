import { Kind, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import { str, wholeNumber } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import type { GatewayOperation, GatewayPlugin } from '../pipeline/operation';
import { tooComplex } from './document-limits';

/**
 * Structural limits on a parsed document, checked before schema validation
 * (whose overlapping-fields rule is quadratic in aliases) and before any
 * subgraph is called: depth, aliases, root fields, directives per field.
 *
 * Written here rather than taken from @escape.tech/graphql-armor: armor's
 * rules report a message without the measured value, walk fragments once per
 * spread (exponential on nested spreads) and have no root-field limit; one
 * pass over the document with fragments measured once gives every figure at
 * once, structured, for the error and for `measure` mode.
 */
export interface OperationLimitsConfig {
  /** `enforce` refuses; `measure` serves, logs and counts what would be refused. */
  mode: 'enforce' | 'measure' | 'off';
  maxDepth: number;
  maxAliases: number;
  maxRootFields: number;
  maxDirectivesPerField: number;
}

export const operationLimitsEnv = {
  OPERATION_LIMITS_MODE: str({ choices: ['enforce', 'measure', 'off'], default: 'enforce', desc: 'enforce, measure (log only) or off' }),
  LIMIT_DEPTH: wholeNumber('levels')({ default: 10, desc: 'deepest field nesting an operation may have' }),
  LIMIT_ALIASES: wholeNumber('aliases')({ default: 30, desc: 'most aliased fields a document may have (fragments counted per use)' }),
  LIMIT_ROOT_FIELDS: wholeNumber('fields')({ default: 20, desc: 'most top-level fields an operation may select' }),
  LIMIT_DIRECTIVES_PER_FIELD: wholeNumber('directives')({ default: 4, desc: 'most directives on one field or fragment' }),
};

export function operationLimitsConfig(values: {
  OPERATION_LIMITS_MODE: string;
  LIMIT_DEPTH: number;
  LIMIT_ALIASES: number;
  LIMIT_ROOT_FIELDS: number;
  LIMIT_DIRECTIVES_PER_FIELD: number;
}): OperationLimitsConfig {
  return {
    mode: values.OPERATION_LIMITS_MODE as OperationLimitsConfig['mode'],
    maxDepth: values.LIMIT_DEPTH,
    maxAliases: values.LIMIT_ALIASES,
    maxRootFields: values.LIMIT_ROOT_FIELDS,
    maxDirectivesPerField: values.LIMIT_DIRECTIVES_PER_FIELD,
  };
}

export interface DocumentMeasurements {
  depth: number;
  aliases: number;
  rootFields: number;
  directivesPerField: number;
}

interface Measured {
  depth: number;
  aliases: number;
  directives: number;
}

/**
 * Measures a whole document (every operation in it). Fragments are measured
 * once each and reused per spread; a fragment cycle (refused later by
 * validation) counts as depth 0 where it closes, so this always terminates.
 * Introspection fields (`__schema`, `__type`) are not counted towards depth
 * when `ignoreIntrospection` is set: development tools send deep
 * introspection queries, and production turns introspection off anyway.
 */
export function measureDocument(document: DocumentNode, options: { ignoreIntrospection: boolean }): DocumentMeasurements {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const fragmentMeasures = new Map<string, Measured>();
  const inProgress = new Set<string>();

  const fragment = (name: string): Measured => {
    const known = fragmentMeasures.get(name);
    if (known) return known;
    const definition = fragments.get(name);
    if (!definition || inProgress.has(name)) return { depth: 0, aliases: 0, directives: 0 };
    inProgress.add(name);
    const measured = selectionSet(definition.selectionSet);
    inProgress.delete(name);
    fragmentMeasures.set(name, measured);
    return measured;
  };

  const selectionSet = (set: SelectionSetNode): Measured => {
    let depth = 0;
    let aliases = 0;
    let directives = 0;
    for (const selection of set.selections) {
      directives = Math.max(directives, selection.directives?.length ?? 0);
      if (selection.kind === Kind.FIELD) {
        if (selection.alias) aliases += 1;
        if (options.ignoreIntrospection && (selection.name.value === '__schema' || selection.name.value === '__type')) continue;
        const inner = selection.selectionSet ? selectionSet(selection.selectionSet) : { depth: 0, aliases: 0, directives: 0 };
        depth = Math.max(depth, inner.depth + 1);
        aliases += inner.aliases;
        directives = Math.max(directives, inner.directives);
      } else {
        const inner = selection.kind === Kind.INLINE_FRAGMENT ? selectionSet(selection.selectionSet) : fragment(selection.name.value);
        depth = Math.max(depth, inner.depth);
        aliases += inner.aliases;
        directives = Math.max(directives, inner.directives);
      }
    }
    return { depth, aliases, directives };
  };

  const rootFieldsOf = (set: SelectionSetNode, seen: Set<string>): number =>
    set.selections.reduce((count, selection) => {
      if (selection.kind === Kind.FIELD) return count + 1;
      if (selection.kind === Kind.INLINE_FRAGMENT) return count + rootFieldsOf(selection.selectionSet, seen);
      const definition = fragments.get(selection.name.value);
      if (!definition || seen.has(selection.name.value)) return count;
      return count + rootFieldsOf(definition.selectionSet, new Set([...seen, selection.name.value]));
    }, 0);

  const result: DocumentMeasurements = { depth: 0, aliases: 0, rootFields: 0, directivesPerField: 0 };
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    const measured = selectionSet(definition.selectionSet);
    result.depth = Math.max(result.depth, measured.depth);
    result.aliases += measured.aliases;
    result.directivesPerField = Math.max(result.directivesPerField, measured.directives, definition.directives?.length ?? 0);
    result.rootFields = Math.max(result.rootFields, rootFieldsOf(definition.selectionSet, new Set()));
  }
  return result;
}

const LIMITS = [
  { key: 'depth', max: 'maxDepth', what: 'depth' },
  { key: 'aliases', max: 'maxAliases', what: 'aliases' },
  { key: 'rootFields', max: 'maxRootFields', what: 'root fields' },
  { key: 'directivesPerField', max: 'maxDirectivesPerField', what: 'directives on one field' },
] as const;

/** The first limit a measurement exceeds, if any. */
export function exceededLimit(measured: DocumentMeasurements, config: OperationLimitsConfig) {
  for (const limit of LIMITS) {
    if (measured[limit.key] > config[limit.max]) return { limit: limit.key, what: limit.what, measured: measured[limit.key], maximum: config[limit.max] };
  }
  return undefined;
}

export function useOperationLimits(config: OperationLimitsConfig, options: { introspection: boolean; logger: Logger }): GatewayPlugin {
  const measurements = new WeakMap<DocumentNode, DocumentMeasurements>();
  return {
    name: 'operation-limits',
    onRequest(operation: GatewayOperation) {
      if (config.mode === 'off' || !operation.document) return;
      const { document } = operation;
      let measured = measurements.get(document);
      if (!measured) {
        measured = measureDocument(document, { ignoreIntrospection: options.introspection });
        measurements.set(document, measured);
      }
      const exceeded = exceededLimit(measured, config);
      if (!exceeded) return;
      const message = `The operation's ${exceeded.what} is ${exceeded.measured}; the limit is ${exceeded.maximum}`;
      if (config.mode === 'measure') {
        options.logger.warn({ limit: exceeded.limit, measured: exceeded.measured, maximum: exceeded.maximum, client: operation.client?.name }, 'operation over a limit served (OPERATION_LIMITS_MODE=measure)');
        return;
      }
      throw tooComplex(exceeded.limit, exceeded.measured, exceeded.maximum, message);
    },
  };
}
