import { withMaintenanceConnection } from '../lib/database';

/** Drops this run's databases (test_r<run>_...), then stops the embedded server if one was started. */
export default async function globalTeardown(): Promise<void> {
  const url = process.env.DATABASE_URL;
  const runId = process.env.TEST_RUN_ID;
  if (url && runId && !globalThis.embeddedPostgres) {
    await withMaintenanceConnection(url, async (client) => {
      const { rows } = await client.query<{ datname: string }>('select datname from pg_database where datname like $1', [`test_r${runId}\\_%`]);
      for (const { datname } of rows) await client.query(`drop database if exists "${datname}" with (force)`);
    });
  }
  await globalThis.embeddedPostgres?.stop();
  await globalThis.testRedisServer?.stop(2_000);
}
