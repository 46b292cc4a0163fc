import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Kind, parse, type EnumTypeDefinitionNode } from 'graphql';
import { ErrorCode } from './errors';
import { repoRoot, schemaDir } from './paths';

/**
 * Error codes are named in one place (ErrorCode); the contract's enum and the
 * README's table must list exactly the same codes, so a code raised anywhere
 * is documented everywhere.
 */
describe('error codes', () => {
  const codes = Object.values(ErrorCode).sort();

  it('the contract enum lists exactly ErrorCode', () => {
    const contract = parse(readFileSync(path.join(schemaDir(), 'api-contract.graphql'), 'utf8'));
    const enumeration = contract.definitions.find((d): d is EnumTypeDefinitionNode => d.kind === Kind.ENUM_TYPE_DEFINITION && d.name.value === 'ErrorCode');
    expect(enumeration?.values?.map((value) => value.name.value).sort()).toEqual(codes);
  });

  it("the README's table lists exactly ErrorCode", () => {
    const readme = readFileSync(path.join(repoRoot(), 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Error codes'));
    const listed = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((match) => match[1]).sort();
    expect(listed).toEqual(codes);
  });

  it('no source file spells a code itself: every one comes from ErrorCode', () => {
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'lib', 'gateway', 'subgraphs', 'scripts'], { cwd: repoRoot(), encoding: 'utf8' })
      .split('\n')
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && file !== 'lib/errors.ts');
    const spelled: string[] = [];
    for (const file of files) {
      const text = readFileSync(path.join(repoRoot(), file), 'utf8');
      for (const code of codes) if (text.includes(`'${code}'`) || text.includes(`"${code}"`)) spelled.push(`${file}: ${code}`);
    }
    expect(spelled).toEqual([]);
  });

  it('each key is its value', () => {
    for (const [key, value] of Object.entries(ErrorCode)) expect(value).toBe(key);
  });
});
