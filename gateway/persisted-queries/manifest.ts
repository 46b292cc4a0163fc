import { createHash } from 'node:crypto';
import { Kind, parse, print, validate, type DefinitionNode, type DocumentNode, type GraphQLSchema } from 'graphql';

export const MANIFEST_FORMAT = 'apollo-persisted-query-manifest';
const OPERATION_TYPES = ['query', 'mutation', 'subscription'] as const;

export interface ManifestOperation {
  id: string;
  name: string;
  type: (typeof OPERATION_TYPES)[number];
  body: string;
}

export class ManifestError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid persisted query manifest:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ManifestError';
  }
}

function definitionOrder(definition: DefinitionNode): [number, string] {
  if (definition.kind === Kind.OPERATION_DEFINITION) return [0, definition.name?.value ?? ''];
  if (definition.kind === Kind.FRAGMENT_DEFINITION) return [1, definition.name.value];
  return [2, ''];
}

/**
 * The form two bodies are compared in, as Apollo Router's safelist does:
 * operations then fragments, each sorted by name, printed in graphql-js's
 * standard format. Whitespace, commas, comments and definition order do not
 * matter; field order and everything else does.
 */
export function normalizeDocument(document: DocumentNode): string {
  const definitions = [...document.definitions].sort((a, b) => {
    const [kindA, nameA] = definitionOrder(a);
    const [kindB, nameB] = definitionOrder(b);
    return kindA - kindB || (nameA < nameB ? -1 : nameA > nameB ? 1 : 0);
  });
  return print({ ...document, definitions });
}

/** The normalized body, or the text itself when it does not parse (then only a byte-exact match counts). */
export function normalizeBody(body: string): string {
  try {
    return normalizeDocument(parse(body, { noLocation: true }));
  } catch {
    return body;
  }
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** A validated manifest, indexed by id and by normalized body. */
export class PersistedQueryManifest {
  private readonly byId = new Map<string, ManifestOperation>();
  private readonly byExactBody = new Map<string, ManifestOperation>();
  private readonly byNormalizedBody = new Map<string, ManifestOperation>();

  constructor(
    readonly operations: readonly ManifestOperation[],
    /** sha256 of the file's text, to tell a changed file from a touched one. */
    readonly checksum: string,
  ) {
    for (const operation of operations) {
      this.byId.set(operation.id, operation);
      this.byExactBody.set(operation.body, operation);
      this.byNormalizedBody.set(normalizeBody(operation.body), operation);
    }
  }

  get size(): number {
    return this.operations.length;
  }

  operationById(id: string): ManifestOperation | undefined {
    return this.byId.get(id);
  }

  /** The listed operation with this body, compared normalized. */
  operationByBody(body: string): ManifestOperation | undefined {
    return this.byExactBody.get(body) ?? this.byNormalizedBody.get(normalizeBody(body));
  }

  /**
   * Parses and checks a manifest file's text: Apollo's format, version 1,
   * unique ids and names, bodies that parse and hold the named operation, and,
   * given the API schema, bodies that validate against it. Throws a
   * ManifestError listing every problem.
   */
  static parse(text: string, apiSchema?: GraphQLSchema): PersistedQueryManifest {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new ManifestError([`not valid JSON: ${(error as Error).message}`]);
    }
    const { format, version, operations } = (json ?? {}) as Record<string, unknown>;
    if (format !== MANIFEST_FORMAT) throw new ManifestError([`"format" must be "${MANIFEST_FORMAT}"`]);
    if (version !== 1) throw new ManifestError(['"version" must be 1']);
    if (!Array.isArray(operations)) throw new ManifestError(['"operations" must be an array']);
    const problems: string[] = [];
    const ids = new Set<string>();
    const names = new Set<string>();
    const valid: ManifestOperation[] = [];
    operations.forEach((item: unknown, index) => {
      const { id, name, type, body } = (item ?? {}) as Record<string, unknown>;
      const where = `operations[${index}]${typeof name === 'string' ? ` (${name})` : ''}`;
      if (typeof id !== 'string' || id === '') return problems.push(`${where}: "id" must be a non-empty string`);
      if (typeof name !== 'string' || name === '') return problems.push(`${where}: "name" must be a non-empty string`);
      if (!OPERATION_TYPES.includes(type as ManifestOperation['type'])) return problems.push(`${where}: "type" must be query, mutation or subscription`);
      if (typeof body !== 'string') return problems.push(`${where}: "body" must be a string`);
      if (ids.has(id)) problems.push(`${where}: id ${id} is listed twice`);
      if (names.has(name)) problems.push(`${where}: operation name ${name} is listed twice`);
      ids.add(id);
      names.add(name);
      let document: DocumentNode;
      try {
        document = parse(body, { noLocation: true });
      } catch (error) {
        return problems.push(`${where}: body does not parse: ${(error as Error).message}`);
      }
      const operationsInBody = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
      if (operationsInBody.length !== 1 || operationsInBody[0].name?.value !== name || operationsInBody[0].operation !== type) {
        return problems.push(`${where}: body must hold exactly one operation, the ${type} ${name}`);
      }
      if (apiSchema) {
        const errors = validate(apiSchema, document);
        if (errors.length > 0) return problems.push(`${where}: does not validate against the schema: ${errors.map((e) => e.message).join('; ')}`);
      }
      valid.push({ id, name, type: type as ManifestOperation['type'], body });
    });
    if (problems.length > 0) throw new ManifestError(problems);
    return new PersistedQueryManifest(valid, sha256Hex(text));
  }
}
