import { Agent, request } from 'undici';
import { SUBGRAPH_NAMES, type SubgraphName } from '../lib/subgraph-names';
import { exitCode, freePort, startProcess, startRedisServer, waitUntilHealthy, type ServiceProcess } from '../test/processes';
import { testDatabasePrefix, testServerUrl, TEST_INTERNAL_SECRET, TEST_JWT_SECRET } from '../test/subgraph-harness';

/**
 * Zero-downtime shutdown: steady load on two gateway replicas (separate
 * processes from dist/), one of them gets SIGTERM. A refused connect that the
 * client retries on the other replica is fine; an accepted request that is
 * dropped, or any error answer, is a failure. There must be none.
 */
const QUERY = JSON.stringify({ query: '{ products(first: 3) { nodes { id name inStock } } }' });
const DELAY_MS = 1_500;

type Replica = 'gatewayA' | 'gatewayB';

describe('SIGTERM to a gateway replica under load', () => {
  const processes: ServiceProcess[] = [];
  let redis: ServiceProcess;
  const ports = {} as Record<SubgraphName | Replica | 'redis', number>;
  const replicas = {} as Record<Replica, ServiceProcess>;
  let env: Record<string, string>;

  beforeAll(async () => {
    for (const name of [...SUBGRAPH_NAMES, 'gatewayA', 'gatewayB', 'redis'] as const) ports[name] = await freePort();
    redis = startRedisServer(ports.redis);
    env = {
      NODE_ENV: 'production',
      DATABASE_URL: testServerUrl(),
      DATABASE_NAME_PREFIX: `${testDatabasePrefix()}_drain`,
      REDIS_URL: `redis://127.0.0.1:${ports.redis}`,
      INTERNAL_SECRET: TEST_INTERNAL_SECRET,
      JWT_SECRET: TEST_JWT_SECRET,
      HOST: '127.0.0.1',
      ...Object.fromEntries(SUBGRAPH_NAMES.map((name) => [`${name.toUpperCase()}_URL`, `http://127.0.0.1:${ports[name]}/graphql`])),
    };
    const seed = startProcess('seed', 'dist/scripts/seed.js', env);
    expect(await exitCode(seed, 60_000)).toBe(0);
    await Promise.all(SUBGRAPH_NAMES.map((name) => start(name, `dist/subgraphs/${name}/main.js`, ports[name], {})));
    // Replica A drains with a delay, as in production; the load balancer here is the client's own retry.
    replicas.gatewayA = await start('gatewayA', 'dist/gateway/main.js', ports.gatewayA, { SHUTDOWN_DELAY_MS: String(DELAY_MS), SHUTDOWN_GRACE_MS: '10000' });
    replicas.gatewayB = await start('gatewayB', 'dist/gateway/main.js', ports.gatewayB, {});
  }, 90_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await redis?.stop();
  });

  async function start(name: string, entry: string, port: number, extra: Record<string, string>): Promise<ServiceProcess> {
    const service = startProcess(name, entry, { ...env, ...extra, PORT: String(port) });
    processes.push(service);
    await waitUntilHealthy(`http://127.0.0.1:${port}/health`, service);
    return service;
  }

  it('drops no accepted request: readiness goes 503, the replica serves through the delay, then exits 0', async () => {
    const agent = new Agent({ keepAliveTimeout: 30_000, connections: 16 });
    const counts = { gatewayA: 0, gatewayB: 0, retriedAfterRefusedConnect: 0, servedByAAfterSigterm: 0 };
    const failures: string[] = [];
    let sigtermAt: number | undefined;
    const deadline = Date.now() + 6_000;

    const send = async (replica: Replica): Promise<boolean> => {
      try {
        const response = await request(`http://127.0.0.1:${ports[replica]}/graphql`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json' },
          body: QUERY,
        });
        const text = await response.body.text();
        if (response.statusCode !== 200 || text.includes('"errors"')) failures.push(`${replica}: HTTP ${response.statusCode} ${text.slice(0, 200)}`);
        else {
          counts[replica] += 1;
          if (replica === 'gatewayA' && sigtermAt !== undefined) counts.servedByAAfterSigterm += 1;
        }
        return true;
      } catch (error) {
        const code = (error as { code?: string; cause?: { code?: string } }).code ?? (error as { cause?: { code?: string } }).cause?.code;
        // Nothing was accepted: the client may try the other replica, as a load balancer would.
        if (code === 'ECONNREFUSED') return false;
        failures.push(`${replica}: ${code ?? ''} ${(error as Error).message}`);
        return true;
      }
    };

    const loop = async (first: Replica) => {
      let next = first;
      while (Date.now() < deadline) {
        if (!(await send(next))) {
          counts.retriedAfterRefusedConnect += 1;
          await send(next === 'gatewayA' ? 'gatewayB' : 'gatewayA');
        }
        next = next === 'gatewayA' ? 'gatewayB' : 'gatewayA';
      }
    };

    const loops = Array.from({ length: 8 }, (_, i) => loop(i % 2 === 0 ? 'gatewayA' : 'gatewayB'));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    sigtermAt = Date.now();
    replicas.gatewayA.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const ready = await fetch(`http://127.0.0.1:${ports.gatewayA}/ready`).catch((error) => {
      throw new Error(`gateway A is gone: ${(error as Error).message}\n${replicas.gatewayA.output()}`);
    });
    expect(ready.status).toBe(503);
    const exited = exitCode(replicas.gatewayA, 15_000).then((code) => ({ code, afterMs: Date.now() - sigtermAt! }));
    await Promise.all(loops);
    const { code, afterMs } = await exited;
    await agent.close();

    process.stdout.write(
      `SIGTERM under load: ${counts.gatewayA + counts.gatewayB} requests served (A ${counts.gatewayA}, ${counts.servedByAAfterSigterm} of them after SIGTERM; B ${counts.gatewayB}), ` +
        `${counts.retriedAfterRefusedConnect} refused connects retried on B, ${failures.length} failed; A exited ${code} after ${afterMs} ms\n`,
    );
    expect(failures).toEqual([]);
    expect(code).toBe(0);
    expect(counts.servedByAAfterSigterm).toBeGreaterThan(0);
    expect(afterMs).toBeGreaterThanOrEqual(DELAY_MS);
    expect(counts.gatewayB).toBeGreaterThan(0);
  }, 60_000);
});
