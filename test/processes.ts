import { exitCodeOf, startNodeService, waitUntil, type Service } from '../scripts/processes';

/**
 * Services as separate processes for tests, on the helpers the benchmarks use
 * (scripts/processes.ts): a built entry point run as a deployment runs it
 * (no drain delay unless a test sets SHUTDOWN_DELAY_MS), a private Redis,
 * waiting for health and for an exit.
 */
export { freePort } from '../lib/http';
export { startRedisServer } from '../scripts/processes';
export type ServiceProcess = Service;

/** Runs a built entry point (`dist/...`) as its own process. */
export function startProcess(name: string, entry: string, env: Record<string, string>): ServiceProcess {
  return startNodeService(name, entry, env);
}

/** Resolves once `url` answers 2xx, or fails with the process output after `timeoutMs`. */
export function waitUntilHealthy(url: string, service: ServiceProcess, timeoutMs = 20_000): Promise<void> {
  return waitUntil(service, `healthy at ${url}`, async () => (await fetch(url)).ok, timeoutMs);
}

/** Waits for a process to exit on its own; its exit code. */
export function exitCode(service: ServiceProcess, timeoutMs = 20_000): Promise<number | null> {
  return exitCodeOf(service, timeoutMs);
}
