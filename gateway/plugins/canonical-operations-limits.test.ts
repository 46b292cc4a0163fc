import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import { parse } from 'graphql';
import { schemaDir } from '../../lib/paths';
import { readGatewayConfig } from '../gateway.config';
import { OperationAnalyzer } from '../pipeline/operation-analysis';
import { estimatedCost, readCostDirectives } from './demand-control';
import { measurementsOf } from './operation-limits';

/**
 * Every canonical operation (the storefront's and back office's real ones)
 * passes the default limits with room: at most half of each limit, so
 * clients do not break when an operation grows a little.
 */
describe('canonical operations under the default limits', () => {
  const supergraphSdl = readFileSync(path.join(schemaDir(), 'supergraph.graphql'), 'utf8');
  const apiSchema = Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();
  const analyzer = new OperationAnalyzer(apiSchema);
  const config = readGatewayConfig({ NODE_ENV: 'test' });
  const rules = { directives: readCostDirectives(supergraphSdl), defaultListSize: config.demandControl.defaultListSize };
  const manifest = JSON.parse(readFileSync(path.join(schemaDir(), 'persisted-query-manifest.json'), 'utf8')) as { operations: { name: string; body: string }[] };

  it.each(manifest.operations.map((operation) => [operation.name, operation.body] as const))('%s', (_name, body) => {
    const analysis = analyzer.analyze(parse(body), undefined, {})!;
    const measured = measurementsOf(analysis, { ignoreIntrospection: false });
    const { operationLimits, documentLimits, demandControl } = config;
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(documentLimits.maxBytes / 2);
    expect(measured.depth).toBeLessThanOrEqual(operationLimits.maxDepth / 2);
    expect(measured.aliases).toBeLessThanOrEqual(operationLimits.maxAliases / 2);
    expect(measured.rootFields).toBeLessThanOrEqual(operationLimits.maxRootFields / 2);
    expect(measured.directivesPerField).toBeLessThanOrEqual(operationLimits.maxDirectivesPerField / 2);
    expect(measured.mergedFields).toBeLessThanOrEqual(operationLimits.maxMergedFields / 2);
    expect(measured.plannedSelections).toBeLessThanOrEqual(operationLimits.maxPlannedSelections / 2);
    expect(estimatedCost(analysis, rules, {})).toBeLessThanOrEqual(demandControl.maxCost / 2);
  });
});
