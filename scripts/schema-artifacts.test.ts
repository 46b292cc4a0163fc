import { buildSchemaArtifacts, staleArtifacts } from './schema-artifacts';

describe('schema artifacts', () => {
  // Composition, the manifest and a code generator run take seconds on a busy machine.
  it('compose without errors and match the committed files (run `npm run schema:generate` after a schema change)', async () => {
    const artifacts = await buildSchemaArtifacts();
    expect(artifacts.map((a) => a.file)).toEqual(expect.arrayContaining(['supergraph.graphql', 'catalog.graphql']));
    expect(staleArtifacts(artifacts)).toEqual([]);
  }, 60_000);
});
