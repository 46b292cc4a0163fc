import { Supergraph } from '@apollo/federation-internals';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Kind, parse, validate, visit, type DefinitionNode, type DocumentNode, type FragmentDefinitionNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { repoRoot, schemaDir } from '../lib/paths';

/**
 * The artifacts clients build on, derived from the composed supergraph and
 * the canonical operations in schema/operations/*.graphql: the persisted
 * query manifest (the gateway's safelist, in Apollo's format) and the typed
 * documents of GraphQL Code Generator (codegen.yml).
 */

export const OPERATIONS_DIR = 'operations';
export const MANIFEST_FILE = 'persisted-query-manifest.json';

export interface CanonicalDocument {
  /** Path relative to schema/. */
  file: string;
  document: DocumentNode;
}

export class CanonicalOperationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Canonical operations are invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'CanonicalOperationError';
  }
}

/** What clients can query: the supergraph without federation's join__/link__ machinery. */
export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();
}

/** Every file of schema/operations, parsed, in a stable order. */
export function readCanonicalDocuments(): CanonicalDocument[] {
  const dir = path.join(schemaDir(), OPERATIONS_DIR);
  return readdirSync(dir)
    .filter((name) => name.endsWith('.graphql'))
    .sort()
    .map((name) => {
      const file = `${OPERATIONS_DIR}/${name}`;
      try {
        return { file, document: parse(readFileSync(path.join(dir, name), 'utf8')) };
      } catch (error) {
        throw new CanonicalOperationError([`${file}: ${(error as Error).message}`]);
      }
    });
}

/** The fragments a definition spreads, directly or through other fragments. */
export function fragmentClosure(definition: DefinitionNode, fragments: Map<string, FragmentDefinitionNode>): FragmentDefinitionNode[] {
  const seen = new Map<string, FragmentDefinitionNode>();
  const pending: DefinitionNode[] = [definition];
  while (pending.length > 0) {
    visit(pending.pop()!, {
      FragmentSpread(node) {
        const fragment = fragments.get(node.name.value);
        if (fragment && !seen.has(fragment.name.value)) {
          seen.set(fragment.name.value, fragment);
          pending.push(fragment);
        }
      },
    });
  }
  return [...seen.values()];
}

/**
 * Checks the rules the manifest relies on (one named operation per file,
 * unique names) and validates every operation, with the fragments it uses,
 * against the API schema. Returns one line per problem.
 */
export function canonicalOperationProblems(apiSchema: GraphQLSchema, documents: CanonicalDocument[] = readCanonicalDocuments()): string[] {
  const problems: string[] = [];
  const operations: { file: string; operation: OperationDefinitionNode }[] = [];
  const fragments = new Map<string, FragmentDefinitionNode>();
  const fragmentFiles = new Map<string, string>();
  for (const { file, document } of documents) {
    const ops = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    if (ops.length > 1) problems.push(`${file}: holds ${ops.length} operations; keep one operation per file`);
    for (const operation of ops) {
      if (!operation.name) problems.push(`${file}: an operation without a name cannot be persisted`);
      else operations.push({ file, operation });
    }
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) {
        const name = definition.name.value;
        if (fragmentFiles.has(name)) problems.push(`${file}: fragment ${name} is also defined in ${fragmentFiles.get(name)}`);
        fragments.set(name, definition);
        fragmentFiles.set(name, file);
      } else if (definition.kind !== Kind.OPERATION_DEFINITION) {
        problems.push(`${file}: only operations and fragments belong here, found ${definition.kind}`);
      }
    }
  }
  const names = new Map<string, string>();
  for (const { file, operation } of operations) {
    const name = operation.name!.value;
    if (names.has(name)) problems.push(`${file}: operation ${name} is also defined in ${names.get(name)}`);
    names.set(name, file);
    const document: DocumentNode = { kind: Kind.DOCUMENT, definitions: [operation, ...fragmentClosure(operation, fragments)] };
    for (const error of validate(apiSchema, document)) problems.push(`${file}: ${name}: ${error.message}`);
  }
  return problems;
}

export interface ClientArtifact {
  /** Path relative to schema/. */
  file: string;
  content: string;
}

/**
 * The manifest is written by Apollo's generator, which runs each operation
 * through an Apollo Client (adding __typename where the client adds it) and
 * prints it with sorted top-level definitions: the exact body, and so the
 * sha256 id, that Apollo Client's persisted query link sends.
 */
async function persistedQueryManifest(): Promise<string> {
  const { generatePersistedQueryManifest } = await import('@apollo/generate-persisted-query-manifest');
  const manifest = await generatePersistedQueryManifest({ documents: [path.join(schemaDir(), OPERATIONS_DIR, '*.graphql')] }, undefined);
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/**
 * Runs codegen.yml against the given supergraph (not the committed file) in
 * a child process: the generator's CLI is an ES module, which Jest cannot load.
 */
function typedDocuments(supergraphSdl: string): Promise<ClientArtifact[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [path.join(repoRoot(), 'scripts', 'codegen-api-schema.js')],
      { cwd: repoRoot(), maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`GraphQL Code Generator failed: ${stderr.trim() || error.message}`));
        const outputs = JSON.parse(stdout) as { filename: string; content: string }[];
        resolve(outputs.map((output) => ({ file: path.relative(schemaDir(), path.resolve(repoRoot(), output.filename)), content: output.content })));
      },
    ).stdin!.end(supergraphSdl);
  });
}

export async function buildClientArtifacts(supergraphSdl: string): Promise<ClientArtifact[]> {
  const apiSchema = apiSchemaOf(supergraphSdl);
  const problems = canonicalOperationProblems(apiSchema);
  if (problems.length > 0) throw new CanonicalOperationError(problems);
  const [manifest, typed] = await Promise.all([persistedQueryManifest(), typedDocuments(supergraphSdl)]);
  return [{ file: MANIFEST_FILE, content: manifest }, ...typed];
}
