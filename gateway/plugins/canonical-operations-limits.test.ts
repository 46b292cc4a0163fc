import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import { getOperationAST, parse } from 'graphql';
import { schemaDir } from '../../lib/paths';
import { readGatewayConfig } from '../gateway.config';
import { operationCost, readCostDirectives } from './demand-control';
import { measureDocument } from './operation-limits';

/**
 * Every canonical operation (the storefront's and back office's real ones)
 * passes the default limits with room: at most half of each limit, so
 * clients do not break when an operation grows a little.
 */
describe('canonical operations under the default limits', () => {
  const supergraphSdl = readFileSync(path.join(schemaDir(), 'supergraph.graphql'), 'utf8');
  const apiSchema = Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();
  const directives = readCostDirectives(supergraphSdl);
  const config = readGatewayConfig({ NODE_ENV: 'test' });
  const manifest = JSON.parse(readFileSync(path.join(schemaDir(), 'persisted-query-manifest.json'), 'utf8')) as { operations: { name: string; body: string }[] };

  it.each(manifest.operations.map((operation) => [operation.name, operation.body] as const))('%s', (_name, body) => {
    const document = parse(body);
    const measured = measureDocument(document, { ignoreIntrospection: false });
    const { operationLimits, documentLimits, demandControl } = config;
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(documentLimits.maxBytes / 2);
    expect(measured.depth).toBeLessThanOrEqual(operationLimits.maxDepth / 2);
    expect(measured.aliases).toBeLessThanOrEqual(operationLimits.maxAliases / 2);
    expect(measured.rootFields).toBeLessThanOrEqual(operationLimits.maxRootFields / 2);
    expect(measured.directivesPerField).toBeLessThanOrEqual(operationLimits.maxDirectivesPerField / 2);
    const definition = getOperationAST(document)!;
    const cost = operationCost(apiSchema, directives, { document, definition, variables: {} }, demandControl.defaultListSize);
    expect(cost).toBeLessThanOrEqual(demandControl.maxCost / 2);
  });
});
