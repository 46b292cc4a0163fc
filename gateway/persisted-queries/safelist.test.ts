import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../lib/config';
import { schemaDir } from '../../lib/paths';
import { ApiKeyRegistry, DEMO_API_CLIENT, DEMO_API_KEY, hashApiKey, parseApiKeyEntries } from './api-keys';
import { ManifestError, normalizeBody, PersistedQueryManifest, sha256Hex } from './manifest';
import { persistedQueriesConfig } from './persisted-queries.config';
import { checkOperation, decide } from './safelist';

const listedBody = 'query Listed($id: ID) {\n  product(id: $id) {\n    ...Card\n  }\n}\n\nfragment Card on Product {\n  id\n  name\n}';
const listedId = sha256Hex(listedBody);
const manifestText = JSON.stringify({
  format: 'apollo-persisted-query-manifest',
  version: 1,
  operations: [{ id: listedId, name: 'Listed', type: 'query', body: listedBody }],
});
const manifest = PersistedQueryManifest.parse(manifestText);
const unlisted = '{ categories { id } }';
const unlistedId = sha256Hex(unlisted);
const options = { introspectionOnly: () => false };

describe('body normalization', () => {
  it('ignores whitespace, commas, comments and definition order, not field order', () => {
    const reordered = `# the card
      fragment Card on Product { id, name }
      query Listed($id: ID) { product(id: $id) { ...Card } }`;
    expect(normalizeBody(reordered)).toBe(normalizeBody(listedBody));
    expect(manifest.operationByBody(reordered)?.id).toBe(listedId);
    expect(manifest.operationByBody(listedBody.replace('id\n  name', 'name\n  id'))).toBeUndefined();
  });

  it('keeps an unparsable body as it is, so it can only match byte for byte', () => {
    expect(normalizeBody('{ broken')).toBe('{ broken');
    expect(manifest.operationByBody('{ broken')).toBeUndefined();
  });
});

describe('the safelist decision for one request', () => {
  it('serves a listed id from the manifest for every policy', () => {
    for (const policy of ['any', 'safelist', 'ids'] as const) {
      expect(decide({ persistedQueryId: listedId }, policy, manifest, options)).toEqual({ kind: 'manifest', operation: manifest.operations[0] });
    }
  });

  it('leaves unlisted ids and bodies to APQ and execution for any-policy clients', () => {
    expect(decide({ persistedQueryId: unlistedId }, 'any', manifest, options)).toEqual({ kind: 'pass' });
    expect(decide({ persistedQueryId: unlistedId, query: unlisted }, 'any', manifest, options)).toEqual({ kind: 'pass' });
    expect(decide({ query: unlisted }, 'any', manifest, options)).toEqual({ kind: 'pass' });
  });

  it('refuses an unlisted id with PERSISTED_QUERY_NOT_IN_LIST (404), never falling back to APQ', () => {
    for (const policy of ['safelist', 'ids'] as const) {
      const decision = decide({ persistedQueryId: unlistedId }, policy, manifest, options);
      expect(decision).toMatchObject({ kind: 'refuse', refusal: { code: 'PERSISTED_QUERY_NOT_IN_LIST', status: 404 } });
    }
  });

  it('refuses an APQ registration of an unlisted body with QUERY_NOT_IN_SAFELIST (403)', () => {
    const decision = decide({ persistedQueryId: unlistedId, query: unlisted }, 'safelist', manifest, options);
    expect(decision).toMatchObject({ kind: 'refuse', refusal: { code: 'QUERY_NOT_IN_SAFELIST', status: 403 } });
  });

  it('does not run a different body sent with a listed id', () => {
    const decision = decide({ persistedQueryId: listedId, query: unlisted }, 'safelist', manifest, options);
    expect(decision).toMatchObject({ kind: 'refuse', refusal: { code: 'QUERY_NOT_IN_SAFELIST' } });
  });

  it('serves a listed body (by body) to safelist clients, as the listed text', () => {
    expect(decide({ query: listedBody }, 'safelist', manifest, options)).toEqual({ kind: 'manifest', operation: manifest.operations[0] });
    expect(decide({ query: unlisted }, 'safelist', manifest, options)).toMatchObject({ kind: 'refuse', refusal: { code: 'QUERY_NOT_IN_SAFELIST' } });
  });

  it('refuses any body from ids-only clients with PERSISTED_QUERY_ID_REQUIRED (400)', () => {
    for (const query of [listedBody, unlisted]) {
      expect(decide({ query }, 'ids', manifest, options)).toMatchObject({ kind: 'refuse', refusal: { code: 'PERSISTED_QUERY_ID_REQUIRED', status: 400 } });
    }
  });

  it('lets introspection through the body safelist only where introspection is on', () => {
    // Whether a body is introspection only is the operation analysis's answer (operation-analysis.test.ts).
    const introspection = '{ __schema { queryType { name } } }';
    expect(decide({ query: introspection }, 'safelist', manifest, { introspectionOnly: () => true })).toEqual({ kind: 'pass' });
    expect(decide({ query: introspection }, 'safelist', manifest, { introspectionOnly: () => false })).toMatchObject({ kind: 'refuse' });
    expect(decide({ query: introspection }, 'ids', manifest, { introspectionOnly: () => true })).toMatchObject({ kind: 'refuse' });
  });
});

