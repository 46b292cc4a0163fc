import { BREAK, Kind, visit, type DocumentNode, type GraphQLError, type ValueNode } from 'graphql';
import { badUserInput } from './errors';

/**
 * PostgreSQL text cannot hold U+0000, and a UTF-16 surrogate without its other
 * half is no character at all (the driver would store U+FFFD instead). Both
 * are refused at the subgraph boundary, before any resolver runs, so no
 * argument ever reaches SQL as something the database rejects or corrupts.
 * Without the `u` flag the pattern sees UTF-16 code units, which is what
 * finds the unpaired halves.
 */
const INVALID_TEXT = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** What is wrong with `text`, in words, or null when it is valid text. */
export function textProblem(text: string): string | null {
  const match = INVALID_TEXT.exec(text);
  if (!match) return null;
  return match[0] === '\0' ? 'a NUL character (U+0000)' : 'an unpaired UTF-16 surrogate';
}

export function isValidText(text: string): boolean {
  return !INVALID_TEXT.test(text);
}

interface Found {
  /** Where the text is, e.g. `$filter.search` or `ids[2]`. */
  path: string;
  problem: string;
}

/** The first invalid string in a JSON value (variables), keys included. */
function findInJson(value: unknown, path: string): Found | null {
  if (typeof value === 'string') {
    const problem = textProblem(value);
    return problem ? { path, problem } : null;
  }
  if (typeof value !== 'object' || value === null) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const found = findInJson(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  for (const [key, item] of Object.entries(value)) {
    // A key is echoed in the message only once it is known to be printable.
    const keyProblem = textProblem(key);
    if (keyProblem) return { path, problem: `a key with ${keyProblem}` };
    const found = findInJson(item, `${path}.${key}`);
    if (found) return found;
  }
  return null;
}

/** The first invalid string literal in an argument value or a default. */
function findInLiteral(node: ValueNode, path: string): Found | null {
  switch (node.kind) {
    case Kind.STRING: {
      const problem = textProblem(node.value);
      return problem ? { path, problem } : null;
    }
    case Kind.LIST:
      for (let i = 0; i < node.values.length; i += 1) {
        const found = findInLiteral(node.values[i], `${path}[${i}]`);
        if (found) return found;
      }
      return null;
    case Kind.OBJECT:
      for (const field of node.fields) {
        const found = findInLiteral(field.value, `${path}.${field.name.value}`);
        if (found) return found;
      }
      return null;
    default:
      return null;
  }
}

type Refusal = { message: string; extensions: Record<string, unknown> };

/**
 * Literals are fixed per document, and Apollo Server hands the same parsed
 * document to every request with the same query text: each document is
 * walked once.
 */
const literalRefusals = new WeakMap<DocumentNode, Refusal | null>();

function refusalInLiterals(document: DocumentNode): Refusal | null {
  const known = literalRefusals.get(document);
  if (known !== undefined) return known;
  let refusal: Refusal | null = null;
  // Arguments are visited right after their field or directive is entered, so `owner` is theirs.
  let owner = '';
  visit(document, {
    Field: (node) => {
      owner = `field "${node.name.value}"`;
    },
    Directive: (node) => {
      owner = `directive "@${node.name.value}"`;
    },
    Argument: (node) => {
      const found = findInLiteral(node.value, node.name.value);
      if (!found) return false;
      refusal = { message: `Argument "${found.path}" of ${owner} contains ${found.problem}`, extensions: { argumentName: found.path } };
      return BREAK;
    },
    VariableDefinition: (node) => {
      const name = `$${node.variable.name.value}`;
      const found = node.defaultValue ? findInLiteral(node.defaultValue, name) : null;
      if (!found) return undefined;
      refusal = { message: `The default value of "${found.path}" contains ${found.problem}`, extensions: { variablePath: found.path } };
      return BREAK;
    },
  });
  literalRefusals.set(document, refusal);
  return refusal;
}

function refusalInVariables(variables: Record<string, unknown> | null | undefined): Refusal | null {
  if (!variables) return null;
  for (const [name, value] of Object.entries(variables)) {
    const found = findInJson(value, `$${name}`);
    if (found) return { message: `Variable "${found.path}" contains ${found.problem}`, extensions: { variablePath: found.path } };
  }
  return null;
}

/**
 * BAD_USER_INPUT naming the first string of the operation (a literal in the
 * document or a variable, at any depth) that is not valid text, or null when
 * every string is. `extensions` is added to the error's (the HTTP status).
 */
export function invalidTextError(
  document: DocumentNode,
  variables: Record<string, unknown> | null | undefined,
  extensions: Record<string, unknown> = {},
): GraphQLError | null {
  const refusal = refusalInLiterals(document) ?? refusalInVariables(variables);
  if (!refusal) return null;
  return badUserInput(`${refusal.message}, which is not valid text: remove it or send well-formed Unicode`, { ...refusal.extensions, ...extensions });
}
