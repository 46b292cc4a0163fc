import { Client } from 'pg';

/** Drops this run's databases (test_r<run>_...), then stops the embedded server if one was started. */
export default async function globalTeardown(): Promise<void> {
  const url = process.env.DATABASE_URL;
  const runId = process.env.TEST_RUN_ID;
  if (url && runId && !globalThis.embeddedPostgres) {
    const maintenance = new URL(url);
    maintenance.pathname = '/postgres';
    const client = new Client({ connectionString: maintenance.toString() });
    await client.connect();
    try {
      const { rows } = await client.query<{ datname: string }>('select datname from pg_database where datname like $1', [`test_r${runId}\\_%`]);
      for (const { datname } of rows) await client.query(`drop database if exists "${datname}" with (force)`);
    } finally {
      await client.end();
    }
  }
  await globalThis.embeddedPostgres?.stop();
}
