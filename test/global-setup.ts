import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { createTempDataParent, startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../lib/embedded-postgres';
import type { Service } from '../scripts/processes';
import { findTestRedis, MISSING_REDIS } from '../scripts/test-prerequisites';

declare global {
  // eslint-disable-next-line no-var
  var embeddedPostgres: EmbeddedPostgresHandle | undefined;
  // eslint-disable-next-line no-var
  var testRedisServer: Service | undefined;
}

/**
 * Tests use the PostgreSQL server in DATABASE_URL when set (CI), otherwise a
 * throwaway embedded one; Redis from REDIS_URL, else 127.0.0.1:6379, else a
 * private redis-server for the run (scripts/test-prerequisites.ts). Workers
 * inherit both URLs through the environment.
 */
export default async function globalSetup(): Promise<void> {
  process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
  // Databases are named per run and worker, so concurrent runs on one server never collide.
  process.env.TEST_RUN_ID ??= `${process.pid}`;
  // Redis first: without it, one line and exit now, not failing tests later.
  const redis = await findTestRedis();
  if (!redis) {
    console.error(`\n${MISSING_REDIS}`);
    process.exit(1);
  }
  process.env.REDIS_URL = redis.url;
  globalThis.testRedisServer = redis.server;
  // Tests that run services as separate processes start them from dist/, as deployments do.
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  if (process.env.DATABASE_URL) return;
  // A temporary parent the `postgres` user can pass (the server runs as that user when we are root).
  const dataDir = path.join(createTempDataParent('commerce-test-pg-'), 'data');
  const port = 55_432 + Math.floor(Math.random() * 1000);
  globalThis.embeddedPostgres = await startEmbeddedPostgres({ dataDir, port, persistent: false });
  process.env.DATABASE_URL = globalThis.embeddedPostgres.url;
}
