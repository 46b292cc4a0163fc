import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../lib/paths';

/**
 * Services as their own processes, for the benchmarks and for the tests that
 * need real processes (test/processes.ts builds on these; scripts/ is built
 * into dist/, test/ is not), and CPU time read from /proc.
 */
export interface Service {
  name: string;
  child: ChildProcess;
  /** What it printed (the last OUTPUT_LIMIT characters). */
  output(): string;
  /** Its JSON log lines (pino), parsed; other output is skipped. */
  logLines(): Record<string, any>[];
  /** SIGTERM to the process and everything it started; SIGKILL after `graceMs`. Its exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

const OUTPUT_LIMIT = 4 * 1024 * 1024;

export function startService(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, cwd = repoRoot()): Service {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    name,
    child,
    output: () => output,
    logLines: () => parseLogLines(output),
    stop: async (graceMs = 10_000) => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return child.exitCode;
      // Descendants first seen now (a forked worker, an installer): they were started by this child, so ours to stop.
      const tree = processTree([child.pid]);
      for (const pid of tree) signal(pid, 'SIGTERM');
      const timer = setTimeout(() => {
        for (const pid of tree) signal(pid, 'SIGKILL');
      }, graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
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

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** A built entry point (`dist/...`) as its own Node process, as a deployment runs it. */
export function startNodeService(name: string, entry: string, env: Record<string, string>): Service {
  return startService(name, process.execPath, [path.join(repoRoot(), entry)], {
    PATH: process.env.PATH ?? '',
    APOLLO_TELEMETRY_DISABLED: 'true',
    LOG_LEVEL: 'warn',
    SHUTDOWN_DELAY_MS: '0',
    ...env,
  });
}

export function redisServerInstalled(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export function startRedisServer(port: number): Service {
  return startService('redis', 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], process.env);
}

/** Resolves when the process exits; its exit code. Rejects after `timeoutMs`. */
export async function exitCodeOf(service: Service, timeoutMs: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      new Promise<number | null>((resolve) => (service.child.exitCode !== null ? resolve(service.child.exitCode) : service.child.once('exit', (code) => resolve(code)))),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${service.name} still running after ${timeoutMs} ms:\n${service.output()}`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` until it resolves true; fails with the process output if the process exits or `timeoutMs` passes. */
export async function waitUntil(service: Service, what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null) throw new Error(`${service.name} exited with ${service.child.exitCode} before ${what}:\n${service.output()}`);
    try {
      if (await check()) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`${service.name}: not ${what} after ${timeoutMs} ms:\n${service.output()}`);
}

// ---------------------------------------------------------------- CPU time from /proc

export const CLOCK_TICKS = (() => {
  const result = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const value = Number(result.stdout?.trim());
  return Number.isFinite(value) && value > 0 ? value : 100;
})();

interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  ticks: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const fields = text.slice(close + 2).split(' ');
    // After "pid (comm) ": state ppid ... utime is field 14, stime field 15 of the whole line.
    return { pid, ppid: Number(fields[1]), comm, ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

function allStats(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) stats.push(stat);
  }
  return stats;
}

/** The pids and all their living descendants. */
export function processTree(roots: number[]): number[] {
  const stats = allStats();
  const children = new Map<number, number[]>();
  for (const stat of stats) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat.pid]);
  const seen = new Set<number>();
  const queue = [...roots];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return [...seen];
}

/** utime + stime, in milliseconds, of the processes and their living descendants. */
export function cpuMsOfTrees(roots: number[]): number {
  let ticks = 0;
  for (const pid of processTree(roots)) ticks += readStat(pid)?.ticks ?? 0;
  return (ticks * 1000) / CLOCK_TICKS;
}

/** utime + stime, in milliseconds, of every process named `postgres` on this machine (the whole server). */
export function cpuMsOfCommand(comm: string): { ms: number; processes: number } {
  let ticks = 0;
  let processes = 0;
  for (const stat of allStats()) {
    if (stat.comm !== comm) continue;
    ticks += stat.ticks;
    processes += 1;
  }
  return { ms: (ticks * 1000) / CLOCK_TICKS, processes };
}
