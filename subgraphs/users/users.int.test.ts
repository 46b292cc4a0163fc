import { createHash } from 'node:crypto';
import { ACCESS_TOKEN_TTL_SECONDS, verifyAccessToken } from '../../lib/access-token';
import { DEMO_USERS } from '../../lib/demo-data';
import { Role, type Viewer } from '../../lib/identity';
import { createLogger } from '../../lib/logger';
import { countStatements } from '../../test/sql-counter';
import { startTestSubgraph, TEST_JWT_SECRET, type TestSubgraph } from '../../test/subgraph-harness';
import { createOpaqueToken, hashOpaqueToken, REFRESH_TOKEN_TTL_SECONDS } from './account/opaque-token';
import { hashPassword, verifyPassword } from './account/password';
import { RefreshToken } from './account/refresh-token.entity';
import { User } from './account/user.entity';
import { UserAddress } from './address/user-address.entity';
import { usersSubgraph } from './users.server';

const ME = `{ me { id email name role createdAt addresses { id line1 line2 city postalCode country } } }`;
const ENTITIES = `query Users($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on User { id email role addresses { id city } } }
}`;

type EntityUser = { id: string; email: string; role: string; addresses: { id: string; city: string }[] } | null;

const admin = DEMO_USERS.find((u) => u.role === 'ADMIN')!;
const customer = DEMO_USERS.find((u) => u.role === 'CUSTOMER')!;
const asAdmin: Viewer = { id: admin.id, role: Role.ADMIN };
const asCustomer: Viewer = { id: customer.id, role: Role.CUSTOMER };
const representations = (ids: string[]) => ids.map((id) => ({ __typename: 'User', id }));

