import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../lib/http';
import { repoRoot } from '../lib/paths';
import { DEFAULT_SUBGRAPH_PORTS, SUBGRAPH_NAMES } from '../lib/subgraph-names';
import { eventually } from '../test/wait';

/**
 * `npm start` as a person at a terminal meets it (dist/scripts/start-all.js,
 * embedded PostgreSQL, its own process group as a shell gives it): a short
 * list of steps and the banner, no line per request, and Ctrl-C twice ends
 * it at once, quietly, leaving no PostgreSQL behind.
 */
jest.setTimeout(180_000);

describe('npm start in a terminal', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'start-all-'));
  // Run as root, the embedded server drops to the postgres user, which must reach the folder.
  chmodSync(dataDir, 0o755);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints a short start-up list, no line per request, and stops quietly on a second Ctrl-C', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_FORMAT: 'json', EMBEDDED_POSTGRES_DIR: path.join(dataDir, 'pg'), EMBEDDED_POSTGRES_PORT: String(await freePort()) };
    // Embedded defaults: no server or Redis of the test run.
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
    delete env.LOG_LEVEL;
    delete env.DATABASE_NAME_PREFIX;
    const port = await freePort();
    env.PORT = String(port);
    for (const name of SUBGRAPH_NAMES) env[`${name.toUpperCase()}_PORT`] = String(await freePort());
    expect(Object.values(DEFAULT_SUBGRAPH_PORTS)).not.toContain(port);

    const child = spawn(process.execPath, ['dist/scripts/start-all.js'], { cwd: repoRoot(), env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
    try {
      await eventually(() => output.includes('Supergraph ready') || child.exitCode !== null, 'the banner', 150_000);
      expect({ exit: child.exitCode, output: child.exitCode === null ? '' : output }).toEqual({ exit: null, output: '' });
      const beforeBanner = output.slice(0, output.indexOf('Supergraph ready')).split('\n').filter((line) => line.trim() !== '');
      process.stdout.write(`npm start printed ${beforeBanner.length} lines before the banner:\n${beforeBanner.join('\n')}\n`);
      expect(beforeBanner.length).toBeLessThanOrEqual(10);
      expect(beforeBanner.filter((line) => /"level":(40|50|60)/.test(line))).toEqual([]);

      const bannerEnd = output.length;
      const answer = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ products(first: 1) { totalCount } }' }),
      });
      expect(answer.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(output.slice(bannerEnd).trim()).toBe('');

      // Ctrl-C twice, as a terminal sends it: to the whole process group.
      const signalled = Date.now();
      process.kill(-child.pid!, 'SIGINT');
      await new Promise((resolve) => setTimeout(resolve, 100));
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGINT');
      const code = await Promise.race([exited, new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 10_000))]);
      expect(code).not.toBe('running');
      const afterSignals = output.slice(bannerEnd);
      process.stdout.write(`stopped after ${Date.now() - signalled} ms, exit ${String(code)}; output after the signals:\n${afterSignals}\n`);
      expect(afterSignals.split('\n').filter((line) => /"level":(50|60)/.test(line) || /^\s+at /.test(line))).toEqual([]);
      // No PostgreSQL of this run is left.
      await eventually(() => !postgresRunningIn(dataDir), 'the embedded PostgreSQL to stop', 10_000);
    } finally {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
    }
  });

  it('stops cleanly and quietly on one Ctrl-C', async () => {
    // A data folder of its own: the first test ended its PostgreSQL the hard way.
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_FORMAT: 'json', EMBEDDED_POSTGRES_DIR: path.join(dataDir, 'pg-once'), EMBEDDED_POSTGRES_PORT: String(await freePort()) };
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'LOG_LEVEL', 'DATABASE_NAME_PREFIX']) delete env[name];
    env.PORT = String(await freePort());
    for (const name of SUBGRAPH_NAMES) env[`${name.toUpperCase()}_PORT`] = String(await freePort());
    const child = spawn(process.execPath, ['dist/scripts/start-all.js'], { cwd: repoRoot(), env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await eventually(() => output.includes('Supergraph ready') || child.exitCode !== null, 'the banner', 150_000);
      expect({ exit: child.exitCode, output: child.exitCode === null ? '' : output }).toEqual({ exit: null, output: '' });
      const bannerEnd = output.length;
      process.kill(-child.pid!, 'SIGINT');
      const code = await Promise.race([exited, new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 30_000))]);
      const afterSignal = output.slice(bannerEnd);
      expect({ code, problems: afterSignal.split('\n').filter((line) => /"level":(40|50|60)/.test(line) || /^\s+at /.test(line)) }).toEqual({ code: 0, problems: [] });
      await eventually(() => !postgresRunningIn(dataDir), 'the embedded PostgreSQL to stop', 10_000);
    } finally {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
    }
  });
});

function postgresRunningIn(dir: string): boolean {
  try {
    return execFileSync('pgrep', ['-f', dir], { encoding: 'utf8' }).trim() !== '';
  } catch {
    return false;
  }
}
