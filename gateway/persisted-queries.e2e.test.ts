import { ApolloClient, gql, HttpLink, InMemoryCache, type ApolloLink } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { generatePersistedQueryIdsAtRuntime } from '@apollo/persisted-query-lists';
import Redis from 'ioredis';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { demoCatalog, DEMO_WAREHOUSES } from '../lib/demo-data';
import { createLogger, type Logger } from '../lib/logger';
import { schemaDir } from '../lib/paths';
import type { SubgraphName } from '../lib/subgraph-names';
import {
  AdminWarehousesDocument,
  CategoriesDocument,
  ProductListDocument,
  ProductPageDocument,
  type CategoriesQuery,
  type ProductPageQuery,
} from '../schema/generated/operations';
import { freePort, startProcess, waitUntilHealthy } from '../test/processes';
import { testRedisNamespace, testRedisUrl } from '../test/redis';
import { eventually } from '../test/wait';
import { TEST_INTERNAL_SECRET, TEST_JWT_SECRET } from '../test/subgraph-harness';
import { demoAdmin, startTestSupergraph, type TestSupergraph } from '../test/supergraph-harness';
import { readGatewayConfig, type GatewayConfig } from './gateway.config';
import { startGateway, type RunningGateway } from './gateway.server';
import { DEMO_API_KEY, hashApiKey } from './persisted-queries/api-keys';

/**
 * Automatic persisted queries, the manifest safelist and API keys, end to
 * end: Apollo Client's persisted query link and raw HTTP against real
 * gateways over the seeded supergraph, the APQ cache in a real Redis.
 */

const demo = demoCatalog();
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const committedManifestText = readFileSync(path.join(schemaDir(), 'persisted-query-manifest.json'), 'utf8');
const manifest = JSON.parse(committedManifestText) as { operations: { id: string; name: string; body: string }[] };
const listed = (name: string) => manifest.operations.find((operation) => operation.name === name)!;

/** This file's Redis keys, apart from other files, workers and runs; removed afterwards. */
const namespace = `${testRedisNamespace()}pq-${randomUUID().slice(0, 8)}:`;
const IDS_KEY = 'ids-only-integrator-test-key';
const ANY_KEY = 'back-office-test-key';
const API_KEYS = JSON.stringify([
  { client: 'ids-integrator', keyHash: hashApiKey(IDS_KEY), policy: 'ids' },
  { client: 'back-office', keyHash: hashApiKey(ANY_KEY), policy: 'any' },
]);
const baseEnv = { NODE_ENV: 'test', API_KEYS, APQ_TTL_SECONDS: '3600', REDIS_URL: testRedisUrl(), REDIS_NAMESPACE: namespace };

interface HttpResult {
  status: number;
  headers: Headers;
  data?: Record<string, any> | null;
  errors?: { message: string; extensions?: Record<string, any> }[];
}

async function send(url: string, init: RequestInit): Promise<HttpResult> {
  const response = await fetch(url, init);
  const body = (await response.json()) as Omit<HttpResult, 'status' | 'headers'>;
  return { status: response.status, headers: response.headers, ...body };
}

