import { randomUUID } from 'node:crypto';
import { doublingNamedFragments, registerFields } from '../scripts/hostile-shapes';
import { codeOf, freshIp, post, type HttpAnswer } from '../test/hostile';
import { testRedisNamespace, testRedisUrl } from '../test/redis';
import { startTestSupergraph, type TestSupergraph } from '../test/supergraph-harness';

/**
 * Credential throttling and mutation costs read the executed root fields, so
 * a `login`, `register` or `refreshToken` (or any mutation root field) inside
 * an inline or named fragment, or under any number of doubling spreads,
 * counts exactly as the same field written at the root. Under the DEFAULT
 * credential limits (CREDENTIAL_FIELDS_PER_OPERATION 1,
 * CREDENTIAL_ATTEMPTS_PER_IP 30 a minute, LOGIN_FAILURES_PER_ACCOUNT_AND_IP 5)
 * and demand control (10 points per executed mutation root field).
 * The throttle tests of gateway/rate-limits.e2e.test.ts use lower limits.
 */
const LOGIN_FIELD = 'login(email: $e, password: $p) { accessToken }';
/** The same login, written as a client might hide it. */
const LOGIN_FORMS: Record<string, string> = {
  plain: `mutation($e: String!, $p: String!) { ${LOGIN_FIELD} }`,
  'an inline fragment': `mutation($e: String!, $p: String!) { ... on Mutation { ${LOGIN_FIELD} } }`,
  'an inline fragment without a type condition, literal arguments': 'LITERAL',
  'a named fragment': `mutation($e: String!, $p: String!) { ...Guess } fragment Guess on Mutation { ${LOGIN_FIELD} }`,
  'a named fragment spread twice, and again inline': `mutation($e: String!, $p: String!) { ...Guess ...Guess ... on Mutation { ...Guess } } fragment Guess on Mutation { ${LOGIN_FIELD} }`,
  '2^40 doubling spreads': doublingNamedFragments(40, 'mutation($e: String!, $p: String!)', LOGIN_FIELD).replace(/ on Query /g, ' on Mutation '),
};

const REFRESH_FIELD = 'refreshToken(refreshToken: "not-a-token") { accessToken }';
const REFRESH_FORMS = [
  `mutation { ${REFRESH_FIELD} }`,
  `mutation { ... on Mutation { ${REFRESH_FIELD} } }`,
  `mutation { ...Refresh } fragment Refresh on Mutation { ${REFRESH_FIELD} }`,
  doublingNamedFragments(40, 'mutation', REFRESH_FIELD).replace(/ on Query /g, ' on Mutation '),
];

/** Each login and register hashes a password (scrypt): a sequence of them takes seconds. */
jest.setTimeout(30_000);

