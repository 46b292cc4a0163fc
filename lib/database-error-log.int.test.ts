import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { User } from '../subgraphs/users/account/user.entity';
import { usersSubgraph } from '../subgraphs/users/users.server';
import { startTestSubgraph, type TestSubgraph } from '../test/subgraph-harness';
import { withSafeDatabaseErrors } from './database';
import { Role } from './identity';

type LogLine = { msg: string; err?: Record<string, unknown> };

/*
 * A database error's log line says what PostgreSQL said (`relation "x" does
 * not exist`), without the statement knex puts before it, whose parameter
 * values are inlined, and without a refused value PostgreSQL quotes back.
 */
describe('database errors in log lines', () => {
  let users: TestSubgraph;
  const lines: LogLine[] = [];
  const logger = withSafeDatabaseErrors(pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) }));
  /** A value no log line may show. */
  const secret = `secret-${randomUUID()}`;
  const failureOf = (work: Promise<unknown>) =>
    work.then(
      () => {
        throw new Error('the statement succeeded');
      },
      (error: unknown) => error,
    );
  const loggedErr = (error: unknown) => {
    lines.length = 0;
    logger.error({ err: error }, 'failed');
    expect(JSON.stringify(lines)).not.toContain(secret);
    return lines[0].err;
  };

  beforeAll(async () => {
    users = await startTestSubgraph(usersSubgraph);
  }, 30_000);
  afterAll(() => users?.stop());

  it("carries PostgreSQL's message of a missing table, without the statement or its values", async () => {
    const error = await failureOf(users.orm.em.fork().getConnection().execute('select * from availability where product_id = ?', [secret]));
    expect((error as Error).message).toContain(secret);
    expect(loggedErr(error)).toEqual({ type: 'DatabaseError', code: '42P01', message: 'relation "availability" does not exist' });
  });

  it("carries PostgreSQL's message of a unique violation raised through the ORM, naming the constraint but not the row", async () => {
    const em = users.orm.em.fork();
    const email = `${secret}@example.com`;
    const account = () => ({ id: randomUUID(), email, name: secret, role: Role.CUSTOMER, passwordHash: secret, createdAt: new Date() });
    await em.insert(User, account());
    const error = await failureOf(em.insert(User, account()));
    expect((error as Error).message).toContain(secret);
    expect(loggedErr(error)).toEqual(
      expect.objectContaining({ type: 'UniqueConstraintViolationException', code: '23505', message: 'duplicate key value violates unique constraint "user_account_email_unique"' }),
    );
  });

  it('leaves out the value a data exception quotes, also when the error is the cause of another', async () => {
    const error = await failureOf(users.orm.em.fork().getConnection().execute('select ?::uuid as id', [secret]));
    expect(loggedErr(error)).toEqual({ type: 'DatabaseError', code: '22P02', message: 'invalid input syntax for type uuid' });
    expect(loggedErr(new Error('could not read the product', { cause: error }))).toEqual(
      expect.objectContaining({ message: 'could not read the product', cause: { type: 'DatabaseError', code: '22P02', message: 'invalid input syntax for type uuid' } }),
    );
  });
});
