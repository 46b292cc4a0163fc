import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type SpanContext,
  type Tracer,
} from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { Sampler, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ConfigError } from './config';

/**
 * OpenTelemetry traces for every process, configured with the standard
 * `OTEL_*` variables. Off unless an OTLP endpoint is set: then nothing is
 * loaded or registered, and the span calls below go to the API's no-op tracer.
 *
 * Two steps, because instrumentations can only patch modules loaded after
 * them: `lib/instrument.ts` (the first import of every entry file) reads the
 * settings and patches http, pg and ioredis; `startTracing(service)` in the
 * program's main then registers the tracer provider under its service name,
 * or reports bad settings as a configuration error (one line each).
 */

export type SamplerName = 'always_on' | 'always_off' | 'traceidratio' | 'parentbased_always_on' | 'parentbased_always_off' | 'parentbased_traceidratio';
const SAMPLERS: readonly SamplerName[] = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];
const PROTOCOLS = ['http/protobuf', 'http/json'] as const;

export interface TracingConfig {
  /** True when an OTLP endpoint is set (and OTEL_SDK_DISABLED is not). */
  enabled: boolean;
  /** The traces URL (`…/v1/traces`), from OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT. */
  endpoint?: string;
  protocol: (typeof PROTOCOLS)[number];
  sampler: SamplerName;
  /** Share of traces kept by the ratio samplers, 0 to 1. */
  ratio: number;
  /** OTEL_SERVICE_NAME: overrides the program's own name. */
  serviceName?: string;
}

