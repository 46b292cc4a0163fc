/**
 * The Kubernetes manifests (deploy/kubernetes): every overlay renders with
 * kustomize (`kubectl kustomize`), every object is valid against the schemas
 * of a current Kubernetes release (kubernetes-models), and each process gets
 * every setting its code requires: the test reads the environment a container
 * would see (ConfigMap, Secret, env) and hands it to the same readers the
 * processes run at start.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { readGatewayConfig } from '../../gateway/gateway.config';
import { shutdownEnv } from '../../lib/graceful-shutdown';
import { readSubgraphEnv, SUBGRAPH_NAMES } from '../../lib/subgraph';
import { subgraphDefinitions } from '../../scripts/subgraph-definitions';

type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [key: string]: any };

const root = __dirname;
const PROCESSES = ['gateway', ...SUBGRAPH_NAMES] as const;
type ProcessName = (typeof PROCESSES)[number];
/** Only these two hold the key of access tokens. */
const JWT_HOLDERS = new Set<ProcessName>(['gateway', 'users']);
/** What a process does after SIGTERM besides the drain (close the database, Redis, flush traces). */
const SHUTDOWN_MARGIN_SECONDS = 5;

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

/**
 * Renders an overlay from a copy of deploy/kubernetes, so the files an
 * overlay needs but the repository never holds (production's secrets.env)
 * can be made up: strong random secrets, plausible URLs.
 */
