import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Kind, parse, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { schemaDir } from '../lib/paths';

/**
 * The storefront suite, schema/operations/storefront/*.graphql: pages as a
 * storefront team writes them, one self-contained operation per file. They
 * are outside the canonical operations on purpose (the persisted query
 * manifest, codegen.yml and the Explorer read only schema/operations/*.graphql):
 * they measure demand control's estimates against real pages, they promise
 * nothing new.
 */
export const STOREFRONT_SUITE_DIR = path.join(schemaDir(), 'operations', 'storefront');

export interface StorefrontOperation {
  /** The file name, e.g. `category-page.graphql`. */
  file: string;
  name: string;
  text: string;
  document: DocumentNode;
  definition: OperationDefinitionNode;
}

/** Every operation of the suite, by file name. Throws on a file that is not exactly one named operation. */
export function readStorefrontSuite(): StorefrontOperation[] {
  return readdirSync(STOREFRONT_SUITE_DIR)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => {
      const text = readFileSync(path.join(STOREFRONT_SUITE_DIR, file), 'utf8');
      const document = parse(text);
      const definitions = document.definitions;
      const definition = definitions[0];
      if (definitions.length !== 1 || definition.kind !== Kind.OPERATION_DEFINITION || !definition.name) {
        throw new Error(`${file}: the storefront suite holds exactly one named operation per file, without fragments`);
      }
      return { file, name: definition.name.value, text, document, definition };
    });
}
