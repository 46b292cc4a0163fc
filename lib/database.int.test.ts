import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { usersSubgraph } from '../subgraphs/users/users.server';
import { postGraphQL, startTestSubgraph, TEST_INTERNAL_SECRET } from '../test/subgraph-harness';
import { isDatabaseError, withSafeDatabaseErrors } from './database';
import { internalHeaders } from './identity';
import type { Logger } from './logger';
import type { RunningSubgraph } from './subgraph';

const REGISTER = `mutation($input: RegisterInput!) { register(input: $input) { accessToken } }`;
/** Names the test's CHECK constraint refuses, so the INSERT of a new account fails in PostgreSQL. */
const REFUSED_NAME = 'Refused By Check';
const CONSTRAINT = 'test_refused_name_check';

type LogLine = { level: number; msg: string; [key: string]: unknown };

/** A logger like a subgraph's (JSON lines), at debug, that keeps its lines. */
function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ name: 'users', level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}

const INFO = 30;

describe('database errors in logs and responses', () => {
  let users: RunningSubgraph;
  let url: string;
  const { logger, lines } = capturingLogger();

  beforeAll(async () => {
    // Production mode: the client must learn nothing of the failure.
    const subgraph = await startTestSubgraph(usersSubgraph, { production: true, logger });
    users = subgraph.running;
    url = subgraph.url;
    await users.orm.em.getConnection().execute(`alter table user_account add constraint ${CONSTRAINT} check (name <> '${REFUSED_NAME}')`);
  }, 30_000);
  afterAll(() => users?.stop());
  beforeEach(() => {
    lines.length = 0;
  });

  it('logs a failing INSERT with its kind, code, constraint and table, and its SQL and values at debug only', async () => {
    const email = `refused-${randomUUID()}@example.com`;
    const password = 'a-password-never-logged';
    const result = await postGraphQL(url, REGISTER, { input: { email, password, name: REFUSED_NAME } }, internalHeaders(TEST_INTERNAL_SECRET, null));

    const logged = lines.find((line) => line.msg === 'unexpected error while executing an operation');
    expect(logged).toMatchObject({ level: 50, err: { type: 'CheckConstraintViolationException', code: '23514', constraint: CONSTRAINT, table: 'user_account' } });
    // The statement carried the scrypt hash, the email and the name; PostgreSQL's detail carries the whole row.
    const atInfoOrAbove = JSON.stringify(lines.filter((line) => line.level >= INFO));
    for (const secret of ['$scrypt$', email, REFUSED_NAME, 'insert into', 'Failing row', password]) expect(atInfoOrAbove).not.toContain(secret);
    // The statement is there for a developer who turns debug on (so the test would see a leak above).
    const atDebug = JSON.stringify(lines.filter((line) => line.level < INFO));
    expect(atDebug).toContain('insert into');
    expect(atDebug).toContain('$scrypt$');
    expect(atDebug).not.toContain(password);

    // In production the client sees a generic error only: no SQL, no stack, no constraint.
    expect(result.status).toBe(200);
    expect(result.errors).toEqual([{ message: 'Internal server error', path: ['register'], locations: [expect.any(Object)], extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
    expect(JSON.stringify(result)).not.toMatch(/scrypt|insert|user_account|23514|constraint|stacktrace/i);
  });

  it('keeps values out of any log line that carries a database error, also as the cause of another', async () => {
    const em = users.orm.em.fork();
    const hash = `$scrypt$ln=15,r=8,p=1$${randomUUID()}`;
    const error = await em
      .getConnection()
      .execute('insert into user_account (id, email, name, password_hash, role, created_at) values (?, ?, ?, ?, ?, now())', [randomUUID(), 'logged@example.com', REFUSED_NAME, hash, 'CUSTOMER'])
      .then(() => undefined, (caught: unknown) => caught);
    expect(isDatabaseError(error)).toBe(true);
    expect((error as Error).message).toContain(hash);

    const safe = withSafeDatabaseErrors(logger);
    safe.warn({ err: error }, 'as err');
    safe.error(error as Error, 'as the first argument');
    safe.warn({ err: new Error('could not save the account', { cause: error }) }, 'as a cause');
    expect(lines).toHaveLength(3);
    expect(JSON.stringify(lines)).not.toContain(hash);
    expect(JSON.stringify(lines)).not.toContain('logged@example.com');
    expect(lines.map((line) => line.err)).toEqual([
      // A statement run through the connection directly fails with pg's own error.
      // PostgreSQL's message names the table and constraint, never the row.
      { type: 'DatabaseError', code: '23514', constraint: CONSTRAINT, table: 'user_account', message: `new row for relation "user_account" violates check constraint "${CONSTRAINT}"` },
      { type: 'DatabaseError', code: '23514', constraint: CONSTRAINT, table: 'user_account', message: `new row for relation "user_account" violates check constraint "${CONSTRAINT}"` },
      expect.objectContaining({ message: 'could not save the account', cause: expect.objectContaining({ code: '23514', constraint: CONSTRAINT }) }),
    ]);
  });
});
