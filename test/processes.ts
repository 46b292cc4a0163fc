import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../lib/paths';

export { freePort } from '../lib/http';

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  output(): string;
  /** The process's JSON log lines (pino), parsed; other output is skipped. */
  logLines(): Record<string, any>[];
  /** SIGTERM, then wait for exit. */
  stop(): Promise<number | null>;
}

/** Runs a built entry point (`dist/...`) as its own process, as a deployment would. */
export function startProcess(name: string, entry: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, [path.join(repoRoot(), entry)], {
    // No drain delay unless a test asks for one: stopping a test's processes should not wait for a load balancer.
    env: { PATH: process.env.PATH ?? '', APOLLO_TELEMETRY_DISABLED: 'true', LOG_LEVEL: 'warn', SHUTDOWN_DELAY_MS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    name,
    child,
    output: () => output,
    logLines: () => parseLogLines(output),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

function parseLogLines(output: string): Record<string, any>[] {
  return output.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as Record<string, any>];
    } catch {
      return [];
    }
  });
}

/** Resolves once `url` answers 2xx, or fails with the process output after `timeoutMs`. */
export async function waitUntilHealthy(url: string, service: ServiceProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null) throw new Error(`${service.name} exited with ${service.child.exitCode}:\n${service.output()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${service.name} not healthy at ${url} after ${timeoutMs} ms:\n${service.output()}`);
}

/** Waits for a process to exit on its own; its exit code. */
export async function exitCode(service: ServiceProcess, timeoutMs = 20_000): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      new Promise<number | null>((resolve) => (service.child.exitCode !== null ? resolve(service.child.exitCode) : service.child.once('exit', resolve))),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${service.name} still running after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    // A pending timer would keep Jest from exiting until it fires.
    clearTimeout(timer);
  }
}

/** A private, disposable Redis server: a test may restart it, never the shared one. */
export function startRedisServer(port: number): ServiceProcess {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    name: 'redis',
    child,
    output: () => '',
    logLines: () => [],
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
