import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PersistedQueryManifest, type ManifestOperation } from '../gateway/persisted-queries/manifest';
import { schemaDir } from '../lib/paths';
import { MANIFEST_FILE } from './client-artifacts';

const USAGE = 'usage: npm run persisted-queries -- list [--type query|mutation|subscription] [--manifest <file>]';

/** One line per operation of the manifest, sorted by name: name, type and id, in aligned columns. */
export function formatOperationList(operations: readonly ManifestOperation[]): string[] {
  const sorted = [...operations].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const nameWidth = Math.max(4, ...sorted.map((operation) => operation.name.length));
  const row = (name: string, type: string, id: string) => `${name.padEnd(nameWidth)}  ${type.padEnd(12)}  ${id}`;
  return [row('name', 'type', 'id'), ...sorted.map((operation) => row(operation.name, operation.type, operation.id))];
}

/**
 * `npm run persisted-queries -- list`: the operations of the persisted query
 * manifest (schema/persisted-query-manifest.json unless --manifest says
 * otherwise), with the id to send in `extensions.persistedQuery.sha256Hash`.
 * Returns the exit code.
 */
export function run(args: string[], print: (line: string) => void = console.log, printError: (line: string) => void = console.error): number {
  const [command, ...options] = args;
  let manifestFile = path.join(schemaDir(), MANIFEST_FILE);
  let type: string | undefined;
  for (let i = 0; i < options.length; i += 2) {
    const [option, value] = [options[i], options[i + 1]];
    if (option === '--manifest' && value) manifestFile = value;
    else if (option === '--type' && value && ['query', 'mutation', 'subscription'].includes(value)) type = value;
    else {
      printError(USAGE);
      return 1;
    }
  }
  if (command !== 'list') {
    printError(USAGE);
    return 1;
  }
  let manifest: PersistedQueryManifest;
  try {
    manifest = PersistedQueryManifest.parse(readFileSync(manifestFile, 'utf8'));
  } catch (error) {
    printError(`${manifestFile}: ${(error as Error).message}`);
    return 1;
  }
  formatOperationList(manifest.operations.filter((operation) => !type || operation.type === type)).forEach((line) => print(line));
  return 0;
}

if (require.main === module) process.exitCode = run(process.argv.slice(2));
