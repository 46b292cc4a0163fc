import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { schemaDir } from '../lib/paths';
import { PersistedQueryManifest } from '../gateway/persisted-queries/manifest';
import { MANIFEST_FILE } from './client-artifacts';
import { run } from './persisted-queries';

const manifest = PersistedQueryManifest.parse(readFileSync(path.join(schemaDir(), MANIFEST_FILE), 'utf8'));

function runCommand(args: string[]): { code: number; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const code = run(args, (line) => out.push(line), (line) => err.push(line));
  return { code, out, err };
}

describe('npm run persisted-queries -- list', () => {
  it('prints every operation of the committed manifest with its type and id, sorted by name', () => {
    const { code, out, err } = runCommand(['list']);
    expect({ code, err }).toEqual({ code: 0, err: [] });
    expect(out[0].split(/\s+/)).toEqual(['name', 'type', 'id']);
    const rows = out.slice(1).map((line) => line.split(/\s+/));
    expect(rows).toHaveLength(manifest.operations.length);
    expect(rows).toEqual(expect.arrayContaining(manifest.operations.map(({ id, name, type }) => [name, type, id])));
    const names = rows.map(([name]) => name);
    expect(names).toEqual([...names].sort());
    const categories = manifest.operations.find((operation) => operation.name === 'Categories')!;
    expect(out).toContainEqual(expect.stringMatching(new RegExp(`^Categories\\s+query\\s+${categories.id}$`)));
  });

  it('filters by type', () => {
    const { code, out } = runCommand(['list', '--type', 'subscription']);
    expect(code).toBe(0);
    expect(out.slice(1).map((line) => line.split(/\s+/)[0])).toEqual(
      manifest.operations.filter((operation) => operation.type === 'subscription').map((operation) => operation.name).sort(),
    );
  });

  it('reads another manifest, and refuses a bad one or an unknown command with a message', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'manifest-'));
    const other = path.join(dir, 'manifest.json');
    writeFileSync(other, JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: 'abc', name: 'Hello', type: 'query', body: 'query Hello { __typename }' }] }));
    expect(runCommand(['list', '--manifest', other]).out.slice(1)).toEqual([expect.stringMatching(/^Hello\s+query\s+abc$/)]);

    writeFileSync(other, '{"format":"something else"}');
    const bad = runCommand(['list', '--manifest', other]);
    expect(bad.code).toBe(1);
    expect(bad.err.join('\n')).toMatch(/"format" must be/);

    for (const args of [[], ['show'], ['list', '--type', 'fragment']]) {
      const refused = runCommand(args);
      expect(refused.code).toBe(1);
      expect(refused.err).toEqual([expect.stringMatching(/^usage: npm run persisted-queries -- list/)]);
    }
  });
});
