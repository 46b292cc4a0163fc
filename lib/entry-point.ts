import { ConfigError } from './config';
import { beginProcessShutdown } from './graceful-shutdown';
import type { Logger } from './logger';
import { StartupError } from './startup-error';

export { StartupError } from './startup-error';

/** The exit code of a process ended by a signal (128 + its number), as shells report it. */
const SIGNAL_EXIT_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Stops on SIGINT/SIGTERM, finishing in-flight requests first. A second
 * signal while stopping (a second Ctrl-C) ends the process at once, with one
 * line; whatever it started that still runs (an embedded PostgreSQL) is
 * signalled on exit.
 */
export function stopOnSignals(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.info({ signal }, 'stopping immediately');
      process.exit(SIGNAL_EXIT_CODES[signal] ?? 1);
    }
    stopping = true;
    beginProcessShutdown();
    log.info({ signal }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (error) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/** Set by runMain: ends the program as a failed start. */
let failStart: ((error: unknown) => void) | undefined;

/**
 * Runs a program's main function. A configuration problem prints its message
 * (one line per problem), a StartupError its one line, anything else the
 * whole error; each exits 1.
 */
export function runMain(main: () => Promise<void>): void {
  failStart = (error: unknown) => {
    if (error instanceof ConfigError) console.error(error.message);
    else if (error instanceof StartupError) console.error(`Cannot start: ${error.message}`);
    else console.error(error);
    process.exit(1);
  };
  main().catch(failStart);
}

/**
 * A connection a program cannot start without, which settles on its own
 * (the event bus's Redis connects in the background): if `connected` rejects,
 * a program run by runMain stops as a failed start. Outside runMain (tests)
 * nothing happens. True when the requirement is enforced.
 */
export function requireAtStart(connected: Promise<unknown>): boolean {
  const fail = failStart;
  connected.catch((error: unknown) => fail?.(error));
  return fail !== undefined;
}
