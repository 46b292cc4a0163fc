import { ACCESS_TOKEN_TTL_SECONDS, signAccessToken } from '../../lib/access-token';
import { DEMO_USERS } from '../../lib/demo-data';
import { Role } from '../../lib/identity';
import { TEST_JWT_SECRET } from '../../test/subgraph-harness';
import { demoCustomer, startTestSupergraph, type TestSupergraph } from '../../test/supergraph-harness';

const AUTH = `accessToken refreshToken expiresIn user { id email name role }`;
const REGISTER = `mutation Register($input: RegisterInput!) { register(input: $input) { ${AUTH} } }`;
const LOGIN = `mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { ${AUTH} } }`;
const REFRESH = `mutation Refresh($token: String!) { refreshToken(refreshToken: $token) { ${AUTH} } }`;
const LOGOUT = `mutation Logout($token: String!) { logout(refreshToken: $token) }`;
const ME = `{ me { id email name role addresses { id line1 line2 city postalCode country } } }`;

type Auth = { accessToken: string; refreshToken: string; expiresIn: number; user: { id: string; email: string; name: string; role: string } };

const customer = DEMO_USERS.find((u) => u.id === demoCustomer.id)!;
const codeOf = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => result.errors?.[0]?.extensions?.code;

describe('accounts through the gateway', () => {
  let supergraph: TestSupergraph;
  /** The account this file registers; later tests sign in with it. */
  const account = { email: 'Erin.EndToEnd@Example.com', password: 'end-to-end password', name: 'Erin' };
  let registered: Auth;

  beforeAll(async () => {
    supergraph = await startTestSupergraph();
  }, 60_000);
  afterAll(() => supergraph?.stop());

  it('registers an account whose access token works for me', async () => {
    const result = await supergraph.query<{ register: Auth }>(REGISTER, { input: account });
    expect(result.errors).toBeUndefined();
    registered = result.data!.register;
    expect(registered.user).toMatchObject({ email: 'erin.endtoend@example.com', name: 'Erin', role: 'CUSTOMER' });
    expect(registered.expiresIn).toBe(ACCESS_TOKEN_TTL_SECONDS);

    const me = await supergraph.query(ME, {}, registered.accessToken);
    expect(me.errors).toBeUndefined();
    expect(me.data!.me).toEqual({ ...registered.user, addresses: [] });
  });

  it('refuses a taken email with EMAIL_TAKEN and a short password with BAD_USER_INPUT', async () => {
    const taken = await supergraph.query(REGISTER, { input: { ...account, email: account.email.toLowerCase(), name: 'Again' } });
    expect(codeOf(taken)).toBe('EMAIL_TAKEN');
    const demoTaken = await supergraph.query(REGISTER, { input: { email: customer.email, password: 'long enough', name: 'Dup' } });
    expect(codeOf(demoTaken)).toBe('EMAIL_TAKEN');

    const short = await supergraph.query(REGISTER, { input: { email: 'short@example.com', password: 'short12', name: 'Short' } });
    expect(codeOf(short)).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(short)).not.toContain('short12');
    const badEmail = await supergraph.query(REGISTER, { input: { email: 'no-at-sign', password: 'long enough', name: 'Bad' } });
    expect(codeOf(badEmail)).toBe('BAD_USER_INPUT');
  });

  it('signs in with the right password only; INVALID_CREDENTIALS otherwise', async () => {
    const wrong = await supergraph.query(LOGIN, { email: account.email, password: 'not the password' });
    expect(codeOf(wrong)).toBe('INVALID_CREDENTIALS');
    expect(wrong.data).toBeNull();
    const unknown = await supergraph.query(LOGIN, { email: 'nobody@example.com', password: 'not the password' });
    expect(codeOf(unknown)).toBe('INVALID_CREDENTIALS');
    expect(unknown.errors![0].message).toBe(wrong.errors![0].message);

    const right = await supergraph.query<{ login: Auth }>(LOGIN, { email: account.email.toUpperCase(), password: account.password });
    expect(right.errors).toBeUndefined();
    expect(right.data!.login.user).toEqual(registered.user);
    const me = await supergraph.query(`{ me { id } }`, {}, right.data!.login.accessToken);
    expect(me.data).toEqual({ me: { id: registered.user.id } });
  });

  it('rotates refresh tokens: the old one is UNAUTHENTICATED afterwards, and logout ends the session', async () => {
    const session = (await supergraph.query<{ login: Auth }>(LOGIN, { email: customer.email, password: customer.password })).data!.login;
    const rotated = await supergraph.query<{ refreshToken: Auth }>(REFRESH, { token: session.refreshToken });
    expect(rotated.errors).toBeUndefined();
    const next = rotated.data!.refreshToken;
    expect(next.refreshToken).not.toBe(session.refreshToken);
    expect(next.user).toMatchObject({ id: customer.id, role: 'CUSTOMER' });
    const me = await supergraph.query(`{ me { id } }`, {}, next.accessToken);
    expect(me.data).toEqual({ me: { id: customer.id } });

    const again = await supergraph.query(REFRESH, { token: session.refreshToken });
    expect(codeOf(again)).toBe('UNAUTHENTICATED');
    // That replay revoked the session, so the newer token is dead as well.
    expect(codeOf(await supergraph.query(REFRESH, { token: next.refreshToken }))).toBe('UNAUTHENTICATED');

    const other = (await supergraph.query<{ login: Auth }>(LOGIN, { email: customer.email, password: customer.password })).data!.login;
    const out = await supergraph.query(LOGOUT, { token: other.refreshToken });
    expect(out).toMatchObject({ data: { logout: true } });
    expect(out.errors).toBeUndefined();
    expect(codeOf(await supergraph.query(REFRESH, { token: other.refreshToken }))).toBe('UNAUTHENTICATED');
    expect((await supergraph.query(LOGOUT, { token: other.refreshToken })).data).toEqual({ logout: true });
  });

  it('adds an address to the signed-in account', async () => {
    const input = { line1: 'Main Street 1', line2: 'Floor 2', city: 'Utrecht', postalCode: '3511 AA', country: 'NL' };
    const anonymous = await supergraph.query(`mutation($input: AddressInput!) { addAddress(input: $input) { id } }`, { input });
    expect(codeOf(anonymous)).toBe('UNAUTHENTICATED');

    const added = await supergraph.query(`mutation($input: AddressInput!) { addAddress(input: $input) { id line1 line2 city postalCode country } }`, { input }, registered.accessToken);
    expect(added.errors).toBeUndefined();
    expect(added.data!.addAddress).toEqual({ id: expect.any(String), ...input });

    const me = await supergraph.query(ME, {}, registered.accessToken);
    expect(me.data!.me.addresses).toEqual([added.data!.addAddress]);

    const invalid = await supergraph.query(`mutation($input: AddressInput!) { addAddress(input: $input) { id } }`, { input: { ...input, country: 'Netherlands' } }, registered.accessToken);
    expect(codeOf(invalid)).toBe('BAD_USER_INPUT');
  });

  it('refuses expired and forged access tokens with UNAUTHENTICATED', async () => {
    const viewer = { id: registered.user.id, role: Role.CUSTOMER };
    const expired = await signAccessToken(viewer, TEST_JWT_SECRET, -10);
    const forged = await signAccessToken({ ...viewer, role: Role.ADMIN }, 'a-secret-that-is-not-the-gateway-secret');
    const [header, payload] = registered.accessToken.split('.');
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), role: 'ADMIN' })).toString('base64url')}.${registered.accessToken.split('.')[2]}`;
    for (const token of [expired, forged, tampered]) {
      const result = await supergraph.query(ME, {}, token);
      expect(codeOf(result)).toBe('UNAUTHENTICATED');
      expect(result.data ?? null).toBeNull();
    }
  });
});
