import { Agent, request } from 'undici';
import type { BenchRequest } from './workloads';

/**
 * The load generator: N concurrent loops over one keep-alive undici Agent,
 * each sending the next request of a fixed sequence as soon as the previous
 * answer is read, until the time is up (closed loop: the offered load is
 * whatever the gateway can answer).
 */
export interface LoadResult {
  requests: number;
  seconds: number;
  /** Round trips in ms, sorted. */
  latencies: Float64Array;
  errors: number;
  /** Count and first answer of each kind of error (`HTTP 500`, `GraphQL errors (search)`, `network ECONNRESET`). */
  errorKinds: Map<string, { count: number; sample: string }>;
  /** Client CPU (this process) in ms. */
  clientCpuMs: number;
  /** Round trips in ms by kind of request (product page, search ...), unsorted. */
  byKind: Map<string, number[]>;
}

export interface Target {
  url: string;
  /** Headers of anonymous requests; signed-in ones add `authorization`. */
  headers: Record<string, string>;
  token: string;
}

export function createAgent(connections: number): Agent {
  return new Agent({ connections, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000, headersTimeout: 30_000, bodyTimeout: 30_000 });
}

export function headersOf(target: Target, signedIn: boolean): Record<string, string> {
  return signedIn ? { ...target.headers, authorization: `Bearer ${target.token}` } : target.headers;
}

/** One request, answer parsed (for checks outside the timed loops). */
export async function send(agent: Agent, target: Target, item: Pick<BenchRequest, 'body' | 'signedIn'>): Promise<{ status: number; json: any; text: string }> {
  const response = await request(target.url, { dispatcher: agent, method: 'POST', headers: headersOf(target, item.signedIn), body: item.body });
  const text = await response.body.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.statusCode, json, text };
}

export async function runLoad(agent: Agent, target: Target, sequence: BenchRequest[], connections: number, seconds: number): Promise<LoadResult> {
  const anonymous = headersOf(target, false);
  const signedIn = headersOf(target, true);
  const latencies: number[] = [];
  const byKind = new Map<string, number[]>();
  for (const item of sequence) if (!byKind.has(item.kind)) byKind.set(item.kind, []);
  const errorKinds = new Map<string, { count: number; sample: string }>();
  let errors = 0;
  const fail = (kind: string, sample: string) => {
    errors += 1;
    const entry = errorKinds.get(kind);
    if (entry) entry.count += 1;
    else errorKinds.set(kind, { count: 1, sample: sample.slice(0, 400) });
  };
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const endAt = started + seconds * 1000;
  const stride = Math.max(1, Math.floor(sequence.length / connections));
  const loop = async (index: number) => {
    let position = index * stride;
    while (performance.now() < endAt) {
      const item = sequence[position % sequence.length];
      position += 1;
      const sent = performance.now();
      try {
        const response = await request(target.url, { dispatcher: agent, method: 'POST', headers: item.signedIn ? signedIn : anonymous, body: item.body });
        const text = await response.body.text();
        const ms = performance.now() - sent;
        latencies.push(ms);
        byKind.get(item.kind)!.push(ms);
        if (response.statusCode !== 200) fail(`HTTP ${response.statusCode} (${item.kind})`, text);
        else if (text.includes('"errors":')) fail(`GraphQL errors (${item.kind})`, text);
      } catch (error) {
        latencies.push(performance.now() - sent);
        fail(`network ${(error as NodeJS.ErrnoException).code ?? (error as Error).message} (${item.kind})`, String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, (_, index) => loop(index)));
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const sorted = Float64Array.from(latencies).sort();
  return { requests: latencies.length, seconds: elapsed, latencies: sorted, errors, errorKinds, clientCpuMs: (cpu.user + cpu.system) / 1000, byKind };
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
