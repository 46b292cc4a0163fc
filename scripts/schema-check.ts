import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, printSchema, type GraphQLSchema } from 'graphql';
import { BreakingChangeType, findBreakingChanges, findDangerousChanges, type BreakingChange, type DangerousChange } from 'graphql/utilities';
import { schemaDir } from '../lib/paths';
import { apiSchemaOf } from './client-artifacts';

/**
 * Schema change checks (npm run schema:check): the API schema composed from
 * schema/supergraph.graphql against the last released one,
 * schema/released/api-schema.graphql, with graphql-js's own
 * findBreakingChanges and findDangerousChanges. A breaking change fails the
 * check unless schema/released/intentional-changes.json declares it, with a
 * reason; dangerous changes are warnings. `npm run schema:release` makes the
 * current API schema the released one and empties the list of intentional
 * changes; `npm run schema:generate` never touches schema/released/.
 */

export const RELEASED_SCHEMA_FILE = 'released/api-schema.graphql';
export const INTENTIONAL_CHANGES_FILE = 'released/intentional-changes.json';

/** A breaking change someone decided to ship: graphql-js's `type` and `description`, word for word, and why. */
export interface IntentionalChange {
  type: string;
  description: string;
  reason: string;
}

export interface SchemaCheckReport {
  /** Breaking changes nobody declared: the check fails. */
  undeclared: BreakingChange[];
  /** Breaking changes listed in the intentional changes, with their reason. */
  declared: (BreakingChange & { reason: string })[];
  /** Changes that may alter what existing clients get (an added enum value, a changed default): warnings. */
  dangerous: DangerousChange[];
  /** Declarations that match no breaking change (already released, or mistyped): warnings. */
  unusedDeclarations: IntentionalChange[];
  passed: boolean;
}

export class IntentionalChangesError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid ${INTENTIONAL_CHANGES_FILE}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'IntentionalChangesError';
  }
}

/** The API schema clients see, printed as it is committed in schema/released/. */
export function printApiSchema(supergraphSdl: string): string {
  return `${printSchema(apiSchemaOf(supergraphSdl)).trimEnd()}\n`;
}

/** The file's text when nothing is declared: what a release leaves behind. */
export function emptyIntentionalChanges(): string {
  return `${JSON.stringify({ changes: [] }, null, 2)}\n`;
}

/** Parses `{ "changes": [{ "type", "description", "reason" }] }`; every problem at once. */
export function parseIntentionalChanges(text: string): IntentionalChange[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new IntentionalChangesError([`not valid JSON: ${(error as Error).message}`]);
  }
  const changes = (json as { changes?: unknown } | null)?.changes;
  if (!Array.isArray(changes)) throw new IntentionalChangesError(['expected an object with a "changes" array']);
  const types = Object.values(BreakingChangeType) as string[];
  const problems: string[] = [];
  changes.forEach((item: unknown, index) => {
    const { type, description, reason } = (item ?? {}) as Record<string, unknown>;
    if (typeof type !== 'string' || !types.includes(type)) problems.push(`changes[${index}]: "type" must be one of ${types.join(', ')}`);
    if (typeof description !== 'string' || description === '') problems.push(`changes[${index}]: "description" must be the change's description, word for word`);
    if (typeof reason !== 'string' || reason.trim() === '') problems.push(`changes[${index}]: "reason" must say why the change is intended`);
  });
  if (problems.length > 0) throw new IntentionalChangesError(problems);
  return changes as IntentionalChange[];
}

/** Compares the current API schema with the released one. */
export function checkSchemaChanges(released: GraphQLSchema, current: GraphQLSchema, intentional: readonly IntentionalChange[]): SchemaCheckReport {
  const breaking = findBreakingChanges(released, current);
  const dangerous = findDangerousChanges(released, current);
  const declarationOf = (change: BreakingChange) => intentional.find((entry) => entry.type === change.type && entry.description === change.description);
  const undeclared = breaking.filter((change) => !declarationOf(change));
  const declared = breaking.flatMap((change) => {
    const declaration = declarationOf(change);
    return declaration ? [{ ...change, reason: declaration.reason }] : [];
  });
  const unusedDeclarations = intentional.filter((entry) => !breaking.some((change) => change.type === entry.type && change.description === entry.description));
  return { undeclared, declared, dangerous, unusedDeclarations, passed: undeclared.length === 0 };
}

/** The check on the files of a schema directory (the committed ones by default). */
export function checkSchemaDirectory(dir = schemaDir()): SchemaCheckReport {
  const released = buildSchema(readFileSync(path.join(dir, RELEASED_SCHEMA_FILE), 'utf8'));
  const current = apiSchemaOf(readFileSync(path.join(dir, 'supergraph.graphql'), 'utf8'));
  return checkSchemaChanges(released, current, parseIntentionalChanges(readFileSync(path.join(dir, INTENTIONAL_CHANGES_FILE), 'utf8')));
}

/** What `npm run schema:check` prints. */
export function formatSchemaCheck(report: SchemaCheckReport): string[] {
  const lines: string[] = [];
  for (const change of report.undeclared) lines.push(`BREAKING  ${change.type}: ${change.description}`);
  for (const change of report.declared) lines.push(`breaking, declared intentional  ${change.type}: ${change.description} (${change.reason})`);
  for (const change of report.dangerous) lines.push(`warning   ${change.type}: ${change.description}`);
  for (const entry of report.unusedDeclarations) lines.push(`warning   ${INTENTIONAL_CHANGES_FILE} declares a change that is not made: ${entry.type}: ${entry.description}`);
  if (report.passed) {
    lines.push(`Schema check passed: no undeclared breaking change since schema/${RELEASED_SCHEMA_FILE} (${report.declared.length} declared, ${report.dangerous.length} dangerous).`);
  } else {
    lines.push(
      `Schema check failed: ${report.undeclared.length} breaking change(s) since schema/${RELEASED_SCHEMA_FILE}.`,
      `Keep the schema compatible (deprecate instead of removing, add optional arguments), or declare each change in schema/${INTENTIONAL_CHANGES_FILE}:`,
      `  { "type": "<type>", "description": "<description, word for word>", "reason": "<why clients can take it>" }`,
    );
  }
  return lines;
}

/** `npm run schema:release`: the current API schema becomes the released one, and nothing is declared any more. */
export function releaseSchema(dir = schemaDir()): void {
  mkdirSync(path.join(dir, path.dirname(RELEASED_SCHEMA_FILE)), { recursive: true });
  writeFileSync(path.join(dir, RELEASED_SCHEMA_FILE), printApiSchema(readFileSync(path.join(dir, 'supergraph.graphql'), 'utf8')));
  writeFileSync(path.join(dir, INTENTIONAL_CHANGES_FILE), emptyIntentionalChanges());
}

function main(command = 'check'): number {
  if (command === 'release') {
    releaseSchema();
    console.log(`  wrote      schema/${RELEASED_SCHEMA_FILE}\n  wrote      schema/${INTENTIONAL_CHANGES_FILE} (no intentional changes)`);
    return 0;
  }
  if (command !== 'check') {
    console.error('usage: node dist/scripts/schema-check.js [check|release]');
    return 1;
  }
  try {
    const report = checkSchemaDirectory();
    for (const line of formatSchemaCheck(report)) (report.passed ? console.log : console.error)(line);
    return report.passed ? 0 : 1;
  } catch (error) {
    console.error((error as Error).message);
    return 1;
  }
}

if (require.main === module) process.exitCode = main(process.argv[2]);
