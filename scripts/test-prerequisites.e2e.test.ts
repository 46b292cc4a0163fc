import { spawnSync } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '../lib/paths';
import { MISSING_REDIS, redisAnswers } from './test-prerequisites';

const entry = path.join(repoRoot(), 'dist', 'scripts', 'test-prerequisites.js');

/** A PATH holding only `node` (and `redis-server` when asked), a closed probe port, no REDIS_URL. */
function runCheck(withRedisServer: boolean) {
  const bin = mkdtempSync(path.join(tmpdir(), 'prereq-bin-'));
  symlinkSync(process.execPath, path.join(bin, 'node'));
  if (withRedisServer) {
    const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
    symlinkSync(found, path.join(bin, 'redis-server'));
  }
  const started = Date.now();
  const result = spawnSync(process.execPath, [entry], { encoding: 'utf8', timeout: 20_000, env: { PATH: bin, TEST_REDIS_PROBE_PORT: '1' } });
  return { ...result, ms: Date.now() - started };
}

describe('npm test prerequisites', () => {
  it('without Redis, REDIS_URL or redis-server: exits 1 within seconds with one line saying what to install or set', async () => {
    expect(await redisAnswers('127.0.0.1', 1, 500)).toBe(false);
    const result = runCheck(false);
    expect(result.status).toBe(1);
    expect(result.ms).toBeLessThan(5_000);
    expect(result.stderr.trim()).toBe(MISSING_REDIS);
    expect(result.stdout).toBe('');
  });

  it('with redis-server on PATH: starts a private one on a free port', () => {
    const result = runCheck(true);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toMatch(/^Redis at redis:\/\/127\.0\.0\.1:\d+ \(private redis-server for this run\)$/);
  });
});
