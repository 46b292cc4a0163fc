import {
  getNamedType,
  isCompositeType,
  isObjectType,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  print,
} from 'graphql';
import { ErrorCode } from '../../lib/errors';
import { refusal } from './refusals';

/**
 * What an operation executes, worked out once and read by every admission
 * step (operation limits, credential throttle, demand control, the response
 * cache, the safelist's introspection check, the access log and the span):
 * none of them walks the document itself.
 *
 * Fields are merged as graphql-js executes them: within one selection set
 * every named fragment is collected once, whatever the number of its spreads,
 * and the fields with the same response key (and the same parent type) are
 * one field whose selection is the union of theirs. `@skip`/`@include` are
 * resolved with the request's variables (or their defaults).
 *
 * Linear in the document: a merged selection is analysed once per distinct
 * set of selection-set nodes and parent type and then shared, so the result
 * is a DAG, not a tree: a document whose executed shape doubles at each of 40
 * levels is 40 shared nodes here. Figures (fields, aliases) count every use of
 * a shared node, computed once per node, so they may be astronomically large
 * (plain floating-point numbers) while the work stays proportional to the
 * text. A work bound (steps per selection node of the document) stops the
 * rare document whose merges still multiply the work: QUERY_TOO_COMPLEX.
 */

/** One field as it executes: every field node selecting the same response key on the same parent type, merged. */
export interface AnalyzedField {
  readonly responseKey: string;
  readonly name: string;
  /** The type it is selected on: the parent's, narrowed by the type conditions of the fragments around it. */
  readonly parentType?: GraphQLCompositeType;
  /**
   * Its definition, introspection's meta fields included; undefined for a
   * field the schema does not have (validation refuses the document later).
   */
  readonly definition?: GraphQLField<unknown, unknown>;
  /** `Type.field`: the schema coordinate. */
  readonly coordinate: string;
  /** Every node merged into it (validation makes their arguments equal). */
  readonly nodes: readonly FieldNode[];
  /** What is selected below it. */
  readonly selection?: AnalyzedSelection;
  /** Levels from this field down to its deepest leaf: 1 for a leaf. */
  readonly depth: number;
}

/** A merged selection set: shared by every place that selects the same nodes on the same type. */
export interface AnalyzedSelection {
  /** Undefined below a field the schema lacks. */
  readonly type?: GraphQLCompositeType;
  readonly fields: readonly AnalyzedField[];
  /** Fields executed at and below it, each use of a shared selection counted. */
  readonly fieldCount: number;
  /** Aliased fields at and below it, likewise. */
  readonly aliasCount: number;
  /** Levels of fields below it (0 when empty). */
  readonly depth: number;
  /** The most field nodes merged into one field at or below it. */
  readonly mostMergedNodes: number;
}

export type OperationType = 'query' | 'mutation' | 'subscription';

export interface OperationAnalysis {
  readonly definition: OperationDefinitionNode;
  readonly operationType: OperationType;
  readonly name?: string;
  readonly selection: AnalyzedSelection;
  /** The executed root fields, through any nesting of fragments. */
  readonly rootFields: readonly AnalyzedField[];
  /** The deepest field path. */
  readonly depth: number;
  /** The same without the introspection root fields (`__schema`, `__type`). */
  readonly depthOutsideIntrospection: number;
  /** Executed fields, counting each use of a shared selection. */
  readonly fieldCount: number;
  /** Executed aliased fields, likewise. */
  readonly aliasCount: number;
  /** The most directives on one node: the operation, a field, a spread or an inline fragment. */
  readonly mostDirectivesOnOneNode: number;
  /** The most field nodes merged into one executed field (validation compares them pairwise). */
  readonly mostMergedNodes: number;
  /** Every root field is `__schema`, `__type` or `__typename`. */
  readonly introspectionOnly: boolean;
  /**
   * Selections the query planner expands the operation into (see
   * plannedSelections below): what bounds @apollo/query-planner's work.
   */
  readonly plannedSelections: number;
}