describe('the gateway-wide safelist mode', () => {
  const context = (mode: 'off' | 'enforce' | 'log', policy: 'any' | 'safelist' | 'ids' = 'any') => ({ mode, policy, manifest, introspectionOnly: () => false });

  it('off: restricts only clients whose key says so', () => {
    expect(checkOperation({ query: unlisted }, context('off'))).toEqual({ decision: { kind: 'pass' } });
    expect(checkOperation({ query: unlisted }, context('off', 'safelist')).decision.kind).toBe('refuse');
  });

  it('enforce: every client sends listed operations; ids-only keys stay ids-only', () => {
    expect(checkOperation({ query: unlisted }, context('enforce')).decision).toMatchObject({ kind: 'refuse', refusal: { code: 'QUERY_NOT_IN_SAFELIST' } });
    expect(checkOperation({ persistedQueryId: unlistedId }, context('enforce')).decision).toMatchObject({ refusal: { code: 'PERSISTED_QUERY_NOT_IN_LIST' } });
    expect(checkOperation({ query: listedBody }, context('enforce')).decision.kind).toBe('manifest');
    expect(checkOperation({ query: listedBody }, context('enforce', 'ids')).decision).toMatchObject({ refusal: { code: 'PERSISTED_QUERY_ID_REQUIRED' } });
  });

  it('log: serves what enforce would refuse and reports it; keys keep their own policy', () => {
    expect(checkOperation({ query: unlisted }, context('log'))).toEqual({
      decision: { kind: 'pass' },
      logged: expect.objectContaining({ code: 'QUERY_NOT_IN_SAFELIST' }),
    });
    expect(checkOperation({ persistedQueryId: unlistedId }, context('log')).logged?.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    expect(checkOperation({ persistedQueryId: listedId }, context('log'))).toEqual({ decision: { kind: 'manifest', operation: manifest.operations[0] } });
    expect(checkOperation({ query: unlisted }, context('log', 'safelist')).decision.kind).toBe('refuse');
  });
});

describe('the manifest file', () => {
  it('loads the committed manifest in Apollo format with sha256 ids', () => {
    const committed = PersistedQueryManifest.parse(readFileSync(path.join(schemaDir(), 'persisted-query-manifest.json'), 'utf8'));
    expect(committed.size).toBeGreaterThan(20);
    for (const operation of committed.operations) expect(operation.id).toBe(sha256Hex(operation.body));
  });

  it('refuses a bad file with one line per problem', () => {
    const problems = (text: string) => {
      try {
        PersistedQueryManifest.parse(text);
        return [];
      } catch (error) {
        return (error as ManifestError).problems;
      }
    };
    expect(problems('{ "format": ')[0]).toMatch(/not valid JSON/);
    expect(problems(JSON.stringify({ format: 'other', version: 1, operations: [] }))).toEqual(['"format" must be "apollo-persisted-query-manifest"']);
    const operations = [
      { id: 'a', name: 'A', type: 'query', body: 'query A { x }' },
      { id: 'a', name: 'B', type: 'query', body: 'query B { x }' },
      { id: 'c', name: 'C', type: 'query', body: 'query C {' },
      { id: 'd', name: 'D', type: 'mutation', body: 'query D { x }' },
    ];
    expect(problems(JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations }))).toEqual([
      'operations[1] (B): id a is listed twice',
      expect.stringMatching(/^operations\[2\] \(C\): body does not parse/),
      'operations[3] (D): body must hold exactly one operation, the mutation D',
    ]);
  });
});

