import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { Client } from 'pg';
import { databaseName, databaseUrl, dropDatabase, ensureDatabase } from '../lib/database';
import { createTempDataParent } from '../lib/embedded-postgres';
import { SUBGRAPH_NAMES } from '../lib/subgraph-names';
import { exitCode, freePort, startProcess, waitUntilHealthy, type ServiceProcess } from '../test/processes';
import { testDatabasePrefix, testServerUrl } from '../test/subgraph-harness';

/**
 * Every expected way a service or `npm start` fails to start ends in one
 * plain line (the cause and the setting to change) and exit 1, within
 * seconds: real processes from dist/, real PostgreSQL (the shared server, or
 * embedded servers of their own) and real ports.
 */
const QUICK_MS = 15_000;
const onlyAsRoot = process.getuid?.() === 0 ? it : it.skip;

/** `text` matched literally inside a RegExp. */
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface Outcome {
  code: number | null;
  ms: number;
  output: string;
}

describe('start-up failures', () => {
  const processes: ServiceProcess[] = [];
  const servers: Server[] = [];
  let tempDir: string;
  const prefix = `${testDatabasePrefix()}_startfail`;

  beforeAll(() => {
    // The tests' own folder, open to the `postgres` user the embedded server runs as under root.
    tempDir = createTempDataParent('commerce-start-failures-');
  });

  afterAll(async () => {
    await Promise.all(processes.map((service) => service.stop()));
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    for (const name of ['users', 'inventory', 'catalog']) await dropDatabase(databaseUrl(testServerUrl(), databaseName(prefix, name)));
    rmSync(tempDir, { recursive: true, force: true });
  });

  /** A port held by a plain TCP server, as another program would hold it. */
  async function takenPort(): Promise<number> {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    servers.push(server);
    return port;
  }

  function start(name: string, entry: string, env: Record<string, string>): ServiceProcess {
    const service = startProcess(name, entry, env);
    processes.push(service);
    return service;
  }

  async function run(name: string, entry: string, env: Record<string, string>): Promise<Outcome> {
    const startedAt = Date.now();
    const service = start(name, entry, env);
    const code = await exitCode(service, 30_000);
    return { code, ms: Date.now() - startedAt, output: service.output() };
  }

  /** The settings of an `npm start` with an embedded server in `dataDir`, on free ports. */
  async function npmStartEnv(dataDir: string, embeddedPort?: number): Promise<Record<string, string>> {
    const env: Record<string, string> = {
      EMBEDDED_POSTGRES_DIR: dataDir,
      EMBEDDED_POSTGRES_PORT: String(embeddedPort ?? (await freePort())),
      PORT: String(await freePort()),
    };
    for (const name of SUBGRAPH_NAMES) env[`${name.toUpperCase()}_PORT`] = String(await freePort());
    return env;
  }

  /** Exit 1 within seconds, and besides JSON log lines exactly one plain line: `expected`. No stack, no `undefined`. */
  function expectOneLine(outcome: Outcome, expected: RegExp): void {
    const plain = outcome.output.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('{'));
    expect(plain).toEqual([expect.stringMatching(expected)]);
    expect(plain[0]).toMatch(/^Cannot start: /);
    expect(outcome.code).toBe(1);
    expect(outcome.ms).toBeLessThan(QUICK_MS);
    expect(outcome.output).not.toMatch(/undefined/);
    expect(outcome.output).not.toMatch(/^\s+at /m);
  }

  it('gateway: its port is taken', async () => {
    const port = await takenPort();
    const outcome = await run('gateway', 'dist/gateway/main.js', { PORT: String(port) });
    expectOneLine(outcome, new RegExp(`^Cannot start: port ${port} on 0\\.0\\.0\\.0 is already in use by another program: stop that program, or set PORT to a free port$`));
  }, 30_000);

  it('gateway: the supergraph file is missing', async () => {
    const missing = path.join(tempDir, 'no-such-supergraph.graphql');
    const outcome = await run('gateway', 'dist/gateway/main.js', { PORT: String(await freePort()), SUPERGRAPH_PATH: missing });
    expectOneLine(outcome, new RegExp(`^Cannot start: the supergraph ${literal(missing)} cannot be read \\(ENOENT\\): run \`npm run schema:generate\`, or set SUPERGRAPH_PATH to the composed supergraph$`));
  }, 30_000);

  it('npm start: a subgraph port is taken (names that subgraph\'s setting)', async () => {
    const env = await npmStartEnv(path.join(tempDir, 'unused'));
    const usersPort = await takenPort();
    const outcome = await run('npm start', 'dist/scripts/start-all.js', {
      ...env,
      USERS_PORT: String(usersPort),
      DATABASE_URL: testServerUrl(),
      DATABASE_NAME_PREFIX: prefix,
    });
    expectOneLine(outcome, new RegExp(`^Cannot start: port ${usersPort} on 0\\.0\\.0\\.0 is already in use by another program: stop that program, or set USERS_PORT to a free port$`));
  }, 30_000);

  it('subgraph: PostgreSQL is unreachable', async () => {
    const closedPort = await freePort();
    const outcome = await run('users', 'dist/subgraphs/users/main.js', { DATABASE_URL: `postgres://postgres@127.0.0.1:${closedPort}/postgres`, PORT: String(await freePort()) });
    expectOneLine(
      outcome,
      new RegExp(`^Cannot start: PostgreSQL at 127\\.0\\.0\\.1:${closedPort} refused the connection \\(nothing is listening there\\): start it, or set DATABASE_URL to a server that is running$`),
    );
  }, 30_000);

  it('subgraph that publishes events: Redis is unreachable', async () => {
    const closedPort = await freePort();
    const outcome = await run('inventory', 'dist/subgraphs/inventory/main.js', {
      DATABASE_URL: testServerUrl(),
      DATABASE_NAME_PREFIX: prefix,
      REDIS_URL: `redis://127.0.0.1:${closedPort}`,
      PORT: String(await freePort()),
    });
    expectOneLine(
      outcome,
      new RegExp(`^Cannot start: Redis for events at 127\\.0\\.0\\.1:${closedPort} refused the connection \\(nothing is listening there\\): start it, or set REDIS_URL to a server that is running$`),
    );
  }, 30_000);

  it('a subgraph that publishes nothing starts with Redis unreachable, and reconnects in the background', async () => {
    const port = await freePort();
    const cart = start('cart', 'dist/subgraphs/cart/main.js', {
      DATABASE_URL: testServerUrl(),
      DATABASE_NAME_PREFIX: prefix,
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      PORT: String(port),
    });
    await waitUntilHealthy(`http://127.0.0.1:${port}/health`, cart);
    expect(await cart.stop()).toBe(0);
  }, 30_000);

  it('subgraph: a migration cannot apply (its table exists already)', async () => {
    const url = databaseUrl(testServerUrl(), databaseName(prefix, 'users'));
    await dropDatabase(url);
    await ensureDatabase(url);
    const client = new Client({ connectionString: url });
    await client.connect();
    await client.query('create table user_account (id int primary key)'); // made by hand, not by the migrations
    await client.end();

    const outcome = await run('users', 'dist/subgraphs/users/main.js', { DATABASE_URL: testServerUrl(), DATABASE_NAME_PREFIX: prefix, PORT: String(await freePort()) });
    expectOneLine(
      outcome,
      /^Cannot start: migration Migration\d+_initial of the users database \(\S+_users on PostgreSQL at [^)]+\) failed: relation "user_account" already exists \(PostgreSQL error 42P07\): repair that database, or set DATABASE_NAME_PREFIX or DATABASE_URL to use a database of this program's own$/,
    );
  }, 30_000);

  /** Exit 1 within seconds with `Invalid configuration:` and exactly `expected`, one line each. No stack, no `undefined`. */
  function expectConfigLines(outcome: Outcome, expected: RegExp[]): void {
    const plain = outcome.output.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('{'));
    expect(plain).toEqual(['Invalid configuration:', ...expected.map((line) => expect.stringMatching(line))]);
    expect(outcome.code).toBe(1);
    expect(outcome.ms).toBeLessThan(QUICK_MS);
    expect(outcome.output).not.toMatch(/undefined/);
    expect(outcome.output).not.toMatch(/^\s+at /m);
  }

  /** A port that counts the connections made to it (a PostgreSQL or Redis a process must not reach). */
  async function watchedPort(): Promise<{ port: number; connections: () => number }> {
    const port = await freePort();
    let connections = 0;
    const server = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    servers.push(server);
    return { port, connections: () => connections };
  }

  /** Runs subgraph `name` with PostgreSQL and Redis on ports that count connections, and checks it made none. */
  async function runWithoutConnecting(name: string, env: Record<string, string>): Promise<Outcome> {
    const postgres = await watchedPort();
    const redis = await watchedPort();
    const outcome = await run(name, `dist/subgraphs/${name}/main.js`, {
      DATABASE_URL: `postgres://postgres@127.0.0.1:${postgres.port}/postgres`,
      REDIS_URL: `redis://127.0.0.1:${redis.port}`,
      PORT: String(await freePort()),
      ...env,
    });
    expect(postgres.connections()).toBe(0);
    expect(redis.connections()).toBe(0);
    return outcome;
  }

  it('subgraph: a bad setting of its own fails before any connection, with the common settings\' problems', async () => {
    const outcome = await runWithoutConnecting('inventory', { RESERVATION_SWEEP_INTERVAL_MS: 'soon', SIBLING_TIMEOUT_MS: '0' });
    expectConfigLines(outcome, [
      /^ {2}- SIBLING_TIMEOUT_MS: must be a whole number of milliseconds of at least 1, got "0"$/,
      /^ {2}- RESERVATION_SWEEP_INTERVAL_MS: must be a whole number of milliseconds of at least 1, got "soon"$/,
    ]);
  }, 30_000);

  it('breaker settings under which no breaker could open for one request at a time are refused, one line', async () => {
    // Failures in a row off, and the rate rule's 5 calls of up to 5 s (gateway) or 2 s (sibling calls) never fit in its 10 s window.
    const gateway = await run('gateway', 'dist/gateway/main.js', { PORT: String(await freePort()), BREAKER_CONSECUTIVE_FAILURES: '0' });
    expectConfigLines(gateway, [
      new RegExp(
        `^ {2}- ${literal('BREAKER_CONSECUTIVE_FAILURES: 0 (off) leaves only the rate rule to open a breaker, which never opens for a client sending one request at a time: BREAKER_WINDOW_MS (10000) must be longer than BREAKER_VOLUME_THRESHOLD (5) x the longest call timeout (5000 ms, SUBGRAPH_TIMEOUT_MS) = 25000 ms: set BREAKER_CONSECUTIVE_FAILURES to 1 or more, or BREAKER_WINDOW_MS above 25000')}$`,
      ),
    ]);
    const cart = await runWithoutConnecting('cart', { BREAKER_CONSECUTIVE_FAILURES: '0', BREAKER_ERROR_THRESHOLD_PERCENT: '100', BREAKER_WINDOW_MS: '60000' });
    expectConfigLines(cart, [/^ {2}- BREAKER_CONSECUTIVE_FAILURES: 0 \(off\) leaves only the rate rule to open a breaker, and with BREAKER_ERROR_THRESHOLD_PERCENT at 100 it never opens/]);
  }, 30_000);

  it('orders: its recovery settings are checked at start too', async () => {
    const outcome = await runWithoutConnecting('orders', { ORDER_PENDING_TIMEOUT_MS: '1m' });
    expectConfigLines(outcome, [/^ {2}- ORDER_PENDING_TIMEOUT_MS: must be a whole number of milliseconds of at least 1, got "1m"$/]);
  }, 30_000);

  it('production: placeholder, default and short secrets are refused, one line each', async () => {
    const outcome = await runWithoutConnecting('users', {
      NODE_ENV: 'production',
      INTERNAL_SECRET: 'change-me',
      JWT_SECRET: 'development-jwt-secret-change-me-in-production',
    });
    expectConfigLines(outcome, [
      /^ {2}- INTERNAL_SECRET: looks like a placeholder, refused in production: set a random value of at least 32 characters \(e\.g\. `openssl rand -hex 32`\)$/,
      /^ {2}- JWT_SECRET: is a development default, refused in production: set a random value of at least 32 characters/,
    ]);

    const gateway = await run('gateway', 'dist/gateway/main.js', {
      NODE_ENV: 'production',
      PORT: String(await freePort()),
      INTERNAL_SECRET: 'k3y-0f-20-characters',
      JWT_SECRET: 'q8Jx2vN0pL5sR7tW1yZ4bC6dF9gH3kM0',
    });
    expectConfigLines(gateway, [/^ {2}- INTERNAL_SECRET: too short for production \(20 characters, at least 32\): set a random value/]);
  }, 30_000);

  it('production: a subgraph that signs no tokens is not asked for JWT_SECRET', async () => {
    const outcome = await runWithoutConnecting('cart', { NODE_ENV: 'production' });
    expectConfigLines(outcome, [/^ {2}- INTERNAL_SECRET: required, not set/]);
  }, 30_000);

  it('npm start: the embedded PostgreSQL port is taken', async () => {
    const port = await takenPort();
    const dataDir = path.join(tempDir, 'port-taken', 'postgres');
    const outcome = await run('npm start', 'dist/scripts/start-all.js', await npmStartEnv(dataDir, port));
    expectOneLine(outcome, new RegExp(`^Cannot start: embedded PostgreSQL cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use by another program: stop that program, or set EMBEDDED_POSTGRES_PORT to a free port$`));
  }, 30_000);

  it('npm start: a data folder of another PostgreSQL version', async () => {
    const dataDir = path.join(tempDir, 'old-version');
    mkdirSync(dataDir);
    writeFileSync(path.join(dataDir, 'PG_VERSION'), '9.6\n');
    const outcome = await run('npm start', 'dist/scripts/start-all.js', await npmStartEnv(dataDir));
    expectOneLine(
      outcome,
      new RegExp(`^Cannot start: the embedded PostgreSQL data folder ${literal(dataDir)} was made by PostgreSQL 9\\.6, and this server is PostgreSQL \\d+: set EMBEDDED_POSTGRES_DIR to a new folder, or move ${literal(dataDir)} away to start afresh \\(its data stays there\\)$`),
    );
  }, 30_000);

  onlyAsRoot('npm start as root: a data folder under a folder the postgres user cannot enter (left as it is)', async () => {
    const closed = path.join(tempDir, 'closed');
    mkdirSync(closed, { mode: 0o700 });
    const dataDir = path.join(closed, 'postgres');
    const outcome = await run('npm start', 'dist/scripts/start-all.js', await npmStartEnv(dataDir));
    expectOneLine(
      outcome,
      new RegExp(
        `^Cannot start: the embedded PostgreSQL server runs as the user postgres, which cannot reach its data folder ${literal(dataDir)}: ${literal(closed)} is closed to it \\(mode 0700, owner uid 0\\): set EMBEDDED_POSTGRES_DIR to a folder it can reach \\(e\\.g\\. under /var/tmp\\), or give it access to ${literal(closed)} yourself$`,
      ),
    );
    expect(statSync(closed).mode & 0o777).toBe(0o700);
  }, 30_000);

  onlyAsRoot('npm start as root: a data folder owned by another user', async () => {
    const dataDir = path.join(tempDir, 'owned-by-root');
    mkdirSync(dataDir);
    writeFileSync(path.join(dataDir, 'PG_VERSION'), '18\n');
    const outcome = await run('npm start', 'dist/scripts/start-all.js', await npmStartEnv(dataDir));
    expectOneLine(
      outcome,
      new RegExp(
        `^Cannot start: the embedded PostgreSQL data folder ${literal(dataDir)} belongs to uid 0, but the server runs as the user postgres \\(uid \\d+\\): set EMBEDDED_POSTGRES_DIR to another folder, or give this one to that user \\(chown -R postgres ${literal(dataDir)}\\)$`,
      ),
    );
  }, 30_000);

  it('two npm starts at once (two data folders, two sets of ports) both come up; a third on a used data folder is refused', async () => {
    const dirA = path.join(tempDir, 'checkout-a', '.data', 'postgres');
    const dirB = path.join(tempDir, 'checkout-b', '.data', 'postgres');
    const [envA, envB] = [await npmStartEnv(dirA), await npmStartEnv(dirB)];
    const startedAt = Date.now();
    const a = start('npm start A', 'dist/scripts/start-all.js', envA);
    const b = start('npm start B', 'dist/scripts/start-all.js', envB);
    await Promise.all([
      waitUntilHealthy(`http://127.0.0.1:${envA.PORT}/health`, a, 60_000),
      waitUntilHealthy(`http://127.0.0.1:${envB.PORT}/health`, b, 60_000),
    ]);
    const upMs = Date.now() - startedAt;
    // Each server's Unix socket (and its lock) lives in its own data folder, none in /tmp.
    for (const [dir, env] of [[dirA, envA], [dirB, envB]] as const) {
      expect(existsSync(path.join(dir, `.s.PGSQL.${env.EMBEDDED_POSTGRES_PORT}`))).toBe(true);
      expect(existsSync(`/tmp/.s.PGSQL.${env.EMBEDDED_POSTGRES_PORT}.lock`)).toBe(false);
    }

    const third = await run('npm start C', 'dist/scripts/start-all.js', await npmStartEnv(dirA));
    expectOneLine(
      third,
      new RegExp(
        `^Cannot start: the embedded PostgreSQL data folder ${literal(dirA)} is in use by another PostgreSQL server \\(PID \\d+\\), perhaps an \`npm start\` of this checkout still running: stop it, or set EMBEDDED_POSTGRES_DIR to another folder$`,
      ),
    );

    expect(await a.stop()).toBe(0);
    expect(await b.stop()).toBe(0);
    expect(upMs).toBeLessThan(60_000);
  }, 90_000);
});