export interface OperationAnalyzerOptions {
  /** Work bound: steps (selections collected) per selection node of the document ... */
  stepsPerNode?: number;
  /** ... plus this many. */
  stepsFloor?: number;
}

/** Steps allowed per selection node of a document: honest documents take 1 to 3. */
const STEPS_PER_NODE = 16;
const STEPS_FLOOR = 10_000;
/** Analyses kept per document (distinct operation names and @skip/@include values). */
const ANALYSES_PER_DOCUMENT = 16;
const INTROSPECTION_ROOTS = new Set(['__schema', '__type']);

interface DocumentFacts {
  fragments: Map<string, FragmentDefinitionNode>;
  operations: OperationDefinitionNode[];
  /** Variables that @skip/@include read: their values are part of an analysis's identity. */
  conditionVariables: string[];
  selectionNodes: number;
  analyses: Map<string, OperationAnalysis>;
}

/**
 * Analyses operations, caching them per document (like the parse cache, by
 * document identity), operation name and the values of the variables that
 * `@skip`/`@include` read.
 */
export class OperationAnalyzer {
  private readonly documents = new WeakMap<DocumentNode, DocumentFacts>();
  private readonly stepsPerNode: number;
  private readonly stepsFloor: number;

  constructor(
    private readonly schema: GraphQLSchema,
    options: OperationAnalyzerOptions = {},
  ) {
    this.stepsPerNode = options.stepsPerNode ?? STEPS_PER_NODE;
    this.stepsFloor = options.stepsFloor ?? STEPS_FLOOR;
  }

  /**
   * The operation `operationName` of `document` (its only one when no name is
   * given) with these variables; undefined when there is no such single
   * operation (validation answers that). Throws a QUERY_TOO_COMPLEX Refusal
   * when the document's merges exceed the work bound.
   */
  analyze(document: DocumentNode, operationName: string | undefined, variables: Record<string, unknown>): OperationAnalysis | undefined {
    const facts = this.factsOf(document);
    const definition = operationName === undefined ? (facts.operations.length === 1 ? facts.operations[0] : undefined) : facts.operations.find((candidate) => candidate.name?.value === operationName);
    return definition ? this.analyzeDefinition(facts, definition, variables, this.budgetFor(facts)) : undefined;
  }

  /**
   * Every operation of the document (limits apply to each when the request
   * names none that can run: validation reads them all). They share one work
   * bound: a document of 300 operations spreading the same fragments costs
   * no more than one.
   */
  analyzeEach(document: DocumentNode, variables: Record<string, unknown>): OperationAnalysis[] {
    const facts = this.factsOf(document);
    const budget = this.budgetFor(facts);
    return facts.operations.map((definition) => this.analyzeDefinition(facts, definition, variables, budget));
  }

  /** The work one request may spend analysing this document. */
  private budgetFor(facts: DocumentFacts): WorkBudget {
    return { steps: 0, maxSteps: this.stepsFloor + this.stepsPerNode * facts.selectionNodes };
  }

  private analyzeDefinition(facts: DocumentFacts, definition: OperationDefinitionNode, variables: Record<string, unknown>, budget: WorkBudget): OperationAnalysis {
    const conditions = conditionValues(definition, facts.conditionVariables, variables);
    const key = `${facts.operations.indexOf(definition)}\u0000${conditions.key}`;
    const known = facts.analyses.get(key);
    if (known) return known;
    const analysis = analyzeOperation(this.schema, facts, definition, conditions.values, budget);
    if (facts.analyses.size >= ANALYSES_PER_DOCUMENT) facts.analyses.delete(facts.analyses.keys().next().value!);
    facts.analyses.set(key, analysis);
    return analysis;
  }

