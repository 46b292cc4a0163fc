import type { RequestHandler } from 'express';
import { labelValue } from '../lib/metric-labels';
import { metricsEndpoint } from '../lib/metrics-endpoint';
import { collectProcessMetrics } from '../lib/process-metrics';
import { Counter, Gauge, Registry } from 'prom-client';

/** Distinct (client name, version) pairs kept as labels; later ones are counted as `other`. */
const MAX_CLIENT_LABELS = 200;

export interface ClientLabels {
  client_name: string;
  client_version: string;
}

/**
 * Prometheus metrics of the gateway, served on /metrics: the registry every
 * gateway plugin registers its own metrics on, and the persisted-query ones. Each gateway has its
 * own registry, so several in one process (tests, `npm start`) never mix.
 * Client names and versions come from request headers, so the label values
 * are checked and capped: a client cannot blow up the series count.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly seenClients = new Set<string>();
  /** Operation names of the persisted query manifests loaded so far: the only ones kept as label values. */
  private readonly knownOperations = new Set<string>();

  /** Operations outside a client's allowed list; `enforced="false"` ones were only logged. */
  readonly safelistViolations = new Counter({
    name: 'graphql_safelist_violations_total',
    help: 'Operations not allowed by the safelist, by client and error code; enforced="false" were only logged',
    labelNames: ['client_name', 'code', 'enforced'] as const,
    registers: [this.registry],
  });

  readonly unknownApiKeys = new Counter({
    name: 'graphql_unknown_api_keys_total',
    help: 'Requests refused because their x-api-key is not configured',
    registers: [this.registry],
  });

  readonly manifestOperations = new Gauge({
    name: 'graphql_persisted_query_manifest_operations',
    help: 'Operations in the persisted query manifest in use',
    registers: [this.registry],
  });

  readonly manifestReloads = new Counter({
    name: 'graphql_persisted_query_manifest_reloads_total',
    help: 'Attempts to reload the persisted query manifest; result="refused" kept the previous list',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectProcessMetrics(this.registry);
  }

  /** A manifest now in use: its size, and its operation names become label values. */
  useManifest(manifest: { readonly size: number; readonly operations: readonly { name: string }[] }): void {
    this.manifestOperations.set(manifest.size);
    for (const operation of manifest.operations) this.knownOperations.add(operation.name);
  }

  /**
   * The label value of an operation name, which clients choose freely: a name
   * of the persisted query manifest (the canonical operations in
   * `schema/operations`) as it is, `anonymous` when there is none, `other`
   * for anything else.
   */
  operationNameLabel(name: string | undefined): string {
    if (name === undefined || name === '') return 'anonymous';
    return this.knownOperations.has(name) ? name : 'other';
  }

  /** Label values for a client: checked, and `other` once too many distinct clients were seen. */
  clientLabels(name: string | undefined, version: string | undefined): ClientLabels {
    const labels = { client_name: labelValue(name), client_version: labelValue(version) };
    const key = `${labels.client_name}\u0000${labels.client_version}`;
    if (this.seenClients.has(key)) return labels;
    if (this.seenClients.size >= MAX_CLIENT_LABELS) return { client_name: 'other', client_version: 'other' };
    this.seenClients.add(key);
    return labels;
  }

  readonly handler: RequestHandler = metricsEndpoint(this.registry);
}
