import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildSchema } from 'graphql';
import { BreakingChangeType, DangerousChangeType } from 'graphql/utilities';
import { schemaDir } from '../lib/paths';
import { buildSchemaArtifacts } from './schema-artifacts';
import {
  checkSchemaChanges,
  checkSchemaDirectory,
  formatSchemaCheck,
  INTENTIONAL_CHANGES_FILE,
  IntentionalChangesError,
  parseIntentionalChanges,
  printApiSchema,
  RELEASED_SCHEMA_FILE,
  releaseSchema,
  type IntentionalChange,
} from './schema-check';

const releasedSdl = readFileSync(path.join(schemaDir(), RELEASED_SCHEMA_FILE), 'utf8');
const released = buildSchema(releasedSdl);
const currentSdl = printApiSchema(readFileSync(path.join(schemaDir(), 'supergraph.graphql'), 'utf8'));

/** The current API schema with textual edits, each of which must apply. */
function edited(...edits: [string | RegExp, string][]): string {
  return edits.reduce((sdl, [from, to]) => {
    const next = sdl.replace(from, to);
    if (next === sdl) throw new Error(`edit ${String(from)} does not apply`);
    return next;
  }, currentSdl);
}

// A removed field, a changed type, a new required argument.
const breakingEdits: [string | RegExp, string][] = [
  [/\n {2}"""The signed-in user; null when anonymous"""\n {2}me: User\n/, '\n'],
  ['  """City or town"""\n  city: String!', '  """City or town"""\n  city: Int!'],
  ['  categories: [Category!]!', '  categories(locale: String!): [Category!]!'],
];
const expectedBreaking = [
  { type: BreakingChangeType.FIELD_REMOVED, description: 'Query.me was removed.' },
  { type: BreakingChangeType.FIELD_CHANGED_KIND, description: 'Address.city changed type from String! to Int!.' },
  { type: BreakingChangeType.REQUIRED_ARG_ADDED, description: 'A required arg locale on Query.categories was added.' },
];