  private factsOf(document: DocumentNode): DocumentFacts {
    let facts = this.documents.get(document);
    if (facts) return facts;
    const fragments = new Map<string, FragmentDefinitionNode>();
    const operations: OperationDefinitionNode[] = [];
    const conditionVariables = new Set<string>();
    let selectionNodes = 0;
    const scan = (set: SelectionSetNode) => {
      for (const selection of set.selections) {
        selectionNodes += 1;
        for (const directive of selection.directives ?? []) {
          if (directive.name.value !== 'skip' && directive.name.value !== 'include') continue;
          for (const argument of directive.arguments ?? []) if (argument.value.kind === Kind.VARIABLE) conditionVariables.add(argument.value.name.value);
        }
        if (selection.kind !== Kind.FRAGMENT_SPREAD && selection.selectionSet) scan(selection.selectionSet);
      }
    };
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) {
        // The first definition of a name wins, as in execution (validation refuses duplicates).
        if (!fragments.has(definition.name.value)) fragments.set(definition.name.value, definition);
        scan(definition.selectionSet);
      } else if (definition.kind === Kind.OPERATION_DEFINITION) {
        operations.push(definition);
        scan(definition.selectionSet);
      }
    }
    facts = { fragments, operations, conditionVariables: [...conditionVariables].sort(), selectionNodes, analyses: new Map() };
    this.documents.set(document, facts);
    return facts;
  }
}

/**
 * The values of the condition variables for this operation: as sent, else the
 * variable's default; anything else (absent, not a boolean) is unknown, and
 * an unknown condition keeps its field (the larger shape is the safe one to
 * measure; variable coercion refuses such a request anyway).
 */
function conditionValues(definition: OperationDefinitionNode, names: string[], variables: Record<string, unknown>) {
  const values = new Map<string, boolean>();
  let key = '';
  for (const name of names) {
    let value = variables[name];
    if (value === undefined) {
      const declared = definition.variableDefinitions?.find((variable) => variable.variable.name.value === name)?.defaultValue;
      if (declared?.kind === Kind.BOOLEAN) value = declared.value;
    }
    if (typeof value === 'boolean') values.set(name, value);
    key += typeof value === 'boolean' ? (value ? '1' : '0') : '?';
  }
  return { values, key };
}

function conditionOf(directive: DirectiveNode, values: Map<string, boolean>): boolean | undefined {
  const argument = directive.arguments?.find((candidate) => candidate.name.value === 'if')?.value;
  if (argument?.kind === Kind.BOOLEAN) return argument.value;
  if (argument?.kind === Kind.VARIABLE) return values.get(argument.name.value);
  return undefined;
}

/** Whether a selection executes: `@skip(if: true)` drops it, `@include(if: false)` too; unknown conditions keep it. */
function isIncluded(directives: readonly DirectiveNode[] | undefined, values: Map<string, boolean>): boolean {
  if (!directives?.length) return true;
  for (const directive of directives) {
    if (directive.name.value === 'skip' && conditionOf(directive, values) === true) return false;
    if (directive.name.value === 'include' && conditionOf(directive, values) === false) return false;
  }
  return true;
}

function tooManySteps(maxSteps: number) {
  return refusal(ErrorCode.QUERY_TOO_COMPLEX, 'The operation merges too many fields to analyse; simplify its fragments', {
    status: 400,
    extensions: { limit: 'analysis', measured: `>${maxSteps}`, maximum: maxSteps },
  });
}

/** Selections collected so far, and the most a request may collect. */
interface WorkBudget {
  steps: number;
  maxSteps: number;
}

interface FieldGroup {
  responseKey: string;
  name: string;
  parentType?: GraphQLCompositeType;
  nodes: FieldNode[];
  sets: SelectionSetNode[];
}

const nodeIds = new WeakMap<SelectionSetNode, number>();
let nextNodeId = 0;
function idOf(set: SelectionSetNode): number {
  let id = nodeIds.get(set);
  if (id === undefined) {
    nextNodeId += 1;
    id = nextNodeId;
    nodeIds.set(set, id);
  }
  return id;
}

