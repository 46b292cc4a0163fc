import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Kind, validate } from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { readGatewayConfig } from '../gateway/gateway.config';
import { OperationAnalyzer } from '../gateway/pipeline/operation-analysis';
import { estimatedCost, readCostDirectives, type CostRules } from '../gateway/plugins/demand-control';
import { schemaDir } from '../lib/paths';
import { readStorefrontSuite } from '../test/storefront-suite';
import { apiSchemaOf, readCanonicalDocuments } from './client-artifacts';

/**
 * The storefront suite (schema/operations/storefront) against the committed
 * supergraph, without running it: each page validates and its static cost is
 * under DEMAND_CONTROL_MAX_COST. gateway/storefront-cost.e2e.test.ts runs
 * them and holds the estimates against what the demo shop returns.
 */
const supergraphSdl = readFileSync(path.join(schemaDir(), 'supergraph.graphql'), 'utf8');
const apiSchema = apiSchemaOf(supergraphSdl);
const analyzer = new OperationAnalyzer(apiSchema);
const { demandControl } = readGatewayConfig({ NODE_ENV: 'test' });
const rules: CostRules = { directives: readCostDirectives(supergraphSdl), defaultListSize: demandControl.defaultListSize };
const suite = readStorefrontSuite();

/** What each page is sent with; ids do not change a cost. */
const EXAMPLE_VARIABLES: Record<string, Record<string, unknown>> = {
  StorefrontCategoryPage: { filter: { categoryId: '00000000-0000-0000-0000-000000000000' } },
  StorefrontProductPage: { slug: 'a-product' },
  StorefrontSearchPage: { filter: { search: 'jacket' } },
  StorefrontCartPage: { countryCode: 'US' },
  StorefrontAccountPage: {},
};

function costOf(name: string, costRules: CostRules = rules): number {
  const { document, definition } = suite.find((operation) => operation.name === name)!;
  const coerced = getVariableValues(apiSchema, definition.variableDefinitions ?? [], EXAMPLE_VARIABLES[name] ?? {});
  if (coerced.errors) throw new Error(coerced.errors.map((error) => error.message).join('; '));
  return estimatedCost(analyzer.analyze(document, name, coerced.coerced)!, costRules, coerced.coerced);
}

describe('the storefront suite', () => {
  it('has the five pages, none of them a canonical operation', () => {
    expect(suite.map((operation) => operation.name).sort()).toEqual(Object.keys(EXAMPLE_VARIABLES).sort());
    const canonical = new Set(
      readCanonicalDocuments().flatMap(({ document }) => document.definitions.flatMap((d) => (d.kind === Kind.OPERATION_DEFINITION && d.name ? [d.name.value] : []))),
    );
    expect(suite.filter((operation) => canonical.has(operation.name))).toEqual([]);
  });

  it.each(suite.map((operation) => [operation.name, operation] as const))('%s validates against the API schema', (_name, operation) => {
    expect(validate(apiSchema, operation.document).map((error) => error.message)).toEqual([]);
  });

  it.each(suite.map((operation) => [operation.name] as const))('%s costs less than DEMAND_CONTROL_MAX_COST', (name) => {
    expect(costOf(name)).toBeLessThanOrEqual(demandControl.maxCost);
  });

  it('the category page was over the limit while every product was assumed to have 100 variants', () => {
    const listSizes = new Map(rules.directives.listSizes);
    listSizes.set('Product.variants', { assumedSize: 100 });
    expect(costOf('StorefrontCategoryPage', { ...rules, directives: { ...rules.directives, listSizes } })).toBeGreaterThan(demandControl.maxCost);
  });
});
