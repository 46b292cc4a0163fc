import { Agent, request } from 'undici';
import { exitCode } from '../test/processes';
import { startSplitDeployment, type SplitDeployment } from '../test/split-deployment';

/**
 * Zero-downtime shutdown: steady load on two gateway replicas (separate
 * processes from dist/), one of them gets SIGTERM. The client acts as the load
 * balancer (it follows /ready); a refused connect that it retries on the other
 * replica is fine; an accepted request that is dropped, or any error answer,
 * is a failure. There must be none.
 */
const QUERY = JSON.stringify({ query: '{ products(first: 3) { nodes { id name inStock } } }' });
const DELAY_MS = 1_500;

type Replica = 'gatewayA' | 'gatewayB';

describe('SIGTERM to a gateway replica under load', () => {
  let deployment: SplitDeployment;
  const ports = (replica: Replica) => deployment.ports[replica];

  beforeAll(async () => {
    deployment = await startSplitDeployment({
      databaseSuffix: 'drain',
      // Replica A drains with a delay, as in production; the load balancer here is the client's own retry.
      gateways: { gatewayA: { SHUTDOWN_DELAY_MS: String(DELAY_MS), SHUTDOWN_GRACE_MS: '10000' }, gatewayB: {} },
    });
  }, 90_000);

  afterAll(() => deployment?.stop());

  it('drops no accepted request: readiness goes 503, the replica serves through the delay, then exits 0', async () => {
    const agent = new Agent({ keepAliveTimeout: 30_000, connections: 16 });
    const counts = { gatewayA: 0, gatewayB: 0, retriedAfterRefusedConnect: 0, servedByAAfterSigterm: 0 };
    const failures: string[] = [];
    let sigtermAt: number | undefined;
    const deadline = Date.now() + 6_000;

    const send = async (replica: Replica): Promise<boolean> => {
      try {
        const response = await request(`http://127.0.0.1:${ports(replica)}/graphql`, {
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
        // The connection was never established (refused, or reset while still in the closing
        // listener's backlog), so no request was sent: the client may try the other replica, as a
        // load balancer would. A failure after connecting is a dropped request.
        if (code === 'ECONNREFUSED' || (error as Error).message.startsWith('connect ')) return false;
        failures.push(`${replica}: ${code ?? ''} ${(error as Error).message}`);
        return true;
      }
    };

    // The client plays the load balancer: it health-checks A's /ready every 100 ms, as a balancer
    // would, and stops routing to A once A says it is draining.
    let routeToA = true;
    const healthCheck = (async () => {
      while (Date.now() < deadline) {
        const ready = await fetch(`http://127.0.0.1:${ports('gatewayA')}/ready`).then((r) => r.ok, () => false);
        if (!ready) routeToA = false;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    const loop = async (first: Replica) => {
      let next = first;
      while (Date.now() < deadline) {
        const target = next === 'gatewayA' && !routeToA ? 'gatewayB' : next;
        if (!(await send(target))) {
          counts.retriedAfterRefusedConnect += 1;
          await send(target === 'gatewayA' ? 'gatewayB' : 'gatewayA');
        }
        next = next === 'gatewayA' ? 'gatewayB' : 'gatewayA';
      }
    };

    const loops = Array.from({ length: 8 }, (_, i) => loop(i % 2 === 0 ? 'gatewayA' : 'gatewayB'));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    sigtermAt = Date.now();
    deployment.process('gatewayA').child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const ready = await fetch(`http://127.0.0.1:${ports('gatewayA')}/ready`).catch((error) => {
      throw new Error(`gateway A is gone: ${(error as Error).message}\n${deployment.process('gatewayA').output()}`);
    });
    expect(ready.status).toBe(503);
    const exited = exitCode(deployment.process('gatewayA'), 15_000).then((code) => ({ code, afterMs: Date.now() - sigtermAt! }));
    await Promise.all([...loops, healthCheck]);
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