/** The tracing settings, or a ConfigError naming every bad variable (one line each). */
export function readTracingConfig(env: NodeJS.ProcessEnv = process.env): TracingConfig {
  const problems: string[] = [];
  const value = (name: string) => {
    const raw = env[name]?.trim();
    return raw === '' ? undefined : raw;
  };
  const url = (name: string) => {
    const raw = value(name);
    if (raw !== undefined && !/^https?:\/\/[^/\s]+/i.test(raw)) problems.push(`${name}: must be an http(s) URL of an OTLP receiver, got "${raw}"`);
    return raw;
  };
  const disabled = value('OTEL_SDK_DISABLED');
  if (disabled !== undefined && !['true', 'false'].includes(disabled.toLowerCase())) problems.push(`OTEL_SDK_DISABLED: must be true or false, got "${disabled}"`);
  const base = url('OTEL_EXPORTER_OTLP_ENDPOINT');
  const specific = url('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const protocolName = value('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = value(protocolName) ?? 'http/protobuf';
  if (!(PROTOCOLS as readonly string[]).includes(protocol)) problems.push(`${protocolName}: must be ${PROTOCOLS.join(' or ')} (gRPC is not supported), got "${protocol}"`);
  const sampler = (value('OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on').toLowerCase() as SamplerName;
  if (!SAMPLERS.includes(sampler)) problems.push(`OTEL_TRACES_SAMPLER: must be one of ${SAMPLERS.join(', ')}, got "${env.OTEL_TRACES_SAMPLER}"`);
  const arg = value('OTEL_TRACES_SAMPLER_ARG');
  let ratio = 1;
  if (arg !== undefined) {
    ratio = Number(arg);
    if (!/^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(arg) || ratio > 1) problems.push(`OTEL_TRACES_SAMPLER_ARG: must be a number from 0 to 1 (the share of traces sampled), got "${arg}"`);
    else if (!sampler.endsWith('traceidratio')) problems.push(`OTEL_TRACES_SAMPLER_ARG: only the traceidratio samplers take an argument, and OTEL_TRACES_SAMPLER is "${sampler}"`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const endpoint = specific ?? (base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined);
  return {
    enabled: endpoint !== undefined && disabled?.toLowerCase() !== 'true',
    endpoint,
    protocol: protocol as TracingConfig['protocol'],
    sampler,
    ratio,
    serviceName: value('OTEL_SERVICE_NAME'),
  };
}

interface TracingState {
  config?: TracingConfig;
  /** Bad settings found by the preload, reported by startTracing. */
  error?: unknown;
  instrumentations?: Instrumentation[];
  unregister?: () => void;
  provider?: { shutdown(): Promise<void>; forceFlush(): Promise<void> };
}

const state: TracingState = {};

let recording = false;

/** Whether spans are being recorded somewhere (an exporter, or a test's processor, is registered). */
export function isTracing(): boolean {
  return recording;
}

/**
 * Patches http (server side), pg and ioredis, when tracing is on. Run before
 * those modules are loaded: `import './instrument'` first in an entry file.
 * Bad settings are kept for startTracing to report.
 */
export function preloadTracing(env: NodeJS.ProcessEnv = process.env): void {
  if (state.config || state.error) return;
  try {
    state.config = readTracingConfig(env);
  } catch (error) {
    state.error = error;
    return;
  }
  if (state.config.enabled) registerNodeInstrumentations();
}

/** The instrumentations we use (loaded only when tracing is on). */
function registerNodeInstrumentations(): Instrumentation[] {
  if (state.instrumentations) return state.instrumentations;
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { registerInstrumentations } = require('@opentelemetry/instrumentation') as typeof import('@opentelemetry/instrumentation');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  const { IORedisInstrumentation } = require('@opentelemetry/instrumentation-ioredis') as typeof import('@opentelemetry/instrumentation-ioredis');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const instrumentations: Instrumentation[] = [
    new HttpInstrumentation({
      // Our outgoing calls use undici and get their spans in callSubgraph; probes and scrapes are not traced.
      disableOutgoingRequestInstrumentation: true,
      ignoreIncomingRequestHook: (request) => !(request.url ?? '').startsWith('/graphql'),
    }),
    // Only SQL and Redis commands inside a traced request: the outbox poll and sweepers would be one trace a second each.
    new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
    new IORedisInstrumentation({ requireParentSpan: true }),
  ];
  state.unregister = registerInstrumentations({ instrumentations });
  state.instrumentations = instrumentations;
  return instrumentations;
}

/**
 * Test support: patches modules this module system has already loaded, which
 * the require hooks never see (Jest loads modules itself). Real processes
 * load the instrumentations first instead (lib/instrument.ts).
 */
function patchLoadedModules(instrumentations: Instrumentation[]): void {
  for (const instrumentation of instrumentations) {
    const definitions = (instrumentation as unknown as { getModuleDefinitions?(): { name: string; patch?(exports: unknown): unknown }[] }).getModuleDefinitions?.() ?? [];
    for (const definition of definitions) {
      if (definition.name === 'pg-pool' || !definition.patch) continue;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      definition.patch(require(definition.name));
    }
  }
}

function unpatchLoadedModules(instrumentations: Instrumentation[]): void {
  for (const instrumentation of instrumentations) {
    const definitions = (instrumentation as unknown as { getModuleDefinitions?(): { name: string; unpatch?(exports: unknown): unknown }[] }).getModuleDefinitions?.() ?? [];
    for (const definition of definitions) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      if (definition.name !== 'pg-pool' && definition.unpatch) definition.unpatch(require(definition.name));
    }
  }
}

export interface StartTracingOptions {
  /** Tests: record spans here (e.g. an InMemorySpanExporter), whatever the environment says. */
  spanProcessor?: SpanProcessor;
  env?: NodeJS.ProcessEnv;
}

export interface TracingHandle {
  /** Exports what is buffered. */
  flush(): Promise<void>;
  /** Exports what is buffered, unregisters the provider and removes the patches. */
  shutdown(): Promise<void>;
}

const NOTHING: TracingHandle = { flush: async () => {}, shutdown: async () => {} };

/**
 * Registers the tracer provider of this process as `serviceName` (unless
 * OTEL_SERVICE_NAME says otherwise): W3C trace context, the configured
 * sampler, and a batching OTLP exporter. Throws a ConfigError for bad
 * settings; does nothing when tracing is off.
 */
export function startTracing(serviceName: string, options: StartTracingOptions = {}): TracingHandle {
  if (!state.config && !state.error) preloadTracing(options.env);
  if (state.error) throw state.error;
  const config = state.config!;
  if (state.provider) return NOTHING; // one provider per process (`npm start` runs every service in one)
  if (!config.enabled && !options.spanProcessor) return NOTHING;

  /* eslint-disable @typescript-eslint/no-require-imports */
  const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const { resourceFromAttributes, detectResources, envDetector } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  /* eslint-enable @typescript-eslint/no-require-imports */

  const testing = options.spanProcessor !== undefined;
  const instrumentations = registerNodeInstrumentations();
  if (testing) patchLoadedModules(instrumentations);
  const spanProcessors = options.spanProcessor ? [options.spanProcessor] : [new BatchSpanProcessor(otlpExporter(config))];
  const resource = detectResources({ detectors: [envDetector] }).merge(
    resourceFromAttributes({ 'service.name': config.serviceName ?? serviceName, 'service.namespace': 'commerce' }),
  );
  const provider = new NodeTracerProvider({ resource, sampler: samplerOf(config), spanProcessors });
  provider.register();
  state.provider = provider;
  recording = true;
  return {
    flush: () => provider.forceFlush(),
    shutdown: async () => {
      await provider.shutdown();
      if (testing) unpatchLoadedModules(instrumentations);
      state.unregister?.();
      state.unregister = undefined;
      state.instrumentations = undefined;
      state.provider = undefined;
      recording = false;
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

function otlpExporter(config: TracingConfig) {
  /* eslint-disable @typescript-eslint/no-require-imports */
  if (config.protocol === 'http/json') {
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter({ url: config.endpoint });
  }
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto');
  /* eslint-enable @typescript-eslint/no-require-imports */
  return new OTLPTraceExporter({ url: config.endpoint });
}

function samplerOf(config: TracingConfig): Sampler {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const root = (name: string): Sampler => {
    if (name.endsWith('always_off')) return new sdk.AlwaysOffSampler();
    if (name.endsWith('traceidratio')) return new sdk.TraceIdRatioBasedSampler(config.ratio);
    return new sdk.AlwaysOnSampler();
  };
  return config.sampler.startsWith('parentbased_') ? new sdk.ParentBasedSampler({ root: root(config.sampler) }) : root(config.sampler);
}

/** The tracer of this code base's own spans. */
export const tracer: Tracer = trace.getTracer('commerce');

/** Marks a span failed: status ERROR with the message, and an `exception` event. */
export function recordSpanError(span: Span | undefined, error: unknown, message?: string): void {
  if (!span) return;
  const exception = error instanceof Error ? error : new Error(String(error));
  span.recordException(exception);
  span.setStatus({ code: SpanStatusCode.ERROR, message: message ?? exception.message });
}

/**
 * Runs `work` inside a new span (active, so spans below it are its
 * children), ends it, and records a thrown error on it.
 */
export async function inSpan<T>(name: string, options: { kind?: SpanKind; attributes?: Attributes; links?: Link[]; root?: boolean }, work: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, options, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      recordSpanError(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The trace context of `ctx` (the active one by default) as W3C headers (`traceparent`, `tracestate`). */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(ctx, headers);
  return headers;
}

/** A link to another trace's span, e.g. from a subscription's event to the subscribe request. */
export function linkTo(spanContext: SpanContext | undefined): Link[] {
  return spanContext && trace.isSpanContextValid(spanContext) ? [{ context: spanContext }] : [];
}

export { context, propagation, SpanKind, SpanStatusCode, trace, type Span, type SpanContext };
