import { Client } from 'pg';
import { databaseName, databaseUrl } from '../../lib/database';
import { freePort } from '../../lib/http';
import { SUBGRAPH_NAMES } from '../../lib/subgraph-names';
import { exitCodeOf, redisServerInstalled, startNodeService, startRedisServer, waitUntil, type Service } from '../processes';

/**
 * The split deployment the benchmarks measure, started from dist/ in
 * production mode on 127.0.0.1: the databases `<prefix>_<subgraph>` seeded
 * (dist/scripts/seed.js: create, migrate, demo data), then every subgraph
 * and each gateway asked for as its own process. Redis: REDIS_URL when set,
 * else a private redis-server on a free port. Gateways run with
 * RATE_LIMIT_MODE=off (a benchmark is one client machine); every other
 * setting is the production default unless the caller adds it.
 *
 * Every process is recorded as soon as it is spawned, so `stop()` (gateways
 * first, then the subgraphs, then Redis) also stops a deployment whose
 * start-up failed half-way.
 */
export interface DeploymentSettings {
  /** The PostgreSQL server (DATABASE_URL). */
  serverUrl: string;
  /** Databases are `<databasePrefix>_<subgraph>`. */
  databasePrefix: string;
  internalSecret: string;
  jwtSecret: string;
  host: string;
  log: (message: string) => void;
  /** Settings for every process, made once the subgraph ports are chosen (e.g. a tracing receiver started then). */
  extraEnv?: () => Promise<Record<string, string>>;
}

export interface GatewaySpec {
  /** Name of the process (what `Service.name` says). */
  service: string;
  /** Settings of this gateway on top of the deployment's and RATE_LIMIT_MODE=off. */
  env?: Record<string, string>;
  /** The progress line once it is healthy, given its URL. */
  describe: (url: string) => string;
}

export interface StartedGateway {
  service: Service;
  port: number;
  /** http://<host>:<port>/graphql */
  url: string;
}

const hidePassword = (url: string) => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');

export class SplitDeployment {
  /** Every process started, in order: subgraphs, then gateways. */
  readonly services: Service[] = [];
  redis: Service | undefined;
  /** Settings every subgraph and gateway got. */
  env: Record<string, string> = {};
  readonly subgraphPorts: Record<string, number> = {};
  /** When seeding began (Date.now()): the start of "all up in". */
  seedStartedAt = NaN;
  private stopping: Promise<void> | undefined;
  private settings: DeploymentSettings | undefined;

  /**
   * Redis, the subgraph ports, the settings (with `extraEnv`), seeding, then
   * every subgraph at once, each waited for until healthy. Exits the process
   * (code 2, one line) when Redis is needed and there is none.
   */
  async startSubgraphs(settings: DeploymentSettings): Promise<void> {
    this.settings = settings;
    const { log, host, serverUrl, databasePrefix } = settings;
    let redisUrl = process.env.REDIS_URL;
    if (redisUrl) {
      log(`Redis: ${hidePassword(redisUrl)} (REDIS_URL)`);
    } else {
      if (!redisServerInstalled()) {
        log('REDIS_URL is not set and no redis-server binary is on PATH: the subgraphs that publish events need Redis when run as separate processes; set REDIS_URL or install redis-server');
        process.exit(2);
      }
      const port = await freePort();
      this.redis = startRedisServer(port);
      redisUrl = `redis://${host}:${port}`;
      log(`Redis: private redis-server on ${host}:${port} (REDIS_URL not set)`);
    }
    for (const name of SUBGRAPH_NAMES) this.subgraphPorts[name] = await freePort();
    const extra = settings.extraEnv ? await settings.extraEnv() : {};
    this.env = {
      NODE_ENV: 'production',
      ...extra,
      DATABASE_URL: serverUrl,
      DATABASE_NAME_PREFIX: databasePrefix,
      REDIS_URL: redisUrl,
      INTERNAL_SECRET: settings.internalSecret,
      JWT_SECRET: settings.jwtSecret,
      HOST: host,
      ...Object.fromEntries(SUBGRAPH_NAMES.map((name) => [`${name.toUpperCase()}_URL`, `http://${host}:${this.subgraphPorts[name]}/graphql`])),
    };
    log(`database: ${hidePassword(serverUrl)} (DATABASE_URL), databases ${databasePrefix}_<subgraph>`);
    this.seedStartedAt = Date.now();
    log('  seeding (dist/scripts/seed.js: create, migrate, demo data; idempotent)');
    const seed = startNodeService('seed', 'dist/scripts/seed.js', this.env);
    const seeded = await exitCodeOf(seed, 120_000);
    if (seeded !== 0) throw new Error(`seeding failed (exit ${seeded}):\n${seed.output()}`);
    await Promise.all(
      SUBGRAPH_NAMES.map(async (name) => {
        const service = startNodeService(name, `dist/subgraphs/${name}/main.js`, { ...this.env, PORT: String(this.subgraphPorts[name]) });
        this.services.push(service);
        await waitUntil(service, 'healthy', this.healthy(host, this.subgraphPorts[name]), 30_000);
      }),
    );
    log(`  subgraphs up: ${SUBGRAPH_NAMES.map((name) => `${name} :${this.subgraphPorts[name]}`).join(', ')}`);
  }

  /** One gateway (dist/gateway/main.js) on a free port, after `startSubgraphs`: waited for until healthy, then its progress line. */
  async startGateway(spec: GatewaySpec): Promise<StartedGateway> {
    const settings = this.settings;
    if (!settings) throw new Error('startGateway needs startSubgraphs first');
    const port = await freePort();
    const service = startNodeService(spec.service, 'dist/gateway/main.js', { ...this.env, PORT: String(port), RATE_LIMIT_MODE: 'off', ...spec.env });
    this.services.push(service);
    await waitUntil(service, 'healthy', this.healthy(settings.host, port), 30_000);
    const url = `http://${settings.host}:${port}/graphql`;
    settings.log(spec.describe(url));
    return { service, port, url };
  }

  /** The subgraph processes (not the gateways, not Redis). */
  subgraphServices(): Service[] {
    return this.services.filter((service) => (SUBGRAPH_NAMES as readonly string[]).includes(service.name));
  }

  /** The gateways first, then the subgraphs, then Redis; once, however often it is called. */
  stop(): Promise<void> {
    return (this.stopping ??= (async () => {
      await Promise.all(this.services.filter((service) => service.name.startsWith('gateway')).map((service) => service.stop().catch(() => undefined)));
      await Promise.all(this.services.map((service) => service.stop().catch(() => undefined)));
      await this.redis?.stop().catch(() => undefined);
    })());
  }

  private healthy(host: string, port: number) {
    return async () => (await fetch(`http://${host}:${port}/health`)).ok;
  }
}

/**
 * Drops the databases `<prefix>_<subgraph>` (WITH (FORCE): connections left
 * by an earlier run do not stop it), so the seed starts from nothing. The
 * names dropped.
 */
export async function dropDatabases(serverUrl: string, prefix: string): Promise<string[]> {
  const client = new Client({ connectionString: databaseUrl(serverUrl, 'postgres') });
  await client.connect();
  try {
    const names = SUBGRAPH_NAMES.map((name) => databaseName(prefix, name));
    for (const name of names) await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    return names;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * On SIGINT or SIGTERM, logs that it stops, runs `cleanUp` (stopping every
 * process the benchmark started) and exits 130: an interrupted benchmark
 * leaves nothing running.
 */
export function cleanUpOnSignals(cleanUp: () => Promise<unknown>, log: (line: string) => void): void {
  const onSignal = () => {
    log('interrupted: stopping every process this benchmark started');
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}
