import type { EntityManager } from '../../lib/database';
import { DEMO_USERS, demoId } from '../../lib/demo-data';
import { Role } from '../../lib/identity';
import type { Logger } from '../../lib/logger';
import { hashPassword } from './account/password';
import { User } from './account/user.entity';
import { UserAddress } from './address/user-address.entity';

const CUSTOMER_EMAIL = 'customer@example.com';

/** The demo customer's saved address; the id is derived so re-seeding finds it. */
const DEMO_ADDRESS = {
  id: demoId('address', CUSTOMER_EMAIL),
  address: { line1: 'Keizersgracht 123', line2: null, city: 'Amsterdam', postalCode: '1015 CJ', country: 'NL' },
};

/** Inserts the demo accounts (and the customer's address) that are missing; existing rows are left alone. */
export async function seedUsers(em: EntityManager, log: Logger): Promise<void> {
  await em.transactional(async (tx) => {
    const known = new Set((await tx.find(User, { id: { $in: DEMO_USERS.map((u) => u.id) } }, { fields: ['id'] })).map((u) => u.id));
    const missing = DEMO_USERS.filter((demo) => !known.has(demo.id));
    const hashes = await Promise.all(missing.map((demo) => hashPassword(demo.password)));
    missing.forEach((demo, index) => {
      tx.create(User, {
        id: demo.id,
        email: demo.email,
        name: demo.name,
        role: demo.role === 'ADMIN' ? Role.ADMIN : Role.CUSTOMER,
        passwordHash: hashes[index],
        createdAt: new Date(Date.UTC(2026, 0, 1)),
      });
    });

    const customer = DEMO_USERS.find((demo) => demo.email === CUSTOMER_EMAIL);
    let addresses = 0;
    if (customer && !(await tx.count(UserAddress, { id: DEMO_ADDRESS.id }))) {
      tx.create(UserAddress, { ...DEMO_ADDRESS, user: tx.getReference(User, customer.id), createdAt: new Date(Date.UTC(2026, 0, 1)) });
      addresses = 1;
    }
    log.info({ users: missing.length, addresses }, 'seeded users demo data');
  });
}