function render(overlay: string, extra?: { components: string[] }): Manifest[] {
  const work = mkdtempSync(path.join(tmpdir(), 'kustomize-'));
  try {
    cpSync(root, work, { recursive: true, filter: (source) => !source.endsWith('.test.ts') });
    const example = path.join(work, 'overlays', 'production', 'secrets.env.example');
    writeFileSync(path.join(work, 'overlays', 'production', 'secrets.env'), madeUpSecrets(readFileSync(example, 'utf8')));
    let dir = path.join(work, 'overlays', overlay);
    if (extra) {
      dir = path.join(work, 'overlays', `${overlay}-with-components`);
      mkdirSync(dir);
      const components = extra.components.map((component) => `  - ../../components/${component}`).join('\n');
      writeFileSync(path.join(dir, 'kustomization.yaml'), `kind: Kustomization\nresources:\n  - ../${overlay}\ncomponents:\n${components}\n`);
    }
    const text = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return parseAllDocuments(text)
      .map((doc) => doc.toJS() as Manifest)
      .filter(Boolean)
      .map(unwrapSecretData);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * kustomize wraps long base64 values of a Secret over several lines; the API
 * server's decoder skips the line breaks, the schema's `byte` format does not.
 */
function unwrapSecretData(manifest: Manifest): Manifest {
  if (manifest.kind !== 'Secret' || !manifest.data) return manifest;
  const data = Object.fromEntries(Object.entries(manifest.data as Record<string, string>).map(([key, value]) => [key, value.replace(/\s+/g, '')]));
  return { ...manifest, data };
}

/** secrets.env from the example: every key it lists, with a value the production checks accept. */
function madeUpSecrets(example: string): string {
  const keys = example
    .split('\n')
    .map((line) => /^([A-Z_][A-Z0-9_]*)=/.exec(line.trim())?.[1])
    .filter((key): key is string => key !== undefined);
  const value = (key: string) => {
    if (key === 'DATABASE_URL') return 'postgres://commerce:s3cr3t@db.internal:5432/postgres';
    if (key === 'REDIS_URL') return 'redis://cache.internal:6379';
    return randomBytes(32).toString('hex');
  };
  return keys.map((key) => `${key}=${value(key)}\n`).join('');
}

/** Runs validate-manifests.mjs (kubernetes-models is ESM only, Jest runs CommonJS). */
function schemaProblems(manifests: Manifest[]): string[] {
  const result = spawnSync(process.execPath, [path.join(root, 'validate-manifests.mjs')], { input: JSON.stringify(manifests), encoding: 'utf8', cwd: root });
  if (result.status !== 0) throw new Error(`validate-manifests.mjs failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as string[];
}

function find(manifests: Manifest[], kind: string, name: string): Manifest {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
}

function container(deployment: Manifest): any {
  const containers = deployment.spec.template.spec.containers;
  expect(containers).toHaveLength(1);
  return containers[0];
}

function secretData(secret: Manifest): Record<string, string> {
  const decoded = Object.fromEntries(Object.entries((secret.data ?? {}) as Record<string, string>).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
  return { ...decoded, ...secret.stringData };
}

/** The environment the container of a Deployment starts with (envFrom, then env; every reference must resolve). */
function containerEnv(manifests: Manifest[], deployment: Manifest): Record<string, string> {
  const env: Record<string, string> = {};
  const c = container(deployment);
  for (const source of c.envFrom ?? []) {
    if (source.configMapRef) Object.assign(env, find(manifests, 'ConfigMap', source.configMapRef.name).data);
    if (source.secretRef) Object.assign(env, secretData(find(manifests, 'Secret', source.secretRef.name)));
  }
  for (const variable of c.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = variable.value;
    const secretRef = variable.valueFrom?.secretKeyRef;
    if (secretRef) {
      const data = secretData(find(manifests, 'Secret', secretRef.name));
      if (!(secretRef.key in data)) throw new Error(`${deployment.metadata.name}: Secret ${secretRef.name} has no key ${secretRef.key}`);
      env[variable.name] = data[secretRef.key];
    }
    const configRef = variable.valueFrom?.configMapKeyRef;
    if (configRef) env[variable.name] = find(manifests, 'ConfigMap', configRef.name).data[configRef.key];
  }
  return env;
}

/** Starts the process's settings reader on `env`; throws ConfigError as the process would at start. */
function readSettings(name: ProcessName, env: Record<string, string>): void {
  if (name === 'gateway') readGatewayConfig(env);
  else readSubgraphEnv(subgraphDefinitions[name]!, env);
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

const variants: Array<{ name: string; overlay: string; components?: string[] }> = [
  { name: 'development', overlay: 'development' },
  { name: 'production', overlay: 'production' },
  { name: 'production with requests-per-second autoscaling', overlay: 'production', components: ['requests-per-second'] },
];

const describeRendered = kubectl ? describe : describe.skip;
if (!kubectl) {
  // CI must have kubectl (its kustomize renders the overlays); a laptop without it only skips.
  if (process.env.CI) throw new Error('kubectl is required to render deploy/kubernetes (apt-get install kubectl)');
  console.warn('deploy/kubernetes: kubectl not found, the manifests are not rendered nor validated');
}

describeRendered.each(variants)('Kubernetes manifests: $name', ({ overlay, components }) => {
  let manifests: Manifest[];
  beforeAll(() => {
    manifests = render(overlay, components ? { components } : undefined);
  });

  it('are valid against the schemas of a current Kubernetes release', () => {
    expect(manifests.length).toBeGreaterThan(0);
    expect(schemaProblems(manifests)).toEqual([]);
  });

  it('put every object in the overlay namespace, which enforces the restricted Pod Security Standard', () => {
    const namespace = manifests.find((m) => m.kind === 'Namespace');
    expect(namespace?.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    for (const m of manifests.filter((m) => m.kind !== 'Namespace')) expect([m.kind, m.metadata.namespace]).toEqual([m.kind, namespace!.metadata.name]);
  });

  it.each(PROCESSES)('%s: a Deployment of the one image that starts its own entry file', (name) => {
    const deployment = find(manifests, 'Deployment', name);
    const c = container(deployment);
    expect(c.image).toMatch(/commerce-supergraph(:|$)/);
    expect([...(c.command ?? []), ...(c.args ?? [])]).toEqual(['node', name === 'gateway' ? 'dist/gateway/main.js' : `dist/subgraphs/${name}/main.js`]);
    // The autoscaler owns the count.
    expect(deployment.spec.replicas).toBeUndefined();
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
  });

  it.each(PROCESSES)('%s: a Service selecting its pods on the port the process listens on', (name) => {
    const deployment = find(manifests, 'Deployment', name);
    const service = find(manifests, 'Service', name);
    const env = containerEnv(manifests, deployment);
    expect(matches(service.spec.selector, deployment.spec.template.metadata.labels)).toBe(true);
    expect(matches(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels)).toBe(true);
    const http = container(deployment).ports.find((p: any) => p.name === 'http');
    expect(String(http.containerPort)).toBe(env.PORT);
    expect(service.spec.ports).toEqual([expect.objectContaining({ name: 'http', targetPort: 'http' })]);
    // The URLs the other processes are given reach this Service.
    if (name !== 'gateway') expect(env[`${name.toUpperCase()}_URL`]).toBe(`http://${name}:${service.spec.ports[0].port}/graphql`);
    if (env.METRICS_PORT) expect(container(deployment).ports).toContainEqual({ name: 'metrics', containerPort: Number(env.METRICS_PORT) });
  });

  it.each(PROCESSES)('%s: liveness and startup on /health, readiness on /ready (gateway) or /health', (name) => {
    const c = container(find(manifests, 'Deployment', name));
    expect(c.livenessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(c.startupProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: name === 'gateway' ? '/ready' : '/health', port: 'http' });
  });

  it.each(PROCESSES)('%s: the termination grace period covers preStop, the drain delay and grace, and a margin; liveness outlasts it', (name) => {
    const deployment = find(manifests, 'Deployment', name);
    const env = containerEnv(manifests, deployment);
    const c = container(deployment);
    const preStop = c.lifecycle.preStop.exec.command as string[];
    expect(preStop[0]).toBe('sleep');
    const production = env.NODE_ENV === 'production';
    const delayMs = Number(env.SHUTDOWN_DELAY_MS ?? (production ? shutdownEnv.SHUTDOWN_DELAY_MS.default : shutdownEnv.SHUTDOWN_DELAY_MS.devDefault));
    const graceMs = Number(env.SHUTDOWN_GRACE_MS ?? shutdownEnv.SHUTDOWN_GRACE_MS.default);
    const drainSeconds = Number(preStop[1]) + (delayMs + graceMs) / 1000;
    const period = deployment.spec.template.spec.terminationGracePeriodSeconds as number;
    expect(period).toBeGreaterThanOrEqual(drainSeconds + SHUTDOWN_MARGIN_SECONDS);
    // A subgraph's /health is 503 while it drains: liveness must not restart it meanwhile.
    expect(c.livenessProbe.periodSeconds * c.livenessProbe.failureThreshold).toBeGreaterThan(period);
  });

  it.each(PROCESSES)('%s: runs as non-root on a read-only root filesystem, no privilege escalation, no capabilities', (name) => {
    const pod = find(manifests, 'Deployment', name).spec.template.spec;
    const c = container(find(manifests, 'Deployment', name));
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(c.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(pod.volumes).toContainEqual(expect.objectContaining({ name: 'tmp', emptyDir: expect.any(Object) }));
  });

  it.each(PROCESSES)('%s: CPU and memory requests and limits', (name) => {
    const { resources } = container(find(manifests, 'Deployment', name));
    expect(Object.keys(resources.requests).sort()).toEqual(['cpu', 'memory']);
    expect(Object.keys(resources.limits).sort()).toEqual(['cpu', 'memory']);
  });

  it.each(PROCESSES)('%s: an autoscaler on CPU and a disruption budget', (name) => {
    const deployment = find(manifests, 'Deployment', name);
    const hpa = find(manifests, 'HorizontalPodAutoscaler', name);
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(1);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    expect(hpa.spec.metrics).toContainEqual({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: expect.any(Number) } } });
    if (components?.includes('requests-per-second')) {
      expect(hpa.spec.metrics).toContainEqual(expect.objectContaining({ type: 'Pods', pods: expect.objectContaining({ metric: { name: 'graphql_requests_per_second' } }) }));
    }
    const pdb = find(manifests, 'PodDisruptionBudget', name);
    expect(matches(pdb.spec.selector.matchLabels, deployment.spec.template.metadata.labels)).toBe(true);
    // minAvailable would block every eviction at one replica (development) and every node drain at minReplicas.
    expect(pdb.spec.maxUnavailable).toBe(1);
  });

  it.each(PROCESSES)('%s: every setting its code requires is set (the settings readers accept the environment)', (name) => {
    const env = containerEnv(manifests, find(manifests, 'Deployment', name));
    expect(() => readSettings(name, env)).not.toThrow();
  });

  it.each(PROCESSES)('%s: JWT_SECRET only in the gateway and users', (name) => {
    const env = containerEnv(manifests, find(manifests, 'Deployment', name));
    expect('JWT_SECRET' in env).toBe(JWT_HOLDERS.has(name));
  });

  it('the requirement check fails when a required setting is missing', () => {
    const env = containerEnv(manifests, find(manifests, 'Deployment', 'orders'));
    const { DATABASE_URL: _database, ...withoutDatabase } = env;
    expect(() => readSettings('orders', withoutDatabase)).toThrow(/DATABASE_URL/);
    const { REDIS_URL: _redis, ...withoutRedis } = env;
    expect(() => readSettings('orders', withoutRedis)).toThrow(/REDIS_URL/);
  });

  if (overlay === 'production') {
    it('production: NODE_ENV production, a released image, and no placeholder secrets', () => {
      for (const name of PROCESSES) {
        const deployment = find(manifests, 'Deployment', name);
        const env = containerEnv(manifests, deployment);
        expect(env.NODE_ENV).toBe('production');
        expect(container(deployment).image).toMatch(/^[^/]+\/.+:.+$/);
        for (const key of ['INTERNAL_SECRET', 'JWT_SECRET', 'DATABASE_URL', 'REDIS_URL']) {
          if (key in env) expect(env[key]).not.toMatch(/placeholder|\.invalid/);
        }
        // NODE_ENV=production also turns on the strength checks of the secrets.
        expect(() => readSettings(name, env)).not.toThrow();
      }
    });
  }
});
