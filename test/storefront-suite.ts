import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Kind, parse, print, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { schemaDir } from '../lib/paths';
import { fragmentClosure } from '../scripts/client-artifacts';

/**
 * The storefront suite, schema/operations/storefront/*.graphql: pages as a
 * storefront team writes them, one operation per file, built from shared
 * fragments (the canonical ../fragments.graphql and the suite's own
 * fragments.graphql). They are outside the canonical operations on purpose
 * (the persisted query manifest, codegen.yml and the Explorer read only
 * schema/operations/*.graphql): they measure demand control's estimates
 * against real pages, they promise nothing new.
 */
export const STOREFRONT_SUITE_DIR = path.join(schemaDir(), 'operations', 'storefront');
const FRAGMENT_FILES = [path.join(schemaDir(), 'operations', 'fragments.graphql'), path.join(STOREFRONT_SUITE_DIR, 'fragments.graphql')];

export interface StorefrontOperation {
  /** The file name, e.g. `category-page.graphql`. */
  file: string;
  name: string;
  /** The operation with every fragment it uses: what a client sends. */
  text: string;
  document: DocumentNode;
  definition: OperationDefinitionNode;
}

/** Every operation of the suite with its fragments, by file name. Throws on a file that is not exactly one named operation. */
export function readStorefrontSuite(): StorefrontOperation[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const file of FRAGMENT_FILES) {
    for (const definition of parse(readFileSync(file, 'utf8')).definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return readdirSync(STOREFRONT_SUITE_DIR)
    .filter((file) => file.endsWith('.graphql') && file !== 'fragments.graphql')
    .sort()
    .map((file) => {
      const definitions = parse(readFileSync(path.join(STOREFRONT_SUITE_DIR, file), 'utf8')).definitions;
      const definition = definitions[0];
      if (definitions.length !== 1 || definition.kind !== Kind.OPERATION_DEFINITION || !definition.name) {
        throw new Error(`${file}: the storefront suite holds exactly one named operation per file (shared fragments live in fragments.graphql)`);
      }
      const document: DocumentNode = { kind: Kind.DOCUMENT, definitions: [definition, ...fragmentClosure(definition, fragments)] };
      return { file, name: definition.name.value, text: print(document), document, definition };
    });
}
