import { DEMO_USERS } from '../../lib/demo-data';
import { Role, type Viewer } from '../../lib/identity';
import { createLogger } from '../../lib/logger';
import { countStatements } from '../../test/sql-counter';
import { startTestSubgraph, type TestSubgraph } from '../../test/subgraph-harness';
import { hashPassword, verifyPassword } from './account/password';
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

  it('has the auth mutations in the schema, not yet implemented', async () => {
    const login = await users.query(`mutation { login(email: "a@example.com", password: "password1") { accessToken } }`);
    expect(login.errors?.[0].extensions?.code).toBe('NOT_IMPLEMENTED');
    const register = await users.query(`mutation { register(input: { email: "a@example.com", password: "short", name: "A" }) { accessToken } }`);
    expect(register.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('requires a signed-in viewer to add an address', async () => {
    const mutation = `mutation { addAddress(input: { line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" }) { id } }`;
    const anonymous = await users.query(mutation);
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const signedIn = await users.query(mutation, {}, asCustomer);
    expect(signedIn.errors?.[0].extensions?.code).toBe('NOT_IMPLEMENTED');
  });
});
