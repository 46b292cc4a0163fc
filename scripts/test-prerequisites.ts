import { createConnection } from 'node:net';
import { redisServerInstalled, startRedisServer, waitUntil, type Service } from './processes';
import { freePort } from '../lib/http';

/**
 * What `npm test` needs besides Node: Redis. REDIS_URL when set; else a
 * server answering on 127.0.0.1:6379; else a private `redis-server` (from
 * PATH) on a free port for the run. Without any of them, one line saying
 * what to install or set (the test setup exits with it, before any test).
 */
export const MISSING_REDIS =
  'npm test needs Redis: install redis-server (apt-get install redis-server / brew install redis) or set REDIS_URL=redis://host:port';

export interface TestRedis {
  url: string;
  /** Set when this run started its own server. */
  server?: Service;
}

/** True when a Redis server answers PING at host:port within `timeoutMs`. */
export function redisAnswers(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    let reply = '';
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

/** Redis for the run, or undefined when there is none (the caller reports MISSING_REDIS). */
export async function findTestRedis(env: NodeJS.ProcessEnv = process.env): Promise<TestRedis | undefined> {
  if (env.REDIS_URL) return { url: env.REDIS_URL };
  // The port probed is settable only so a test can probe a closed one.
  const probePort = Number(env.TEST_REDIS_PROBE_PORT ?? 6379);
  if (await redisAnswers('127.0.0.1', probePort)) return { url: `redis://127.0.0.1:${probePort}` };
  if (!redisServerInstalled()) return undefined;
  const port = await freePort();
  const server = startRedisServer(port);
  try {
    await waitUntil(server, `answering on 127.0.0.1:${port}`, () => redisAnswers('127.0.0.1', port, 500), 10_000);
  } catch {
    await server.stop(1_000);
    throw new Error(`redis-server did not answer on 127.0.0.1:${port}:\n${server.output()}`);
  }
  return { url: `redis://127.0.0.1:${port}`, server };
}

// Run alone (`node dist/scripts/test-prerequisites.js`): the check only, one line, exit 0 or 1.
if (require.main === module) {
  findTestRedis().then(
    async (redis) => {
      if (!redis) {
        console.error(MISSING_REDIS);
        process.exit(1);
      }
      console.log(`Redis at ${redis.url}${redis.server ? ' (private redis-server for this run)' : ''}`);
      await redis.server?.stop(2_000);
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    },
  );
}