describe('users subgraph', () => {
  let users: TestSubgraph;
  /** Users added by this test, each with two addresses. */
  const extraIds: string[] = [];

  beforeAll(async () => {
    users = await startTestSubgraph(usersSubgraph, { seed: true });
    const em = users.orm.em.fork();
    const passwordHash = await hashPassword('extra-password', { ln: 10, r: 8, p: 1 });
    for (let i = 0; i < 12; i += 1) {
      const user = em.create(User, { email: `Shopper${i}@Example.com`, name: `Shopper ${i}`, role: Role.CUSTOMER, passwordHash });
      extraIds.push(user.id);
      // The later address is inserted first: the order must come from createdAt, not insertion.
      em.create(UserAddress, { user, address: { line1: `${i} Second Street`, city: 'Later', postalCode: '2000', country: 'US' }, createdAt: new Date(Date.UTC(2026, 2, 1)) });
      em.create(UserAddress, { user, address: { line1: `${i} First Street`, city: 'Earlier', postalCode: '1000', country: 'US' }, createdAt: new Date(Date.UTC(2026, 1, 1)) });
    }
    await em.flush();
  });
  afterAll(() => users?.stop());

  it('answers me with null for an anonymous request', async () => {
    const result = await users.query(ME);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ me: null });
  });

  it("answers me with the viewer's account and saved addresses", async () => {
    const result = await users.query(ME, {}, asCustomer);
    expect(result.errors).toBeUndefined();
    expect(result.data!.me).toMatchObject({ id: customer.id, email: customer.email, name: customer.name, role: 'CUSTOMER' });
    expect(Date.parse(result.data!.me.createdAt)).not.toBeNaN();
    expect(result.data!.me.addresses).toHaveLength(1);
    expect(result.data!.me.addresses[0]).toMatchObject({ line1: expect.any(String), line2: null, city: 'Amsterdam', country: 'NL' });

    const adminMe = await users.query(ME, {}, asAdmin);
    expect(adminMe.data!.me).toMatchObject({ id: admin.id, email: admin.email, role: 'ADMIN', addresses: [] });
  });

  it('answers me with null when the viewer has no account here', async () => {
    const result = await users.query(ME, {}, { id: '00000000-0000-4000-8000-000000000000', role: Role.CUSTOMER });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ me: null });
  });

  it('lists addresses oldest first', async () => {
    const result = await users.query(ME, {}, { id: extraIds[0], role: Role.CUSTOMER });
    expect(result.data!.me.addresses.map((a: { city: string }) => a.city)).toEqual(['Earlier', 'Later']);
  });

  it('resolves User references only for the user themself or an ADMIN', async () => {
    const ids = [admin.id, customer.id, '00000000-0000-4000-8000-000000000000', 'not-a-uuid'];

    const anonymous = await users.query<{ _entities: EntityUser[] }>(ENTITIES, { representations: representations(ids) });
    expect(anonymous.errors).toBeUndefined();
    expect(anonymous.data!._entities).toEqual([null, null, null, null]);

    const self = await users.query<{ _entities: EntityUser[] }>(ENTITIES, { representations: representations(ids) }, asCustomer);
    expect(self.errors).toBeUndefined();
    expect(self.data!._entities.map((u) => u?.id ?? null)).toEqual([null, customer.id, null, null]);
    expect(self.data!._entities[1]).toMatchObject({ email: customer.email, role: 'CUSTOMER', addresses: [{ city: 'Amsterdam' }] });

    const byAdmin = await users.query<{ _entities: EntityUser[] }>(ENTITIES, { representations: representations(ids) }, asAdmin);
    expect(byAdmin.errors).toBeUndefined();
    expect(byAdmin.data!._entities.map((u) => u?.id ?? null)).toEqual([admin.id, customer.id, null, null]);
  });

  it('resolves a page of User references with addresses in a constant number of statements', async () => {
    const counter = countStatements(users.orm);
    try {
      const two = await users.query<{ _entities: EntityUser[] }>(ENTITIES, { representations: representations(extraIds.slice(0, 2)) }, asAdmin);
      expect(two.errors).toBeUndefined();
      expect(two.data!._entities.every((u) => u?.addresses.length === 2)).toBe(true);
      const forTwo = counter.count;

      counter.reset();
      const allIds = [admin.id, customer.id, ...extraIds];
      const all = await users.query<{ _entities: EntityUser[] }>(ENTITIES, { representations: representations(allIds) }, asAdmin);
      expect(all.errors).toBeUndefined();
      expect(all.data!._entities.map((u) => u?.id)).toEqual(allIds);
      expect(all.data!._entities.slice(2).every((u) => u?.addresses.length === 2)).toBe(true);
      const forAll = counter.count;

      // One select of users and one of their addresses, however many users.
      expect(forTwo).toBe(2);
      expect(forAll).toBe(forTwo);
    } finally {
      counter.detach();
    }
  });

  it('stores emails lower-cased and keeps password hashes out of the schema', async () => {
    const em = users.orm.em.fork();
    const stored = await em.findOneOrFail(User, { id: extraIds[0] }, { populate: ['passwordHash'] });
    expect(stored.email).toBe('shopper0@example.com');
    await expect(verifyPassword('extra-password', stored.passwordHash)).resolves.toBe(true);

    const seeded = await em.findOneOrFail(User, { id: customer.id }, { populate: ['passwordHash'] });
    await expect(verifyPassword(customer.password, seeded.passwordHash)).resolves.toBe(true);

    const type = await users.query(`{ __type(name: "User") { fields { name } } }`);
    expect(type.data!.__type.fields.map((f: { name: string }) => f.name).sort()).toEqual(['addresses', 'createdAt', 'email', 'id', 'name', 'role']);
  });

  it('seeds idempotently', async () => {
    const em = users.orm.em.fork();
    const before = [await em.count(User), await em.count(UserAddress)];
    await usersSubgraph.seed!(users.orm.em.fork(), createLogger('users', 'silent'));
    expect([await em.count(User), await em.count(UserAddress)]).toEqual(before);
  });

  describe('accounts and sessions', () => {
    const AUTH = `accessToken refreshToken expiresIn user { id email name role }`;
    type Auth = { accessToken: string; refreshToken: string; expiresIn: number; user: { id: string; email: string; name: string; role: string } };
    type Result<T> = Awaited<ReturnType<TestSubgraph['query']>> & { data?: T | null };

    const register = (input: { email: string; password: string; name: string }) =>
      users.query<{ register: Auth }>(`mutation($input: RegisterInput!) { register(input: $input) { ${AUTH} } }`, { input }) as Promise<Result<{ register: Auth }>>;
    const login = (email: string, password: string) =>
      users.query<{ login: Auth }>(`mutation($email: String!, $password: String!) { login(email: $email, password: $password) { ${AUTH} } }`, { email, password });
    const refresh = (token: string) =>
      users.query<{ refreshToken: Auth }>(`mutation($token: String!) { refreshToken(refreshToken: $token) { ${AUTH} } }`, { token });
    const logout = (token: string) => users.query<{ logout: boolean }>(`mutation($token: String!) { logout(refreshToken: $token) }`, { token });
    const codeOf = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => result.errors?.[0]?.extensions?.code;
    const tokenRow = (token: string) => users.orm.em.fork().findOne(RefreshToken, { tokenHash: hashOpaqueToken(token) });
    const familyRows = (familyId: string) => users.orm.em.fork().find(RefreshToken, { familyId }, { orderBy: { createdAt: 'asc' } });
    const signIn = async () => {
      const result = await login(customer.email, customer.password);
      expect(result.errors).toBeUndefined();
      return result.data!.login;
    };
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

    it('registers a CUSTOMER, stores a scrypt hash and a hashed refresh token, and signs them in', async () => {
      const before = Date.now();
      const result = await register({ email: 'New.Shopper@Example.COM', password: 'a fine password', name: '  Nora New  ' });
      expect(result.errors).toBeUndefined();
      const auth = result.data!.register;
      expect(auth.user).toMatchObject({ email: 'new.shopper@example.com', name: 'Nora New', role: 'CUSTOMER' });
      expect(auth.expiresIn).toBe(ACCESS_TOKEN_TTL_SECONDS);
      await expect(verifyAccessToken(auth.accessToken, TEST_JWT_SECRET)).resolves.toEqual({ id: auth.user.id, role: Role.CUSTOMER });
      // 32 random bytes, base64url.
      expect(auth.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

      const em = users.orm.em.fork();
      const stored = await em.findOneOrFail(User, { id: auth.user.id }, { populate: ['passwordHash'] });
      expect(stored.passwordHash.startsWith('$scrypt$ln=15,r=8,p=1$')).toBe(true);
      await expect(verifyPassword('a fine password', stored.passwordHash)).resolves.toBe(true);

      const rows = await em.find(RefreshToken, { user: auth.user.id });
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ tokenHash: createHash('sha256').update(auth.refreshToken).digest('hex'), usedAt: null, revokedAt: null });
      expect(JSON.stringify(rows[0])).not.toContain(auth.refreshToken);
      const ttl = rows[0].expiresAt.getTime() - before;
      expect(ttl).toBeGreaterThanOrEqual(REFRESH_TOKEN_TTL_SECONDS * 1000);
      expect(ttl).toBeLessThan(REFRESH_TOKEN_TTL_SECONDS * 1000 + 60_000);

      const me = await users.query(ME, {}, { id: auth.user.id, role: Role.CUSTOMER });
      expect(me.data!.me).toMatchObject({ id: auth.user.id, name: 'Nora New', addresses: [] });
    });

    it('refuses an email that has an account in any letter case with EMAIL_TAKEN', async () => {
      const result = await register({ email: customer.email.toUpperCase(), password: 'another password', name: 'Copy Cat' });
      expect(codeOf(result)).toBe('EMAIL_TAKEN');
      expect(result.data).toBeNull();
      expect(await users.orm.em.fork().count(User, { name: 'Copy Cat' })).toBe(0);
    });

    it('lets exactly one of concurrent registrations of one email win; the rest get EMAIL_TAKEN', async () => {
      const attempts = await Promise.all(
        ['race@example.com', 'Race@example.com', 'RACE@EXAMPLE.COM', 'race@Example.com', 'rAce@example.com', 'racE@example.com'].map((email, i) =>
          register({ email, password: `race-password-${i}`, name: `Racer ${i}` }),
        ),
      );
      const winners = attempts.filter((a) => a.data?.register);
      expect(winners).toHaveLength(1);
      expect(attempts.filter((a) => codeOf(a) === 'EMAIL_TAKEN')).toHaveLength(attempts.length - 1);
      expect(attempts.flatMap((a) => a.errors ?? []).every((e) => !/duplicate|constraint|violates/i.test(e.message))).toBe(true);
      expect(await users.orm.em.fork().count(User, { email: 'race@example.com' })).toBe(1);
    });

    it('refuses invalid input with BAD_USER_INPUT, writes nothing and never echoes the password', async () => {
      const em = users.orm.em.fork();
      const usersBefore = await em.count(User);
      const cases = [
        { email: 'not-an-email', password: 'long enough password', name: 'Bad Email' },
        { email: 'short@example.com', password: 'seven77', name: 'Short Password' },
        { email: 'blank@example.com', password: 'long enough password', name: '   ' },
        { email: 'empty@example.com', password: 'long enough password', name: '' },
      ];
      for (const input of cases) {
        const result = await register(input);
        expect(codeOf(result)).toBe('BAD_USER_INPUT');
        expect(JSON.stringify(result)).not.toContain(input.password);
      }
      expect(await em.count(User)).toBe(usersBefore);
    });

    it('signs in with any letter case of the email and issues a token with the stored role', async () => {
      const result = await login(admin.email.toUpperCase(), admin.password);
      expect(result.errors).toBeUndefined();
      const auth = result.data!.login;
      expect(auth.user).toMatchObject({ id: admin.id, role: 'ADMIN' });
      await expect(verifyAccessToken(auth.accessToken, TEST_JWT_SECRET)).resolves.toEqual({ id: admin.id, role: Role.ADMIN });
      expect((await tokenRow(auth.refreshToken))?.user.id).toBe(admin.id);
    });

    it('answers a wrong password and an unknown email alike with INVALID_CREDENTIALS, in similar time', async () => {
      const wrong = () => login(customer.email, 'not-the-password');
      const unknown = () => login('nobody-here@example.com', 'not-the-password');
      const [a, b] = [await wrong(), await unknown()];
      expect(codeOf(a)).toBe('INVALID_CREDENTIALS');
      expect(codeOf(b)).toBe('INVALID_CREDENTIALS');
      expect(a.errors![0].message).toBe(b.errors![0].message);
      expect(JSON.stringify([a, b])).not.toContain('not-the-password');

      const time = async (attempt: () => Promise<unknown>) => {
        const start = process.hrtime.bigint();
        await attempt();
        return Number(process.hrtime.bigint() - start) / 1e6;
      };
      const wrongTimes: number[] = [];
      const unknownTimes: number[] = [];
      for (let i = 0; i < 5; i += 1) {
        wrongTimes.push(await time(wrong));
        unknownTimes.push(await time(unknown));
      }
      // Without a dummy scrypt an unknown email answers in a few milliseconds,
      // against tens for a wrong password: a ratio far below this bound.
      expect(median(unknownTimes)).toBeGreaterThan(median(wrongTimes) * 0.4);
    });

    it('moves a hash made with older parameters to the current ones on a successful login', async () => {
      const em = users.orm.em.fork();
      const email = 'shopper1@example.com';
      expect((await em.findOneOrFail(User, { email }, { populate: ['passwordHash'] })).passwordHash.startsWith('$scrypt$ln=10,')).toBe(true);
      const result = await login(email, 'extra-password');
      expect(result.errors).toBeUndefined();
      const upgraded = await users.orm.em.fork().findOneOrFail(User, { email }, { populate: ['passwordHash'] });
      expect(upgraded.passwordHash.startsWith('$scrypt$ln=15,r=8,p=1$')).toBe(true);
      await expect(verifyPassword('extra-password', upgraded.passwordHash)).resolves.toBe(true);
      expect(codeOf(await login(email, 'wrong-password'))).toBe('INVALID_CREDENTIALS');
    });

    it('rotates a refresh token: a new pair in the same family, the old token used up', async () => {
      const first = await signIn();
      const second = await refresh(first.refreshToken);
      expect(second.errors).toBeUndefined();
      const next = second.data!.refreshToken;
      expect(next.refreshToken).not.toBe(first.refreshToken);
      expect(next.user).toEqual(first.user);
      expect(next.expiresIn).toBe(ACCESS_TOKEN_TTL_SECONDS);
      await expect(verifyAccessToken(next.accessToken, TEST_JWT_SECRET)).resolves.toEqual({ id: customer.id, role: Role.CUSTOMER });

      const [oldRow, newRow] = [await tokenRow(first.refreshToken), await tokenRow(next.refreshToken)];
      expect(oldRow!.usedAt).toBeInstanceOf(Date);
      expect(oldRow!.revokedAt).toBeNull();
      expect(newRow).toMatchObject({ familyId: oldRow!.familyId, usedAt: null, revokedAt: null });

      const third = await refresh(next.refreshToken);
      expect(third.errors).toBeUndefined();
      expect((await familyRows(oldRow!.familyId)).map((r) => r.usedAt !== null)).toEqual([true, true, false]);
    });

    it('treats a second use of a rotated token as theft: UNAUTHENTICATED, and the whole family is revoked', async () => {
      const first = await signIn();
      const other = await signIn();
      const second = (await refresh(first.refreshToken)).data!.refreshToken;

      const replay = await refresh(first.refreshToken);
      expect(codeOf(replay)).toBe('UNAUTHENTICATED');
      expect(replay.data).toBeNull();
      expect(JSON.stringify(replay)).not.toContain(first.refreshToken);

      // The owner's newer token dies with it, and stays dead.
      expect(codeOf(await refresh(second.refreshToken))).toBe('UNAUTHENTICATED');
      const family = await familyRows((await tokenRow(first.refreshToken))!.familyId);
      expect(family).toHaveLength(2);
      expect(family.every((r) => r.revokedAt instanceof Date)).toBe(true);

      // Another session of the same user is untouched.
      expect((await refresh(other.refreshToken)).errors).toBeUndefined();
    });

    it('lets exactly one of concurrent refreshes of one token win', async () => {
      const session = await signIn();
      const attempts = await Promise.all(Array.from({ length: 5 }, () => refresh(session.refreshToken)));
      const winners = attempts.filter((a) => a.data?.refreshToken);
      expect(winners).toHaveLength(1);
      expect(attempts.filter((a) => codeOf(a) === 'UNAUTHENTICATED')).toHaveLength(4);

      // One successor only; the losers presented a token already exchanged,
      // indistinguishable from a replay, so the family is revoked.
      const family = await familyRows((await tokenRow(session.refreshToken))!.familyId);
      expect(family).toHaveLength(2);
      expect(family.every((r) => r.revokedAt instanceof Date)).toBe(true);
      expect(codeOf(await refresh(winners[0].data!.refreshToken.refreshToken))).toBe('UNAUTHENTICATED');
    });

    it('refuses expired, unknown and malformed refresh tokens with UNAUTHENTICATED', async () => {
      const session = await signIn();
      await users.orm.em.fork().nativeUpdate(RefreshToken, { tokenHash: hashOpaqueToken(session.refreshToken) }, { expiresAt: new Date(Date.now() - 1000) });
      expect(codeOf(await refresh(session.refreshToken))).toBe('UNAUTHENTICATED');
      // Expiry is not theft: nothing is revoked, and the row stays unused.
      expect(await tokenRow(session.refreshToken)).toMatchObject({ usedAt: null, revokedAt: null });

      for (const token of [createOpaqueToken(), '', 'not a token', 'x'.repeat(10_000)]) {
        const result = await refresh(token);
        expect(codeOf(result)).toBe('UNAUTHENTICATED');
        expect(result.errors![0].message).toBe('The refresh token is invalid or has expired; sign in again');
      }
    });

    it('refuses a token whose family was revoked while it was being issued', async () => {
      // The state a logout leaves when it ran during a rotation of the same
      // family: the rotation's new row escaped the revoking update.
      const session = await signIn();
      const rotated = (await refresh(session.refreshToken)).data!.refreshToken;
      await users.orm.em.fork().nativeUpdate(RefreshToken, { tokenHash: hashOpaqueToken(session.refreshToken) }, { revokedAt: new Date() });
      expect(codeOf(await refresh(rotated.refreshToken))).toBe('UNAUTHENTICATED');
      expect((await tokenRow(rotated.refreshToken))!.revokedAt).toBeInstanceOf(Date);
    });

    it('logs out a whole family with any of its tokens; true every time, also for unknown tokens', async () => {
      const session = await signIn();
      const rotated = (await refresh(session.refreshToken)).data!.refreshToken;
      const other = await signIn();

      const out = await logout(session.refreshToken);
      expect(out).toMatchObject({ data: { logout: true } });
      expect(out.errors).toBeUndefined();
      expect(codeOf(await refresh(rotated.refreshToken))).toBe('UNAUTHENTICATED');
      const family = await familyRows((await tokenRow(session.refreshToken))!.familyId);
      expect(family.every((r) => r.revokedAt instanceof Date)).toBe(true);

      expect((await logout(rotated.refreshToken)).data).toEqual({ logout: true });
      expect((await logout(createOpaqueToken())).data).toEqual({ logout: true });
      expect((await logout('')).data).toEqual({ logout: true });
      // Other sessions live on.
      expect((await refresh(other.refreshToken)).errors).toBeUndefined();
    });

    it('refreshes and signs in within a fixed number of statements', async () => {
      const session = await signIn();
      const counter = countStatements(users.orm);
      try {
        expect((await refresh(session.refreshToken)).errors).toBeUndefined();
        // begin, lock the token, check the family, load the user, mark used, insert the successor, commit.
        expect(counter.statements).toHaveLength(7);
        counter.reset();
        await signIn();
        // load the user with the hash; begin, insert the token, commit.
        expect(counter.statements).toHaveLength(4);
      } finally {
        counter.detach();
      }
    });
  });

  describe('addAddress', () => {
    const ADD = `mutation($input: AddressInput!) { addAddress(input: $input) { id line1 line2 city postalCode country } }`;
    const valid = { line1: '  1 Main St ', line2: '', city: 'Springfield', postalCode: '12345', country: 'US' };

    it('requires a signed-in viewer', async () => {
      const anonymous = await users.query(ADD, { input: valid });
      expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    });

    it("saves the address, trimmed, to the viewer's address book, after the older ones", async () => {
      const viewer = { id: extraIds[5], role: Role.CUSTOMER };
      const result = await users.query(ADD, { input: valid }, viewer);
      expect(result.errors).toBeUndefined();
      const added = result.data!.addAddress;
      expect(added).toEqual({ id: expect.any(String), line1: '1 Main St', line2: null, city: 'Springfield', postalCode: '12345', country: 'US' });

      const me = await users.query(ME, {}, viewer);
      expect(me.data!.me.addresses.map((a: { id: string }) => a.id)).toHaveLength(3);
      expect(me.data!.me.addresses[2]).toEqual(added);
      const row = await users.orm.em.fork().findOneOrFail(UserAddress, { id: added.id });
      expect(row.user.id).toBe(extraIds[5]);
    });

    it('refuses invalid addresses with BAD_USER_INPUT and saves nothing', async () => {
      const viewer = { id: extraIds[6], role: Role.CUSTOMER };
      const before = await users.orm.em.fork().count(UserAddress, { user: extraIds[6] });
      for (const input of [
        { ...valid, line1: '' },
        { ...valid, line1: '   ' },
        { ...valid, city: ' ' },
        { ...valid, country: 'nl' },
        { ...valid, country: 'NLD' },
        { ...valid, postalCode: '1'.repeat(21) },
      ]) {
        const result = await users.query(ADD, { input }, viewer);
        expect(result.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      }
      expect(await users.orm.em.fork().count(UserAddress, { user: extraIds[6] })).toBe(before);
    });

    it('refuses a viewer whose account no longer exists', async () => {
      const result = await users.query(ADD, { input: valid }, { id: '00000000-0000-4000-8000-000000000000', role: Role.CUSTOMER });
      expect(result.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    });
  });
});
