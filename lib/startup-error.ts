/**
 * A failure to start with a known cause (a port in use, a server that cannot
 * be reached, a data folder that cannot be used). `runMain` prints its
 * message as one line, without a stack, and exits 1. The message says what
 * failed, why, and what to change; `setting` names the variable to change.
 */
export class StartupError extends Error {
  constructor(
    message: string,
    readonly setting: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StartupError';
  }
}

/** The errno code of a failed system call (`EADDRINUSE` ...); Node reports tries at several addresses as an AggregateError. */
export function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  if (typeof code === 'string') return code;
  if (error instanceof AggregateError) return error.errors.map(errnoCode).find((found) => found !== undefined);
  return undefined;
}

/** Why a connection failed and what to do, for the codes expected at start. */
const CONNECT_FAILURES: Record<string, { why: string; fix: (setting: string) => string }> = {
  ECONNREFUSED: { why: 'refused the connection (nothing is listening there)', fix: (setting) => `start it, or set ${setting} to a server that is running` },
  ENOTFOUND: { why: 'cannot be found (its host name does not resolve)', fix: (setting) => `correct the host in ${setting}` },
  EAI_AGAIN: { why: 'cannot be found (its host name could not be resolved)', fix: (setting) => `correct the host in ${setting}, or check DNS` },
  ETIMEDOUT: { why: 'did not answer in time', fix: (setting) => `check ${setting} and the network` },
  EHOSTUNREACH: { why: 'cannot be reached (no route to its host)', fix: (setting) => `check ${setting} and the network` },
  ENETUNREACH: { why: 'cannot be reached (no route to its network)', fix: (setting) => `check ${setting} and the network` },
  ECONNRESET: { why: 'closed the connection', fix: (setting) => `check that ${setting} names the right server` },
};

/**
 * A failed connection to `server` ("PostgreSQL at 127.0.0.1:5432") as a
 * StartupError naming `setting`; an error of unknown cause is returned as it is.
 */
export function connectFailure(error: unknown, server: string, setting: string): unknown {
  const known = CONNECT_FAILURES[errnoCode(error) ?? ''];
  return known ? new StartupError(`${server} ${known.why}: ${known.fix(setting)}`, setting, { cause: error }) : error;
}

/** A failed `listen` on `host`:`port` as a StartupError naming `portSetting` (or HOST); an error of unknown cause as it is. */
export function listenFailure(error: unknown, port: number, host: string, portSetting = 'PORT'): unknown {
  const options = { cause: error };
  switch (errnoCode(error)) {
    case 'EADDRINUSE':
      return new StartupError(`port ${port} on ${host} is already in use by another program: stop that program, or set ${portSetting} to a free port`, portSetting, options);
    case 'EACCES':
      return new StartupError(`port ${port} on ${host} needs privileges this process does not have: set ${portSetting} to a port above 1023`, portSetting, options);
    case 'EADDRNOTAVAIL':
      return new StartupError(`${host} is not an address of this machine, so port ${port} cannot be opened on it: set HOST to one of its addresses (0.0.0.0 for all)`, 'HOST', options);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StartupError(`the host name ${host} does not resolve, so port ${port} cannot be opened on it: set HOST to an address of this machine (0.0.0.0 for all)`, 'HOST', options);
    default:
      return error;
  }
}

/** Why a file system call on a folder failed, for the codes expected at start. */
const FOLDER_FAILURES: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of its path is a file, not a folder',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space is left on the device',
};

/** A failed operation on `folder` ("create the folder /x") as a StartupError naming `setting`; an error of unknown cause as it is. */
export function folderFailure(error: unknown, action: string, setting: string): unknown {
  const why = FOLDER_FAILURES[errnoCode(error) ?? ''];
  return why ? new StartupError(`cannot ${action}: ${why}: set ${setting} to a folder this user can write`, setting, { cause: error }) : error;
}