function post(url: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<HttpResult> {
  return send(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** A GET as the GraphQL-over-HTTP convention has it; the preflight header satisfies CSRF prevention. */
function get(url: string, params: Record<string, unknown>, headers: Record<string, string> = {}): Promise<HttpResult> {
  const search = new URLSearchParams(Object.entries(params).map(([name, value]): [string, string] => [name, typeof value === 'string' ? value : JSON.stringify(value)]));
  return send(`${url}?${search}`, { headers: { 'apollo-require-preflight': 'true', ...headers } });
}

const byId = (id: string) => ({ extensions: { persistedQuery: { version: 1, sha256Hash: id } } });
const registration = (query: string) => ({ query, ...byId(sha256(query)) });
const code = (result: HttpResult) => result.errors?.[0]?.extensions?.code;

/** What a client put on the wire, seen through the fetch it was given. */
interface SentRequest {
  method: string;
  query?: string;
  hash?: string;
}

function recordingFetch(sent: SentRequest[]): typeof fetch {
  return async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const method = init?.method ?? 'GET';
    const payload = method === 'GET' ? Object.fromEntries([...url.searchParams].map(([k, v]) => [k, k === 'extensions' || k === 'variables' ? JSON.parse(v) : v])) : JSON.parse(String(init?.body));
    sent.push({ method, query: payload.query, hash: payload.extensions?.persistedQuery?.sha256Hash });
    return fetch(input, init);
  };
}

/**
 * Apollo Client as an app would set it up: `apq` with the persisted query
 * link's sha256 (automatic persisted queries), `manifest` with Apollo's
 * runtime manifest ids (ids only, no registration).
 */
function apolloClient(url: string, options: { mode: 'apq' | 'manifest'; get?: boolean; headers?: Record<string, string>; sent?: SentRequest[] }) {
  const persisted: ApolloLink =
    options.mode === 'apq'
      ? new PersistedQueryLink({ sha256, useGETForHashedQueries: options.get ?? false })
      : new PersistedQueryLink({ ...generatePersistedQueryIdsAtRuntime({ sha256 }), useGETForHashedQueries: options.get ?? false });
  const http = new HttpLink({ uri: url, headers: options.headers, fetch: recordingFetch(options.sent ?? []) });
  return new ApolloClient({ link: persisted.concat(http), cache: new InMemoryCache() });
}

/** The GraphQL error code Apollo Client reports for a failed operation. */
function clientErrorCode(error: unknown): unknown {
  const failure = error as { errors?: { extensions?: { code?: unknown } }[]; bodyText?: string };
  if (failure.errors?.length) return failure.errors[0].extensions?.code;
  if (failure.bodyText) return (JSON.parse(failure.bodyText) as HttpResult).errors?.[0]?.extensions?.code;
  return undefined;
}

function capturingLogger(): { logger: Logger; lines: Record<string, any>[] } {
  const lines: Record<string, any>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

describe('persisted queries through the gateway', () => {
  let supergraph: TestSupergraph;
  let url: string;
  const extraGateways: RunningGateway[] = [];
  const redis = new Redis(testRedisUrl(), { lazyConnect: true });

  /** Another gateway over the same subgraphs, configured by environment variables as in a deployment. */
  async function startExtraGateway(env: Record<string, string | undefined>, logger: Logger = createLogger('gateway', 'silent')): Promise<RunningGateway> {
    const subgraphUrls = Object.fromEntries(Object.entries(supergraph.subgraphs).map(([name, subgraph]) => [name, `${subgraph.url}/graphql`])) as Record<SubgraphName, string>;
    const config: GatewayConfig = {
      ...readGatewayConfig({ ...baseEnv, JWT_SECRET: TEST_JWT_SECRET, INTERNAL_SECRET: TEST_INTERNAL_SECRET, ...env }),
      host: '127.0.0.1',
      port: 0,
      subgraphUrls,
    };
    const gateway = await startGateway(config, logger);
    extraGateways.push(gateway);
    return gateway;
  }

  beforeAll(async () => {
    const { redisUrl, redisNamespace, persistedQueries } = readGatewayConfig(baseEnv);
    supergraph = await startTestSupergraph({ gateway: { redisUrl, redisNamespace, persistedQueries } });
    url = supergraph.gatewayUrl;
  }, 60_000);

  afterAll(async () => {
    await Promise.all(extraGateways.map((gateway) => gateway.stop()));
    await supergraph?.stop();
    const keys = await redis.keys(`${namespace}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  describe('automatic persisted queries', () => {
    it('Apollo Client registers a query on PERSISTED_QUERY_NOT_FOUND, then any client sends the hash alone (POST)', async () => {
      const query = gql`
        query NewestProductNames {
          products(first: 3) {
            nodes {
              id
              name
            }
          }
        }
      `;
      const first: SentRequest[] = [];
      const result = await apolloClient(url, { mode: 'apq', sent: first }).query({ query, fetchPolicy: 'no-cache' });
      const newest = [...demo.products].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime()).slice(0, 3);
      expect(result.data).toEqual({ products: { __typename: 'ProductConnection', nodes: newest.map((p) => ({ __typename: 'Product', id: p.id, name: p.name })) } });
      expect(first).toEqual([
        { method: 'POST', query: undefined, hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
        { method: 'POST', query: expect.stringContaining('NewestProductNames'), hash: first[0].hash },
      ]);
      expect(first[0].hash).toBe(sha256(first[1].query!));

      const second: SentRequest[] = [];
      const again = await apolloClient(url, { mode: 'apq', sent: second }).query({ query, fetchPolicy: 'no-cache' });
      expect(again.data).toEqual(result.data);
      expect(second).toEqual([{ method: 'POST', query: undefined, hash: first[0].hash }]);
    });

    it('Apollo Client uses GET for hashed queries and falls back to POST only to register', async () => {
      const query = gql`
        query CategoryNames {
          categories {
            id
            name
          }
        }
      `;
      const first: SentRequest[] = [];
      const result = await apolloClient(url, { mode: 'apq', get: true, sent: first }).query({ query, fetchPolicy: 'no-cache' });
      expect((result.data as { categories: unknown[] }).categories).toHaveLength(demo.categories.length);
      expect(first.map(({ method, query: text }) => [method, text === undefined ? 'hash' : 'query']) ).toEqual([
        ['GET', 'hash'],
        ['POST', 'query'],
      ]);
      const second: SentRequest[] = [];
      await apolloClient(url, { mode: 'apq', get: true, sent: second }).query({ query, fetchPolicy: 'no-cache' });
      expect(second).toEqual([{ method: 'GET', query: undefined, hash: first[0].hash }]);
    });

    it('over raw HTTP: an unknown hash, a registration whose hash is verified, then the hash alone, by POST and GET', async () => {
      const query = `query CheapestProduct { products(first: 1, sort: PRICE_ASC) { nodes { id price { amount } } } }`;
      const hash = sha256(query);
      const unknown = await post(url, byId(hash));
      expect({ status: unknown.status, code: code(unknown) }).toEqual({ status: 200, code: 'PERSISTED_QUERY_NOT_FOUND' });
      const unknownByGet = await get(url, byId(hash));
      expect(code(unknownByGet)).toBe('PERSISTED_QUERY_NOT_FOUND');

      const forged = await post(url, { query, ...byId(sha256('{ categories { id } }')) });
      expect({ status: forged.status, code: code(forged), message: forged.errors?.[0].message }).toEqual({ status: 400, code: 'BAD_REQUEST', message: 'provided sha does not match query' });
      expect(code(await post(url, byId(sha256('{ categories { id } }'))))).toBe('PERSISTED_QUERY_NOT_FOUND');

      const registered = await get(url, registration(query));
      expect(registered.errors).toBeUndefined();
      const cheapest = [...demo.products].sort((a, b) => a.priceAmount - b.priceAmount)[0];
      expect(registered.data).toEqual({ products: { nodes: [{ id: cheapest.id, price: { amount: cheapest.priceAmount } }] } });
      await eventually(async () => ((await post(url, byId(hash))).data ? true : undefined), 'the registration to land');
      expect((await get(url, byId(hash))).data).toEqual(registered.data);
      expect((await post(url, byId(hash))).data).toEqual(registered.data);
    });

    it('keeps the cache in Redis: every gateway sharing it knows every hash, and entries expire', async () => {
      const other = await startExtraGateway({});
      const otherUrl = `${other.url}/graphql`;
      const viaFirst = `query WarehouseCount { warehouses { id } }`;
      const viaSecond = `query FirstCategory { categories { slug } }`;
      expect(code(await post(otherUrl, byId(sha256(viaFirst))))).toBe('PERSISTED_QUERY_NOT_FOUND');

      expect((await post(url, registration(viaFirst), { authorization: `Bearer ${await supergraph.tokenFor(demoAdmin)}` })).errors).toBeUndefined();
      expect((await post(otherUrl, registration(viaSecond))).errors).toBeUndefined();
      const token = await supergraph.tokenFor(demoAdmin);
      const fromSecond = await eventually(async () => {
        const result = await post(otherUrl, byId(sha256(viaFirst)), { authorization: `Bearer ${token}` });
        return result.data ? result : undefined;
      }, 'the second gateway to serve a hash registered through the first');
      expect(fromSecond.data!.warehouses).toHaveLength(DEMO_WAREHOUSES.length);
      const fromFirst = await eventually(async () => ((await post(url, byId(sha256(viaSecond)))).data ?? undefined), 'the first gateway to serve a hash registered through the second');
      expect(fromFirst.categories).toHaveLength(demo.categories.length);

      const key = `${namespace}gateway:apq:${sha256(viaFirst)}`;
      expect(await redis.get(key)).toBe(viaFirst);
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(3_500);
      expect(ttl).toBeLessThanOrEqual(3_600);

      // Without REDIS_URL the cache is the process's own.
      const alone = await startExtraGateway({ REDIS_URL: undefined });
      expect(code(await post(`${alone.url}/graphql`, byId(sha256(viaSecond))))).toBe('PERSISTED_QUERY_NOT_FOUND');
    });
    it('degrades to misses while Redis is unreachable: clients send their query again, nothing fails', async () => {
      const deadRedis = `redis://127.0.0.1:${await freePort()}`;
      const gateway = await startExtraGateway({ REDIS_URL: deadRedis });
      const gatewayUrl = `${gateway.url}/graphql`;
      const query = `query WhileRedisIsDown { categories { id } }`;
      expect(code(await post(gatewayUrl, byId(sha256(query))))).toBe('PERSISTED_QUERY_NOT_FOUND');
      const registered = await post(gatewayUrl, registration(query));
      expect(registered.errors).toBeUndefined();
      expect(registered.data!.categories).toHaveLength(demo.categories.length);
      const sent: SentRequest[] = [];
      const viaClient = await apolloClient(gatewayUrl, { mode: 'apq', sent }).query({ query: gql(query), fetchPolicy: 'no-cache' });
      expect((viaClient.data as { categories: unknown[] }).categories).toHaveLength(demo.categories.length);
      expect(sent.map((r) => r.query === undefined)).toEqual([true, false]);
    });
  });

  describe('the manifest', () => {
    it('serves a manifest operation called by id alone to Apollo Client with the typed documents', async () => {
      const product = demo.products[3];
      const sent: SentRequest[] = [];
      const client = apolloClient(url, { mode: 'manifest', headers: { 'x-api-key': DEMO_API_KEY }, sent });
      const { data } = await client.query({ query: ProductPageDocument, variables: { slug: product.slug }, fetchPolicy: 'no-cache' });
      const page: ProductPageQuery['product'] = data!.product;
      expect(page).toMatchObject({ id: product.id, name: product.name, sku: product.sku, price: { amount: product.priceAmount } });
      const categories = await client.query({ query: CategoriesDocument, fetchPolicy: 'no-cache' });
      const names: CategoriesQuery['categories'] = categories.data!.categories;
      expect(names.map((c) => c.slug).sort()).toEqual(demo.categories.map((c) => c.slug).sort());
      // The client computed the manifest's ids from its own documents: nothing but the id went over the wire.
      expect(sent).toEqual([
        { method: 'POST', query: undefined, hash: listed('ProductPage').id },
        { method: 'POST', query: undefined, hash: listed('Categories').id },
      ]);
    });

    it('serves an id alone over raw HTTP, GET or POST, to anonymous and keyed clients, without touching the APQ cache', async () => {
      const { id } = listed('Categories');
      const anonymous = await get(url, byId(id));
      expect(anonymous.errors).toBeUndefined();
      expect(anonymous.data!.categories).toHaveLength(demo.categories.length);
      expect((await post(url, byId(id), { 'x-api-key': IDS_KEY })).data).toEqual(anonymous.data);
      expect(await redis.exists(`${namespace}gateway:apq:${id}`)).toBe(0);
    });
  });

  describe('API keys with a safelist policy', () => {
    const unlisted = `query EveryProductSku { products(first: 100) { nodes { sku } } }`;

    it('the safelist key: PERSISTED_QUERY_NOT_IN_LIST for an unknown id, QUERY_NOT_IN_SAFELIST for an unlisted body, listed bodies served', async () => {
      const headers = { 'x-api-key': DEMO_API_KEY };
      const unknownId = await post(url, byId(sha256(unlisted)), headers);
      expect({ status: unknownId.status, code: code(unknownId), cache: unknownId.headers.get('cache-control') }).toEqual({
        status: 404,
        code: 'PERSISTED_QUERY_NOT_IN_LIST',
        cache: 'private, no-cache, must-revalidate',
      });
      const unknownByGet = await get(url, byId(sha256(unlisted)), headers);
      expect({ status: unknownByGet.status, code: code(unknownByGet) }).toEqual({ status: 404, code: 'PERSISTED_QUERY_NOT_IN_LIST' });

      const body = await post(url, { query: unlisted }, headers);
      expect({ status: body.status, code: code(body), data: body.data }).toEqual({ status: 403, code: 'QUERY_NOT_IN_SAFELIST', data: undefined });

      // A listed body counts however it is formatted: whitespace, comments and definition order aside.
      const { body: listedBody } = listed('ProductPage');
      const [operation, ...fragments] = listedBody.split('\n\nfragment ');
      const reformatted = `# product page\n${fragments.map((f) => `fragment ${f}`).join('\n')}\n${operation.replace(/\n\s*/g, ' ')}`;
      const product = demo.products[5];
      const served = await post(url, { query: reformatted, variables: { slug: product.slug } }, headers);
      expect(served.errors).toBeUndefined();
      expect(served.data!.product).toMatchObject({ id: product.id, name: product.name });
    });

    it('the ids-only key: PERSISTED_QUERY_ID_REQUIRED for any body, PERSISTED_QUERY_NOT_IN_LIST for an unknown id, listed ids served', async () => {
      const headers = { 'x-api-key': IDS_KEY };
      for (const query of [unlisted, listed('Categories').body]) {
        const refused = await post(url, { query }, headers);
        expect({ status: refused.status, code: code(refused) }).toEqual({ status: 400, code: 'PERSISTED_QUERY_ID_REQUIRED' });
      }
      const unknownId = await post(url, registration(unlisted), headers);
      expect({ status: unknownId.status, code: code(unknownId) }).toEqual({ status: 404, code: 'PERSISTED_QUERY_NOT_IN_LIST' });
      const sent: SentRequest[] = [];
      const client = apolloClient(url, { mode: 'manifest', get: true, headers: { 'x-api-key': IDS_KEY }, sent });
      const { data } = await client.query({ query: ProductListDocument, variables: { first: 2, sort: 'PRICE_DESC' }, fetchPolicy: 'no-cache' });
      expect(data!.products.nodes).toHaveLength(2);
      expect(sent).toEqual([{ method: 'GET', query: undefined, hash: listed('ProductList').id }]);
    });

    it('Apollo Client reports the refusal code and does not try to register the operation', async () => {
      const sent: SentRequest[] = [];
      const client = apolloClient(url, { mode: 'apq', headers: { 'x-api-key': DEMO_API_KEY }, sent });
      const failure = await client.query({ query: gql(unlisted), fetchPolicy: 'no-cache' }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(clientErrorCode(failure)).toBe('PERSISTED_QUERY_NOT_IN_LIST');
      expect(sent).toEqual([{ method: 'POST', query: undefined, hash: expect.any(String) }]);
    });

    it('refuses the APQ bypass: registering through APQ never adds to the safelist', async () => {
      const headers = { 'x-api-key': DEMO_API_KEY };
      const sneaky = `query AllStockLevels { products(first: 100) { nodes { id availableQuantity } } }`;
      // 1. A safelisted key registering its own operation is refused, and nothing is registered.
      const attempt = await post(url, registration(sneaky), headers);
      expect({ status: attempt.status, code: code(attempt), data: attempt.data }).toEqual({ status: 403, code: 'QUERY_NOT_IN_SAFELIST', data: undefined });
      expect(code(await post(url, byId(sha256(sneaky))))).toBe('PERSISTED_QUERY_NOT_FOUND');
      expect(await redis.exists(`${namespace}gateway:apq:${sha256(sneaky)}`)).toBe(0);
      // 2. Registered by a client that may use APQ, the hash still is not the safelisted key's to call.
      expect((await post(url, registration(sneaky))).errors).toBeUndefined();
      await eventually(async () => ((await post(url, byId(sha256(sneaky)))).data ? true : undefined), 'the anonymous registration');
      const viaHash = await post(url, byId(sha256(sneaky)), headers);
      expect({ status: viaHash.status, code: code(viaHash), data: viaHash.data }).toEqual({ status: 404, code: 'PERSISTED_QUERY_NOT_IN_LIST', data: undefined });
      const viaGet = await get(url, byId(sha256(sneaky)), headers);
      expect(code(viaGet)).toBe('PERSISTED_QUERY_NOT_IN_LIST');
      // 3. Nor can a listed id carry another body.
      const smuggled = await post(url, { query: sneaky, ...byId(listed('Categories').id) }, headers);
      expect(code(smuggled)).toBe('QUERY_NOT_IN_SAFELIST');
    });

    it('refuses an unknown key with UNAUTHENTICATED (401), even for a listed id', async () => {
      for (const key of ['not-a-configured-key', '']) {
        const refused = await post(url, byId(listed('Categories').id), { 'x-api-key': key });
        expect({ status: refused.status, code: code(refused), data: refused.data }).toEqual({ status: 401, code: 'UNAUTHENTICATED', data: undefined });
      }
      const byGet = await get(url, byId(listed('Categories').id), { 'x-api-key': 'not-a-configured-key' });
      expect({ status: byGet.status, code: code(byGet) }).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    });

    it('lets an any-policy key use APQ and arbitrary operations', async () => {
      const result = await post(url, registration(`query BackOfficeProbe { categories { id } }`), { 'x-api-key': ANY_KEY });
      expect(result.errors).toBeUndefined();
    });
  });

  describe('gateway-wide safelist modes', () => {
    it('enforce: every client, anonymous or keyed, sends listed operations only', async () => {
      const locked = await startExtraGateway({ SAFELIST_MODE: 'enforce' });
      const lockedUrl = `${locked.url}/graphql`;
      const arbitrary = `query Anything { categories { name } }`;
      const clients: Record<string, string>[] = [{}, { 'x-api-key': ANY_KEY }];
      for (const headers of clients) {
        const body = await post(lockedUrl, { query: arbitrary }, headers);
        expect({ status: body.status, code: code(body) }).toEqual({ status: 403, code: 'QUERY_NOT_IN_SAFELIST' });
        const apq = await post(lockedUrl, registration(arbitrary), headers);
        expect(code(apq)).toBe('QUERY_NOT_IN_SAFELIST');
        const hash = await post(lockedUrl, byId(sha256(arbitrary)), headers);
        expect(code(hash)).toBe('PERSISTED_QUERY_NOT_IN_LIST');
      }
      const byListedId = await post(lockedUrl, byId(listed('Categories').id));
      expect(byListedId.data!.categories).toHaveLength(demo.categories.length);
      const byListedBody = await post(lockedUrl, { query: listed('Categories').body });
      expect(byListedBody.data).toEqual(byListedId.data);
      expect(code(await post(lockedUrl, { query: listed('Categories').body }, { 'x-api-key': IDS_KEY }))).toBe('PERSISTED_QUERY_ID_REQUIRED');
    });

    it('log: serves unknown operations, logs and counts them; keys keep their own policy', async () => {
      const { logger, lines } = capturingLogger();
      const watching = await startExtraGateway({ SAFELIST_MODE: 'log' }, logger);
      const watchingUrl = `${watching.url}/graphql`;
      const arbitrary = `query LoggedOnly { categories { slug } }`;
      const served = await post(watchingUrl, { query: arbitrary }, { 'apollographql-client-name': 'legacy-app', 'apollographql-client-version': '0.9.1' });
      expect(served.errors).toBeUndefined();
      expect(served.data!.categories).toHaveLength(demo.categories.length);
      expect(lines).toContainEqual(
        expect.objectContaining({
          level: 40,
          msg: 'operation outside the safelist served (SAFELIST_MODE=log)',
          code: 'QUERY_NOT_IN_SAFELIST',
          client: { name: 'legacy-app', version: '0.9.1' },
          query: arbitrary,
        }),
      );
      expect(code(await post(watchingUrl, { query: arbitrary }, { 'x-api-key': DEMO_API_KEY }))).toBe('QUERY_NOT_IN_SAFELIST');
      const metrics = await (await fetch(`${watching.url}/metrics`)).text();
      expect(metrics).toMatch(/graphql_safelist_violations_total\{client_name="legacy-app",code="QUERY_NOT_IN_SAFELIST",enforced="false"\} 1/);
      expect(metrics).toMatch(/graphql_safelist_violations_total\{client_name="demo-integrator",code="QUERY_NOT_IN_SAFELIST",enforced="true"\} 1/);
    });
  });

  it('records client name and version in logs and metrics', async () => {
    const { logger, lines } = capturingLogger();
    const gateway = await startExtraGateway({}, logger);
    const gatewayUrl = `${gateway.url}/graphql`;
    const client = { 'apollographql-client-name': 'storefront-web', 'apollographql-client-version': '4.2.0' };
    await post(gatewayUrl, byId(listed('Categories').id), client);
    await post(gatewayUrl, byId(listed('Categories').id), client);
    await post(gatewayUrl, byId(listed('AdminWarehouses').id), { ...client, 'x-api-key': DEMO_API_KEY });
    expect(code(await post(gatewayUrl, { query: '{ categories { id } }' }, { 'x-api-key': DEMO_API_KEY, 'apollographql-client-version': '1.0.0' }))).toBe('QUERY_NOT_IN_SAFELIST');

    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    const count = (labels: Record<string, string>) => {
      const line = metrics.split('\n').find((l) => l.startsWith('graphql_operations_total{') && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
      return line ? Number(line.split(' ').pop()) : 0;
    };
    expect(count({ client_name: 'storefront-web', client_version: '4.2.0', operation_type: 'query', source: 'manifest', outcome: 'success' })).toBe(2);
    // A key names its client; the version still comes from the header.
    expect(count({ client_name: 'demo-integrator', client_version: '4.2.0', source: 'manifest', outcome: 'error' })).toBe(1);
    expect(count({ client_name: 'demo-integrator', client_version: '1.0.0', outcome: 'refused' })).toBe(1);
    expect(metrics).toMatch(/graphql_operation_duration_seconds_count\{client_name="storefront-web",operation_name="Categories",operation_type="query"\} 2/);

    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'graphql operation', client: { name: 'storefront-web', version: '4.2.0' }, operationName: 'Categories', source: 'manifest', outcome: 'success' }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'graphql operation', client: { name: 'demo-integrator', version: '4.2.0' }, operationName: 'AdminWarehouses', errorCodes: ['UNAUTHENTICATED'] }),
    );
  });

  describe('manifest reloads', () => {
    let folder: string;
    const withoutCategories = () => JSON.stringify({ ...JSON.parse(committedManifestText), operations: manifest.operations.filter((o) => o.name !== 'Categories') }, null, 2);
    /** Replaces the file by rename, as deploy tools do. */
    const replace = (file: string, text: string) => {
      writeFileSync(`${file}.next`, text);
      renameSync(`${file}.next`, file);
    };

    beforeAll(() => {
      folder = mkdtempSync(path.join(tmpdir(), 'commerce-manifest-'));
    });

    it('picks up a changed file without a restart, refuses a bad one and keeps the old list', async () => {
      const file = path.join(folder, 'manifest.json');
      writeFileSync(file, withoutCategories());
      const { logger, lines } = capturingLogger();
      const gateway = await startExtraGateway({ PERSISTED_QUERY_MANIFEST_PATH: file }, logger);
      const gatewayUrl = `${gateway.url}/graphql`;
      const callCategories = () => post(gatewayUrl, byId(listed('Categories').id), { 'x-api-key': DEMO_API_KEY });
      expect(code(await callCategories())).toBe('PERSISTED_QUERY_NOT_IN_LIST');

      replace(file, committedManifestText);
      const served = await eventually(async () => ((await callCategories()).data ?? undefined), 'the new manifest to be served');
      expect(served.categories).toHaveLength(demo.categories.length);
      expect(lines).toContainEqual(expect.objectContaining({ msg: 'persisted query manifest reloaded', operations: manifest.operations.length }));

      writeFileSync(file, '{ "format": "apollo-persisted-query-manifest", "version": 1, "operations": [');
      await eventually(() => (lines.some((l) => l.msg?.startsWith('persisted query manifest reload refused')) ? true : undefined), 'the bad file to be refused');
      expect(lines.find((l) => l.msg?.startsWith('persisted query manifest reload refused'))).toMatchObject({ level: 50, problems: [expect.stringMatching(/not valid JSON/)] });
      expect((await callCategories()).data).toEqual(served);

      // An operation that no longer validates against the supergraph is refused the same way.
      const invalid = JSON.parse(committedManifestText);
      invalid.operations.push({ id: 'x', name: 'Broken', type: 'query', body: 'query Broken { noSuchField }' });
      replace(file, JSON.stringify(invalid));
      await eventually(() => (lines.some((l) => l.problems?.some((p: string) => p.includes('Broken'))) ? true : undefined), 'the invalid operation to be refused');
      expect((await callCategories()).data).toEqual(served);
    });

    it('reloads on SIGHUP in a gateway process of its own', async () => {
      const file = path.join(folder, 'signalled.json');
      writeFileSync(file, withoutCategories());
      const port = await freePort();
      const subgraphUrls = Object.fromEntries(Object.entries(supergraph.subgraphs).map(([name, subgraph]) => [`${name.toUpperCase()}_URL`, `${subgraph.url}/graphql`]));
      const gateway = startProcess('gateway', 'dist/gateway/main.js', {
        ...baseEnv,
        ...subgraphUrls,
        JWT_SECRET: TEST_JWT_SECRET,
        INTERNAL_SECRET: TEST_INTERNAL_SECRET,
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'info',
        PERSISTED_QUERY_MANIFEST_PATH: file,
        PERSISTED_QUERY_MANIFEST_WATCH: 'false',
      });
      try {
        await waitUntilHealthy(`http://127.0.0.1:${port}/health`, gateway, 30_000);
        const childUrl = `http://127.0.0.1:${port}/graphql`;
        const callCategories = () => post(childUrl, byId(listed('Categories').id), { 'x-api-key': DEMO_API_KEY });
        expect(code(await callCategories())).toBe('PERSISTED_QUERY_NOT_IN_LIST');
        // Not watching: a changed file waits for the signal.
        writeFileSync(file, committedManifestText);
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(code(await callCategories())).toBe('PERSISTED_QUERY_NOT_IN_LIST');
        gateway.child.kill('SIGHUP');
        const served = await eventually(async () => ((await callCategories()).data ?? undefined), 'the signal to reload the manifest');
        expect(served.categories).toHaveLength(demo.categories.length);
        expect(gateway.logLines()).toContainEqual(expect.objectContaining({ msg: 'persisted query manifest reloaded', reason: 'signal' }));
      } finally {
        await gateway.stop();
      }
    }, 40_000);
  });

  it('serves a typed back-office document by id to an ADMIN with a safelisted key', async () => {
    const token = await supergraph.tokenFor(demoAdmin);
    const client = apolloClient(url, { mode: 'manifest', headers: { 'x-api-key': DEMO_API_KEY, authorization: `Bearer ${token}` } });
    const { data } = await client.query({ query: AdminWarehousesDocument, fetchPolicy: 'no-cache' });
    expect(data!.warehouses.map((w) => w.code).sort()).toEqual(DEMO_WAREHOUSES.map((w) => w.code).sort());
  });
});