function analyzeOperation(schema: GraphQLSchema, facts: DocumentFacts, definition: OperationDefinitionNode, conditions: Map<string, boolean>, budget: WorkBudget): OperationAnalysis {
  const selections = new Map<string, AnalyzedSelection | null>();
  const step = () => {
    budget.steps += 1;
    if (budget.steps > budget.maxSteps) throw tooManySteps(budget.maxSteps);
  };
  let mostDirectives = definition.directives?.length ?? 0;

  const narrow = (parent: GraphQLCompositeType | undefined, condition: string | undefined): GraphQLCompositeType | undefined => {
    if (condition === undefined) return parent;
    const type = schema.getType(condition);
    if (!isCompositeType(type)) return parent;
    if (isObjectType(type)) return type;
    // A fragment on an interface or union inside an object's selection still selects that object's fields.
    return parent && isObjectType(parent) ? parent : type;
  };

  const fieldDefinition = (parent: GraphQLCompositeType | undefined, name: string): GraphQLField<unknown, unknown> | undefined => {
    if (name === '__typename') return TypeNameMetaFieldDef;
    if (parent && parent === schema.getQueryType()) {
      if (name === '__schema') return SchemaMetaFieldDef;
      if (name === '__type') return TypeMetaFieldDef;
    }
    return parent && 'getFields' in parent ? parent.getFields()[name] : undefined;
  };

  const selectionOf = (type: GraphQLCompositeType | undefined, sets: SelectionSetNode[]): AnalyzedSelection => {
    const key = `${type?.name ?? '?'}:${sets.map(idOf).join(',')}`;
    const known = selections.get(key);
    if (known) return known;
    // A fragment cycle (validation refuses it): it closes on an empty selection here.
    if (known === null) return { type, fields: [], fieldCount: 0, aliasCount: 0, depth: 0, mostMergedNodes: 0 };
    selections.set(key, null);

    const groups = new Map<string, FieldGroup>();
    const visitedFragments = new Set<string>();
    const collect = (set: SelectionSetNode, parentType: GraphQLCompositeType | undefined) => {
      for (const selection of set.selections) {
        step();
        mostDirectives = Math.max(mostDirectives, selection.directives?.length ?? 0);
        if (!isIncluded(selection.directives, conditions)) continue;
        if (selection.kind === Kind.FIELD) {
          const responseKey = selection.alias?.value ?? selection.name.value;
          const groupKey = `${responseKey}\u0000${parentType?.name ?? '?'}`;
          let group = groups.get(groupKey);
          if (!group) {
            group = { responseKey, name: selection.name.value, parentType, nodes: [], sets: [] };
            groups.set(groupKey, group);
          }
          group.nodes.push(selection);
          if (selection.selectionSet) group.sets.push(selection.selectionSet);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          collect(selection.selectionSet, narrow(parentType, selection.typeCondition?.name.value));
        } else {
          const name = selection.name.value;
          if (visitedFragments.has(name)) continue;
          visitedFragments.add(name);
          const fragment = facts.fragments.get(name);
          if (fragment) collect(fragment.selectionSet, narrow(parentType, fragment.typeCondition.name.value));
        }
      }
    };
    for (const set of sets) collect(set, type);

    const fields: AnalyzedField[] = [];
    let fieldCount = 0;
    let aliasCount = 0;
    let depth = 0;
    let mostMergedNodes = 0;
    for (const group of groups.values()) {
      const fieldDef = fieldDefinition(group.parentType, group.name);
      const returned = fieldDef ? getNamedType(fieldDef.type) : undefined;
      const selection = group.sets.length > 0 ? selectionOf(isCompositeType(returned) ? returned : undefined, group.sets) : undefined;
      const field: AnalyzedField = {
        responseKey: group.responseKey,
        name: group.name,
        parentType: group.parentType,
        definition: fieldDef,
        coordinate: `${group.parentType?.name ?? '?'}.${group.name}`,
        nodes: group.nodes,
        selection,
        depth: 1 + (selection?.depth ?? 0),
      };
      fields.push(field);
      fieldCount += 1 + (selection?.fieldCount ?? 0);
      aliasCount += (group.responseKey !== group.name ? 1 : 0) + (selection?.aliasCount ?? 0);
      depth = Math.max(depth, field.depth);
      mostMergedNodes = Math.max(mostMergedNodes, group.nodes.length, selection?.mostMergedNodes ?? 0);
    }
    const analyzed: AnalyzedSelection = { type, fields, fieldCount, aliasCount, depth, mostMergedNodes };
    selections.set(key, analyzed);
    return analyzed;
  };

  /**
   * @apollo/query-planner merges selections only when they are the same
   * selection: fields by response key and directives, inline fragments by type
   * condition and directives, a named spread as an inline fragment on its
   * type condition. It plans with @skip/@include as conditions, unresolved.
   * So `... { ...F } ...F` (no condition, then `on Query`) stays two
   * selections at every level and a 2 KB document becomes 2^40 selections to
   * plan: seconds of blocked event loop at 2^14. This counts what it expands
   * into, each merged selection once (linear, like the rest), so the limits
   * refuse such a document before the planner sees it.
   */
  const plannedSizes = new Map<string, number>();
  const plannedSelections = (sets: SelectionSetNode[]): number => {
    const unique = [...new Set(sets)];
    const key = unique.map(idOf).join(',');
    const known = plannedSizes.get(key);
    if (known !== undefined) return known;
    plannedSizes.set(key, 0);
    const groups = new Map<string, SelectionSetNode[]>();
    const add = (groupKey: string, set: SelectionSetNode | undefined) => {
      let group = groups.get(groupKey);
      if (!group) groups.set(groupKey, (group = []));
      if (set) group.push(set);
    };
    for (const set of unique) {
      for (const selection of set.selections) {
        step();
        const directives = selection.directives?.length ? selection.directives.map((directive) => print(directive)).join(' ') : '';
        if (selection.kind === Kind.FIELD) add(`field ${selection.alias?.value ?? selection.name.value} ${directives}`, selection.selectionSet);
        else if (selection.kind === Kind.INLINE_FRAGMENT) add(`on ${selection.typeCondition?.name.value ?? ''} ${directives}`, selection.selectionSet);
        else {
          const fragment = facts.fragments.get(selection.name.value);
          if (fragment) add(`on ${fragment.typeCondition.name.value} ${directives}`, fragment.selectionSet);
        }
      }
    }
    let total = 0;
    for (const group of groups.values()) total += 1 + (group.length > 0 ? plannedSelections(group) : 0);
    plannedSizes.set(key, total);
    return total;
  };

  const operationType = definition.operation as OperationType;
  const rootType = schema.getRootType(definition.operation) ?? undefined;
  const selection = selectionOf(rootType, [definition.selectionSet]);
  const rootFields = selection.fields;
  return {
    definition,
    operationType,
    name: definition.name?.value,
    selection,
    rootFields,
    depth: selection.depth,
    depthOutsideIntrospection: rootFields.reduce((deepest, field) => (INTROSPECTION_ROOTS.has(field.name) ? deepest : Math.max(deepest, field.depth)), 0),
    fieldCount: selection.fieldCount,
    aliasCount: selection.aliasCount,
    mostDirectivesOnOneNode: mostDirectives,
    mostMergedNodes: selection.mostMergedNodes,
    introspectionOnly: rootFields.length > 0 && rootFields.every((field) => field.name === '__typename' || INTROSPECTION_ROOTS.has(field.name)),
    plannedSelections: plannedSelections([definition.selectionSet]),
  };
}