describe('credential throttling and mutation costs through fragments (default limits)', () => {
  let supergraph: TestSupergraph;
  let url: string;

  beforeAll(async () => {
    supergraph = await startTestSupergraph({
      gateway: { redisUrl: testRedisUrl(), redisNamespace: `${testRedisNamespace()}cf-${randomUUID().slice(0, 8)}:`, clientIdentity: { trustedProxies: ['loopback'] } },
    });
    url = supergraph.gatewayUrl;
  }, 120_000);

  afterAll(async () => {
    await supergraph?.stop();
  });

  const limitOf = (answer: HttpAnswer) => answer.body?.errors?.[0]?.extensions;

  it('runs with the default credential limits and mutation weight', () => {
    expect(supergraph.gateway.config.credentialThrottle).toMatchObject({ fieldsPerOperation: 1, attemptsPerIp: 30, failuresPerAccountAndIp: 5 });
    expect(supergraph.gateway.config.demandControl).toMatchObject({ mode: 'enforce', maxCost: 5_000 });
  });

  async function register(email: string, password: string) {
    const answer = await post(url, { query: 'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }', variables: { input: { email, password, name: 'T' } } });
    expect(answer.body?.errors).toBeUndefined();
  }

  /** Seven wrong guesses, then the right password, from one address: the codes and the status of the 6th. */
  async function guess(form: string, email: string, password: string) {
    const ip = freshIp();
    const send = (attempt: string) => {
      if (LOGIN_FORMS[form] === 'LITERAL') {
        return post(url, { query: `mutation { ... { login(email: ${JSON.stringify(email)}, password: ${JSON.stringify(attempt)}) { accessToken } } }` }, { 'x-forwarded-for': ip });
      }
      return post(url, { query: LOGIN_FORMS[form], variables: { e: email, p: attempt } }, { 'x-forwarded-for': ip });
    };
    const codes: unknown[] = [];
    let sixth: HttpAnswer | undefined;
    for (let i = 0; i < 7; i += 1) {
      const answer = await send(`guess ${i}`);
      codes.push(codeOf(answer));
      if (i === 5) sixth = answer;
    }
    const right = await send(password);
    return { codes, sixthStatus: sixth!.status, sixthLimit: limitOf(sixth!)?.limit, rightPassword: codeOf(right) ?? 'signed in' };
  }

  it.each(Object.keys(LOGIN_FORMS))('refuses the 6th wrong login from one address through %s, exactly like the plain form', async (form) => {
    const password = 'the right password';
    const plainEmail = `plain-${randomUUID()}@example.com`;
    const formEmail = `form-${randomUUID()}@example.com`;
    await register(plainEmail, password);
    await register(formEmail, password);
    const plain = await guess('plain', plainEmail, password);
    expect(plain).toEqual({
      codes: ['INVALID_CREDENTIALS', 'INVALID_CREDENTIALS', 'INVALID_CREDENTIALS', 'INVALID_CREDENTIALS', 'INVALID_CREDENTIALS', 'RATE_LIMITED', 'RATE_LIMITED'],
      sixthStatus: 429,
      sixthLimit: 'loginFailures',
      rightPassword: 'RATE_LIMITED',
    });
    expect(await guess(form, formEmail, password)).toEqual(plain);
    // The owner, elsewhere, still signs in through the same form.
    const owner = await post(url, { query: LOGIN_FORMS[form] === 'LITERAL' ? LOGIN_FORMS.plain : LOGIN_FORMS[form], variables: { e: formEmail, p: password } });
    expect(owner.body?.errors).toBeUndefined();
    expect((owner.body?.data as { login?: { accessToken?: string } }).login?.accessToken).toBeTruthy();
  });

  it('refuses 2 refreshToken fields inside a fragment (and split between an inline and a named one) with credentialFields', async () => {
    for (const text of [
      'mutation { ...Refresh } fragment Refresh on Mutation { a: refreshToken(refreshToken: "x") { accessToken } b: refreshToken(refreshToken: "y") { accessToken } }',
      'mutation { ... on Mutation { a: refreshToken(refreshToken: "x") { accessToken } } ...Refresh } fragment Refresh on Mutation { b: refreshToken(refreshToken: "y") { accessToken } }',
    ]) {
      const answer = await post(url, { query: text });
      expect({ status: answer.status, code: codeOf(answer), extensions: limitOf(answer) }).toEqual({
        status: 400,
        code: 'QUERY_TOO_COMPLEX',
        extensions: expect.objectContaining({ limit: 'credentialFields', measured: 2, maximum: 1 }),
      });
    }
  });

  it('counts a refreshToken selected twice under the same response key as the one field it executes', async () => {
    const answer = await post(url, { query: `mutation { ...A ...B } fragment A on Mutation { ${REFRESH_FIELD} } fragment B on Mutation { ${REFRESH_FIELD} }` });
    // Refused by the users subgraph (the token is not one), not by the credential-field limit.
    expect(codeOf(answer)).toBe('UNAUTHENTICATED');
  });

  it('refuses 3 aliased register fields in one fragment, and creates none of the accounts', async () => {
    const emails = [0, 1, 2].map((i) => `batch-${i}-${randomUUID()}@example.com`);
    const password = 'long enough password';
    const answer = await post(url, { query: `mutation { ...Bots } fragment Bots on Mutation { ${registerFields(emails, password)} }` });
    expect({ status: answer.status, code: codeOf(answer), extensions: limitOf(answer) }).toEqual({
      status: 400,
      code: 'QUERY_TOO_COMPLEX',
      extensions: expect.objectContaining({ limit: 'credentialFields', measured: 3, maximum: 1 }),
    });
    expect(answer.body?.data ?? undefined).toBeUndefined();
    // None of them signs in with the password sent; each can still be registered.
    for (const email of emails) {
      const login = await post(url, { query: 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }', variables: { e: email, p: password } });
      expect(codeOf(login)).toBe('INVALID_CREDENTIALS');
    }
    const again = await post(url, { query: `mutation { ${registerFields([emails[0]], password).replace(/^r0: /, '')} }` });
    expect(again.body?.errors).toBeUndefined();
    expect((again.body?.data as { register?: { accessToken?: string } }).register?.accessToken).toBeTruthy();
  });

  it('counts refreshToken in fragments towards CREDENTIAL_ATTEMPTS_PER_IP like a plain one: the 31st is refused', async () => {
    const run = async (formOf: (i: number) => string) => {
      const ip = freshIp();
      const codes: unknown[] = [];
      let last: HttpAnswer | undefined;
      for (let i = 0; i < 31; i += 1) {
        last = await post(url, { query: formOf(i) }, { 'x-forwarded-for': ip });
        codes.push(codeOf(last));
      }
      return { codes, status: last!.status, limit: limitOf(last!)?.limit };
    };
    const plain = await run(() => REFRESH_FORMS[0]);
    expect(plain).toEqual({ codes: [...Array(30).fill('UNAUTHENTICATED'), 'RATE_LIMITED'], status: 429, limit: 'credentialAttempts' });
    // Every form in turn, the 31st in a fragment.
    expect(await run((i) => REFRESH_FORMS[1 + (i % (REFRESH_FORMS.length - 1))])).toEqual(plain);
  });

  describe('mutation root weights apply inside fragments (x-graphql-cost: include)', () => {
    const costOf = async (text: string) => {
      const answer = await post(url, { query: text }, { 'x-graphql-cost': 'include' });
      return (answer.body?.extensions?.cost as { requestedQueryCost?: number } | undefined)?.requestedQueryCost;
    };

    it('logout costs 10, plain, in an inline fragment, in a named one and under 2^40 spreads', async () => {
      const field = 'logout(refreshToken: "x")';
      expect(await costOf(`mutation { ${field} }`)).toBe(10);
      expect(await costOf(`mutation { ... on Mutation { ${field} } }`)).toBe(10);
      expect(await costOf(`mutation { ...Out } fragment Out on Mutation { ${field} }`)).toBe(10);
      expect(await costOf(doublingNamedFragments(40, 'mutation', field).replace(/ on Query /g, ' on Mutation '))).toBe(10);
    });

    it('two executed logouts cost 20, one of them in a fragment', async () => {
      expect(await costOf('mutation { a: logout(refreshToken: "x") b: logout(refreshToken: "y") }')).toBe(20);
      expect(await costOf('mutation { a: logout(refreshToken: "x") ...Out } fragment Out on Mutation { b: logout(refreshToken: "y") }')).toBe(20);
    });

    it('applyDiscountCode costs the same in a named fragment as plain, its mutation weight included', async () => {
      const field = 'applyDiscountCode(code: "NO-SUCH-CODE") { id }';
      const plain = await costOf(`mutation { ${field} }`);
      expect(plain).toBeGreaterThanOrEqual(11);
      expect(await costOf(`mutation { ...Discount } fragment Discount on Mutation { ${field} }`)).toBe(plain);
      expect(await costOf(`mutation { ... on Mutation { ...Discount } } fragment Discount on Mutation { ${field} }`)).toBe(plain);
    });
  });
});