describe('schema change checks', () => {
  it('pass on the committed artifacts: the released snapshot is a printed API schema, and nothing undeclared breaks it', () => {
    const report = checkSchemaDirectory();
    expect(report.undeclared).toEqual([]);
    expect(report.unusedDeclarations).toEqual([]);
    expect(report.passed).toBe(true);
    expect(formatSchemaCheck(report).at(-1)).toMatch(/^Schema check passed/);
    expect(parseIntentionalChanges(readFileSync(path.join(schemaDir(), INTENTIONAL_CHANGES_FILE), 'utf8'))).toEqual(expect.any(Array));
  });

  it('report a removed field, a changed type and a new required argument as breaking, and fail', () => {
    const report = checkSchemaChanges(released, buildSchema(edited(...breakingEdits)), []);
    expect(report.undeclared.map(({ type, description }) => ({ type, description }))).toEqual(expect.arrayContaining(expectedBreaking));
    expect(report.undeclared).toHaveLength(expectedBreaking.length);
    expect(report.passed).toBe(false);
    const lines = formatSchemaCheck(report);
    for (const { type, description } of expectedBreaking) expect(lines).toContain(`BREAKING  ${type}: ${description}`);
    expect(lines.join('\n')).toMatch(/Schema check failed: 3 breaking change/);
  });

  it('accept a breaking change declared intentional, with its reason, and fail on the others', () => {
    const declared: IntentionalChange[] = [{ ...expectedBreaking[0], reason: 'me moved to viewer in 2.0, announced in March' }];
    const report = checkSchemaChanges(released, buildSchema(edited(...breakingEdits)), declared);
    expect(report.declared).toEqual([expect.objectContaining({ ...expectedBreaking[0], reason: declared[0].reason })]);
    expect(report.undeclared).toHaveLength(2);
    expect(report.passed).toBe(false);

    const all = checkSchemaChanges(released, buildSchema(edited(...breakingEdits)), expectedBreaking.map((change) => ({ ...change, reason: 'agreed with every client' })));
    expect(all.passed).toBe(true);
    expect(formatSchemaCheck(all)).toContain('breaking, declared intentional  FIELD_REMOVED: Query.me was removed. (agreed with every client)');
  });

  it('warn about a declaration that matches no change, without failing', () => {
    const stale: IntentionalChange[] = [{ ...expectedBreaking[0], reason: 'released already' }];
    const report = checkSchemaChanges(released, buildSchema(currentSdl), stale);
    expect(report.passed).toBe(true);
    expect(report.unusedDeclarations).toEqual(stale);
    expect(formatSchemaCheck(report)).toContainEqual(expect.stringMatching(/^warning .*declares a change that is not made: FIELD_REMOVED: Query\.me was removed\.$/));
  });

  it('report an added enum value and a changed argument default as dangerous, without failing', () => {
    const current = edited(['  """Received by the customer"""\n  DELIVERED\n', '  """Received by the customer"""\n  DELIVERED\n\n  """Sent back"""\n  RETURNED\n'], ['first: Int = 20', 'first: Int = 10']);
    const report = checkSchemaChanges(released, buildSchema(current), []);
    expect(report.passed).toBe(true);
    expect(report.undeclared).toEqual([]);
    expect(report.dangerous.map(({ type, description }) => ({ type, description }))).toEqual(
      expect.arrayContaining([
        { type: DangerousChangeType.VALUE_ADDED_TO_ENUM, description: 'RETURNED was added to enum type OrderStatus.' },
        { type: DangerousChangeType.ARG_DEFAULT_VALUE_CHANGE, description: 'Category.products arg first has changed defaultValue from 20 to 10.' },
      ]),
    );
    const lines = formatSchemaCheck(report);
    expect(lines).toContain('warning   VALUE_ADDED_TO_ENUM: RETURNED was added to enum type OrderStatus.');
    // Two more than the current schema's own dangerous additions since the release (optional arguments and input fields).
    const sinceRelease = checkSchemaChanges(released, buildSchema(currentSdl), []).dangerous.length;
    expect(lines.at(-1)).toMatch(new RegExp(`^Schema check passed: .*${sinceRelease + 2} dangerous`));
  });

  it('refuse a declaration without a known type, the description or a reason', () => {
    expect(() => parseIntentionalChanges('[]')).toThrow(IntentionalChangesError);
    expect(() => parseIntentionalChanges('{"changes": [{"type": "FIELD_GONE", "description": "", "reason": " "}]}')).toThrow(
      expect.objectContaining({ problems: [expect.stringMatching(/"type" must be one of/), expect.stringMatching(/"description"/), expect.stringMatching(/"reason"/)] }),
    );
  });

  it('release: the current API schema becomes the baseline and the declarations are cleared; schema:generate never writes schema/released/', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'schema-release-'));
    cpSync(path.join(schemaDir(), 'supergraph.graphql'), path.join(dir, 'supergraph.graphql'));
    cpSync(path.join(schemaDir(), 'released'), path.join(dir, 'released'), { recursive: true });
    writeFileSync(path.join(dir, RELEASED_SCHEMA_FILE), edited(...breakingEdits));
    writeFileSync(path.join(dir, INTENTIONAL_CHANGES_FILE), JSON.stringify({ changes: [{ ...expectedBreaking[0], reason: 'shipped' }] }));
    expect(checkSchemaDirectory(dir).passed).toBe(false);

    releaseSchema(dir);
    expect(readFileSync(path.join(dir, RELEASED_SCHEMA_FILE), 'utf8')).toBe(currentSdl);
    expect(parseIntentionalChanges(readFileSync(path.join(dir, INTENTIONAL_CHANGES_FILE), 'utf8'))).toEqual([]);
    expect(checkSchemaDirectory(dir)).toMatchObject({ passed: true, undeclared: [], dangerous: [] });

    const generated = (await buildSchemaArtifacts()).map((artifact) => artifact.file);
    expect(generated.filter((file) => file.startsWith('released/'))).toEqual([]);
  }, 60_000);
});
