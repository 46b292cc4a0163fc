import { composeServices } from '@apollo/composition';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { buildFederatedSchema } from '../lib/federation-schema';
import { schemaDir } from '../lib/paths';
import { defaultSubgraphUrl, SUBGRAPH_NAMES } from '../lib/subgraph-names';
import { buildClientArtifacts } from './client-artifacts';
import { subgraphDefinitions } from './subgraph-definitions';

export interface SchemaArtifact {
  /** Path relative to schema/. */
  file: string;
  content: string;
}

export class CompositionError extends Error {
  constructor(readonly messages: string[]) {
    super(`Composition failed:\n${messages.map((m) => `  - ${m}`).join('\n')}`);
    this.name = 'CompositionError';
  }
}

/**
 * Prints every subgraph's SDL from code and composes them into the
 * supergraph the gateway serves. Subgraph URLs in the supergraph are the
 * local defaults; the gateway overrides them from the environment. The
 * client artifacts (persisted query manifest, typed documents) follow from
 * that supergraph and the canonical operations.
 */
export async function buildSchemaArtifacts(): Promise<SchemaArtifact[]> {
  const subgraphs = [];
  for (const name of SUBGRAPH_NAMES) {
    const definition = subgraphDefinitions[name];
    if (!definition) throw new Error(`Subgraph ${name} is not registered in scripts/subgraph-definitions.ts`);
    const { sdl } = await buildFederatedSchema(definition);
    subgraphs.push({ name, sdl });
  }
  const composition = composeServices(subgraphs.map(({ name, sdl }) => ({ name, typeDefs: parse(sdl), url: defaultSubgraphUrl(name) })));
  if (composition.errors) throw new CompositionError(composition.errors.map((error) => error.message));
  const supergraphSdl = `${composition.supergraphSdl.trimEnd()}\n`;
  return [
    ...subgraphs.map(({ name, sdl }) => ({ file: `${name}.graphql`, content: sdl })),
    { file: 'supergraph.graphql', content: supergraphSdl },
    ...(await buildClientArtifacts(supergraphSdl)),
  ];
}

/** Artifacts whose committed file differs from what the code produces now. */
export function staleArtifacts(artifacts: SchemaArtifact[]): string[] {
  return artifacts
    .filter((artifact) => {
      try {
        return readFileSync(path.join(schemaDir(), artifact.file), 'utf8') !== artifact.content;
      } catch {
        return true;
      }
    })
    .map((artifact) => artifact.file);
}