describe('API keys', () => {
  const entry = { client: 'acme-shop', keyHash: hashApiKey('acme-secret-key'), policy: 'ids' };

  it('identifies a client by its key, stored only as a hash', () => {
    const registry = new ApiKeyRegistry([entry as never]);
    expect(registry.identify('acme-secret-key')).toEqual({ name: 'acme-shop', policy: 'ids' });
    expect(registry.identify('acme-secret-key ')).toBeUndefined();
    expect(entry.keyHash).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('reports every bad entry, and a plain key, one line each', () => {
    const { entries, problems } = parseApiKeyEntries(
      JSON.stringify([entry, { client: 'x y', keyHash: 'md5:1', policy: 'all' }, { client: 'leaky', key: 'secret', keyHash: entry.keyHash, policy: 'any' }]),
      'API_KEYS',
    );
    expect(entries).toEqual([entry]);
    expect(problems).toEqual([
      'API_KEYS[1]: "client" must be a name of letters, digits, ".", "_" or "-" (at most 64)',
      'API_KEYS[1]: "keyHash" must be "sha256:" followed by 64 lowercase hex digits',
      'API_KEYS[1]: "policy" must be one of any, safelist, ids',
      'API_KEYS[2]: holds a plain "key"; configure only its "keyHash" (npm run api-key -- <client> prints both)',
    ]);
    expect(parseApiKeyEntries('{', 'API_KEYS').problems[0]).toMatch(/^API_KEYS: not valid JSON/);
  });

  const env = (overrides: Record<string, unknown> = {}) => ({
    APQ_TTL_SECONDS: 60,
    SAFELIST_MODE: 'off',
    PERSISTED_QUERY_MANIFEST_PATH: 'm.json',
    PERSISTED_QUERY_MANIFEST_WATCH: true,
    APQ_MAX_DOCUMENT_BYTES: 8_192,
    APQ_REGISTRATIONS_PER_WINDOW: 100,
    APQ_REGISTRATION_WINDOW_SECONDS: 3_600,
    ...overrides,
  });

  it('adds the demo key outside production only, and refuses it in production', () => {
    const development = new ApiKeyRegistry(persistedQueriesConfig(env({ API_KEYS: JSON.stringify([entry]) }), false).apiKeys);
    expect(development.identify(DEMO_API_KEY)).toEqual({ name: DEMO_API_CLIENT, policy: 'safelist' });
    expect(development.identify('acme-secret-key')?.name).toBe('acme-shop');
    const production = new ApiKeyRegistry(persistedQueriesConfig(env({ API_KEYS: JSON.stringify([entry]) }), true).apiKeys);
    expect(production.identify(DEMO_API_KEY)).toBeUndefined();
    const demoInProduction = () => persistedQueriesConfig(env({ API_KEYS: JSON.stringify([{ ...entry, keyHash: hashApiKey(DEMO_API_KEY) }]) }), true);
    expect(demoInProduction).toThrow(ConfigError);
    expect(demoInProduction).toThrow(/public demo key/);
  });

  it('refuses a key configured for two clients', () => {
    const twice = JSON.stringify([entry, { ...entry, client: 'other' }]);
    expect(() => persistedQueriesConfig(env({ API_KEYS: twice }), false)).toThrow(/the key of client "other" is also configured for "acme-shop"/);
  });
});
