import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { schemaDir } from '../lib/paths';
import { buildSchemaArtifacts, staleArtifacts } from './schema-artifacts';
import { runMain } from '../lib/entry-point';

/** Regenerates every committed schema artifact under schema/ (npm run schema:generate). */
async function main(): Promise<void> {
  const artifacts = await buildSchemaArtifacts();
  const changed = new Set(staleArtifacts(artifacts));
  mkdirSync(schemaDir(), { recursive: true });
  for (const artifact of artifacts) {
    if (!changed.has(artifact.file)) {
      console.log(`  unchanged  schema/${artifact.file}`);
      continue;
    }
    mkdirSync(path.dirname(path.join(schemaDir(), artifact.file)), { recursive: true });
    writeFileSync(path.join(schemaDir(), artifact.file), artifact.content);
    console.log(`  wrote      schema/${artifact.file}`);
  }
}

runMain(main);
